"""Joint draws end to end: the lifecycle through the CLI and the API, one-time, verifiable."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
import tomli_w
from sqlalchemy import select, update

from hub.audit.models import AuditEntry
from hub.auth.services import add_user, create_token
from hub.cli import main
from hub.draw import jdp
from hub.draw.models import Assignment
from hub.errors import Conflict, DrawError, InvalidInput
from hub.results.history import RESULTS_HISTORY
from hub.rosters.models import Inspector
from hub.tasks import services as lifecycle
from hub.tasks.models import JointTask
from tests.draw.vectors import VECTORS
from tests.web import scenario as sc


@pytest.fixture
def cli_env(monkeypatch, settings):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HUB_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("HUB_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("HUB_SECRET_KEY", "test")
    monkeypatch.delenv("HUB_CONFIG", raising=False)
    monkeypatch.delenv("HUB_BROKER_URL", raising=False)


def _actions(db, task_id):  # type: ignore[no-untyped-def]
    with db.unit_of_work() as s:
        return [a for (a,) in s.execute(select(AuditEntry.action).where(AuditEntry.subject == f"task:{task_id}")
                                        .order_by(AuditEntry.id))]


def test_lifecycle_through_the_cli(db, cli_env, tmp_path, capsys):
    sc.add_rosters(db)
    spec = sc.task_spec("JT-2026-0200")
    task_file = tmp_path / "task.toml"
    task_file.write_text(tomli_w.dumps(spec), encoding="utf-8")
    assert main(["task", "create", str(task_file)]) == 0
    assert capsys.readouterr().out.strip() == "JT-2026-0200"
    for party in ("hub", "HEALTH", "SAMR"):
        assert main(["task", "commit", "JT-2026-0200", party, "--secret-file", str(tmp_path / party)]) == 0
        assert (tmp_path / party).stat().st_mode & 0o077 == 0  # the secret file is private
    assert main(["task", "draw", "JT-2026-0200"]) != 0  # not frozen yet
    assert main(["task", "freeze", "JT-2026-0200"]) == 0
    for party in ("hub", "HEALTH", "SAMR"):
        assert main(["task", "reveal", "JT-2026-0200", party, "--secret-file", str(tmp_path / party)]) == 0
    assert main(["task", "draw", "JT-2026-0200", "--entropy", "上证指数 3321.57"]) == 0
    capsys.readouterr()
    assert main(["task", "draw", "JT-2026-0200"]) != 0
    assert "one-time" in capsys.readouterr().err
    rec, roster, pool = tmp_path / "record.json", tmp_path / "roster.tsv", tmp_path / "pool.tsv"
    assert main(["task", "record", "JT-2026-0200", "--out", str(rec), "--roster", str(roster),
                 "--pool", str(pool)]) == 0
    assert main(["verify", str(rec), "--roster", str(roster), "--pool", str(pool)]) == 0
    record = json.loads(rec.read_text())
    assert len(record["selections"]) == 4 and record["entropy"] == "上证指数 3321.57"
    # the standalone verifier (one file, standard library only) agrees
    script = tmp_path / "jdp.py"
    shutil.copy(jdp.__file__, script)
    ok = subprocess.run([sys.executable, str(script), "verify", str(rec), "--roster", str(roster),
                         "--pool", str(pool)], capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr
    record["selections"][0]["team"].reverse()
    rec.write_text(json.dumps(record, ensure_ascii=False))
    assert main(["verify", str(rec), "--roster", str(roster), "--pool", str(pool)]) != 0
    assert _actions(db, "JT-2026-0200") == ["task.create", "task.commit", "task.commit", "task.commit",
                                            "task.freeze", "task.reveal", "task.reveal", "task.reveal",
                                            "task.draw_requested", "task.draw", "task.draw_refused"]
    assert main(["audit", "verify"]) == 0


@pytest.mark.parametrize("name", ["v-public", "v-public-sm3"])
def test_draw_offline_command_reproduces_the_vectors(name, tmp_path, cli_env):
    base = VECTORS / name
    reveals = (VECTORS / f"{name}.reveals").read_text().split()
    entropy = (VECTORS / f"{name}.entropy.txt").read_text(encoding="utf-8")
    out = tmp_path / "record.json"
    args = ["draw", "offline", "--plan", f"{base}.plan.json", "--roster", f"{base}.roster.tsv",
            "--pool", f"{base}.pool.tsv", "--entropy", entropy, "--out", str(out)]
    for r in reveals:
        args += ["--reveal", r]
    assert main(args) == 0
    got, expected = json.loads(out.read_text()), json.loads((VECTORS / f"{name}.record.json").read_text())
    for key in ("plan_digest", "roster_digest", "pool_digest", "seed", "selections", "strata", "commitments"):
        assert got[key] == expected[key], key
    assert main(["verify", str(VECTORS / f"{name}.record.json"), "--roster", f"{base}.roster.tsv",
                 "--pool", f"{base}.pool.tsv"]) == 0
    tampered = tmp_path / "roster.tsv"
    data = bytearray((VECTORS / f"{name}.roster.tsv").read_bytes())
    data[5] ^= 0x01
    tampered.write_bytes(bytes(data))
    assert main(["verify", str(VECTORS / f"{name}.record.json"), "--roster", str(tampered),
                 "--pool", f"{base}.pool.tsv"]) != 0


def _api(app, db):  # type: ignore[no-untyped-def]
    with db.unit_of_work() as s:
        add_user(s, "coord", ["coordinator"])
        add_user(s, "insp", ["inspector"], inspector_id="HEALTH-001")
    with db.unit_of_work() as s:
        coord, insp = create_token(s, "coord"), create_token(s, "insp")
    client = app.test_client()
    return client, {"Authorization": f"Bearer {coord}"}, {"Authorization": f"Bearer {insp}"}


def test_lifecycle_through_the_api(app, db):
    sc.add_rosters(db)
    client, coord, insp = _api(app, db)
    resp = client.post("/api/v1/tasks", json=sc.task_spec("JT-2026-0300"), headers=coord)
    assert resp.status_code == 201, resp.json
    secrets = {p: lifecycle.new_secret() for p in ("hub", "HEALTH", "SAMR")}
    assert client.post("/api/v1/tasks/JT-2026-0300/freeze", headers=coord).status_code == 409
    for party, secret in secrets.items():
        body = {"party": party, "commitment": jdp.commitment(party, secret, "sha256")}
        assert client.post("/api/v1/tasks/JT-2026-0300/commitments", json=body, headers=coord).status_code == 201
    assert client.get("/api/v1/tasks/JT-2026-0300/assignments", headers=coord).json == []  # nothing before
    frozen = client.post("/api/v1/tasks/JT-2026-0300/freeze", headers=coord)
    assert frozen.status_code == 200 and frozen.json["state"] == "frozen"
    wrong = client.post("/api/v1/tasks/JT-2026-0300/reveals", json={"party": "SAMR", "secret_hex": "ab" * 16},
                        headers=coord)
    assert wrong.status_code == 400 and "does not match" in wrong.json["detail"]
    for party, secret in secrets.items():
        r = client.post("/api/v1/tasks/JT-2026-0300/reveals", json={"party": party, "secret_hex": secret},
                        headers=coord)
        assert r.status_code == 200, r.json
    drawn = client.post("/api/v1/tasks/JT-2026-0300/draw", json={"entropy": "lottery 42"}, headers=coord)
    assert drawn.json["state"] == "drawn", drawn.json
    again = client.post("/api/v1/tasks/JT-2026-0300/draw", json={}, headers=coord)
    assert again.status_code == 409
    record = client.get("/api/v1/tasks/JT-2026-0300/record").json
    roster = client.get("/api/v1/tasks/JT-2026-0300/roster.tsv").data.decode()
    pool = client.get("/api/v1/tasks/JT-2026-0300/pool.tsv").data.decode()
    check = client.post("/api/v1/verify", json={"record": record, "roster": roster, "pool": pool}).json
    assert check == {"verified": True, "problems": []}
    record["seed"] = "0" * 64
    assert client.post("/api/v1/verify", json={"record": record, "roster": roster, "pool": pool}).json[
        "verified"] is False
    everything = client.get("/api/v1/tasks/JT-2026-0300/assignments", headers=coord).json
    mine = client.get("/api/v1/tasks/JT-2026-0300/assignments", headers=insp).json
    assert len(everything) == 4
    assert mine == [a for a in everything if "HEALTH-001" in a["team"]]
    assert client.post("/api/v1/tasks/JT-2026-0300/void", json={"reason": "short"}, headers=coord).status_code == 400
    void = client.post("/api/v1/tasks/JT-2026-0300/void", json={"reason": "抽取程序经法制审核需重新组织"},
                       headers=coord)
    assert void.status_code == 200
    reuse = client.post("/api/v1/tasks", json=sc.task_spec("JT-2026-0300"), headers=coord)
    assert reuse.status_code == 409


def test_a_draw_that_fails_in_jdp1_names_entity_and_agency_and_records_nothing(db, settings):
    scen = sc.committed_task(db, settings, "JT-2026-0400")
    with db.unit_of_work() as s:  # every HEALTH officer declared a conflict with one school
        s.execute(update(Inspector).where(Inspector.agency == "HEALTH").values(conflicts=["EDU:3701030001"]))
    lifecycle.freeze(db, settings, "JT-2026-0400", "t", history=RESULTS_HISTORY)
    for party, secret in scen.secrets.items():
        lifecycle.reveal(db, "JT-2026-0400", party, secret, "t")
    lifecycle.request_draw(db, "JT-2026-0400", "", "t")
    from hub.draw.services import run_draw

    with pytest.raises(DrawError) as err:
        run_draw(db, settings, "JT-2026-0400", "t")
    assert "EDU:3701030001" in str(err.value) and "HEALTH" in str(err.value)
    with db.unit_of_work() as s:
        task = s.get(JointTask, "JT-2026-0400")
        assert (task.state, task.seed, task.draw_status) == ("frozen", None, "failed")
        assert s.scalars(select(Assignment).where(Assignment.task_id == "JT-2026-0400")).first() is None
    assert "task.draw_failed" in _actions(db, "JT-2026-0400")


def test_freeze_needs_every_commitment_and_a_reveal_must_match(db, settings):
    sc.add_rosters(db)
    lifecycle.create_task(db, settings, sc.task_spec("JT-2026-0500"), "t")
    secret = lifecycle.new_secret()
    lifecycle.commit(db, "JT-2026-0500", "hub", jdp.commitment("hub", secret, "sha256"), "t")
    with pytest.raises(Conflict, match="HEALTH, SAMR"):
        lifecycle.freeze(db, settings, "JT-2026-0500", "t", history=RESULTS_HISTORY)
    with pytest.raises(Conflict, match="cannot be replaced"):
        lifecycle.commit(db, "JT-2026-0500", "hub", jdp.commitment("hub", secret, "sha256"), "t")
    with pytest.raises(InvalidInput, match="not a party"):
        lifecycle.commit(db, "JT-2026-0500", "CIVIL", "a" * 64, "t")


def test_freezing_an_infeasible_task_reports_the_shortfall_and_keeps_it(db, settings):
    scen = sc.committed_task(db, settings, "JT-2026-0600")
    with db.unit_of_work() as s:
        s.execute(update(Inspector).where(Inspector.agency == "SAMR").values(active=False))
    with pytest.raises(DrawError, match="SAMR"):
        lifecycle.freeze(db, settings, scen.task_id, "t", history=RESULTS_HISTORY)
    with db.unit_of_work() as s:
        task = s.get(JointTask, scen.task_id)
        assert task.state == "committing" and task.feasibility and not task.feasibility["ok"]


def test_frozen_files_altered_in_the_database_are_refused_at_the_draw(db, settings):
    scen = sc.frozen_task(db, settings, "JT-2026-0700")
    with db.unit_of_work() as s:
        task = s.get(JointTask, scen.task_id)
        task.pool_file = task.pool_file.replace(b"HEALTH-001", b"HEALTH-009")
    lifecycle.request_draw(db, scen.task_id, "", "t")
    from hub.draw.services import run_draw

    with pytest.raises(DrawError, match="digest"):
        run_draw(db, settings, scen.task_id, "t")
