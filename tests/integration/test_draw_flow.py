"""Joint draws end to end: the lifecycle through the CLI and the API, one-time, verifiable, JDP-2 for new
tasks (JDP-1 kept by older ones), the hub holding its own secret, each party acting only as itself."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
import tomli_w
from sqlalchemy import delete, select, update

from hub.audit.models import AuditEntry
from hub.auth.services import add_user, create_token
from hub.cli import main
from hub.draw import jdp
from hub.draw.models import Assignment
from hub.errors import Conflict, DrawError, Forbidden, InvalidInput
from hub.results.history import RESULTS_HISTORY
from hub.rosters.models import Inspector
from hub.tasks import services as lifecycle
from hub.tasks.models import FrozenChunk, HubSecret, JointTask, TaskParty
from tests.draw.vectors import NAMES, VECTORS
from tests.web import scenario as sc

PASSWORD = "correct-horse-battery"


@pytest.fixture
def cli_env(monkeypatch, settings):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HUB_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("HUB_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("HUB_SECRET_KEY", "test")
    monkeypatch.setenv("HUB_PASSWORD", PASSWORD)
    monkeypatch.delenv("HUB_CONFIG", raising=False)
    monkeypatch.delenv("HUB_BROKER_URL", raising=False)
    monkeypatch.delenv("HUB_USER", raising=False)


def _actions(db, task_id):  # type: ignore[no-untyped-def]
    with db.unit_of_work() as s:
        return [
            (a, actor)
            for a, actor in s.execute(
                select(AuditEntry.action, AuditEntry.actor)
                .where(AuditEntry.subject == f"task:{task_id}")
                .order_by(AuditEntry.id)
            )
        ]


def _liaisons(db, password=PASSWORD):  # type: ignore[no-untyped-def]
    with db.unit_of_work() as s:
        for agency in sc.AGENCIES:
            add_user(s, f"liaison-{agency}", ["liaison"], agency=agency, password=password)


def test_lifecycle_through_the_cli(db, cli_env, tmp_path, capsys):
    sc.add_rosters(db)
    _liaisons(db)
    spec = sc.task_spec("JT-2026-0200")
    task_file = tmp_path / "task.toml"
    task_file.write_text(tomli_w.dumps(spec), encoding="utf-8")
    assert main(["task", "create", str(task_file)]) == 0
    assert capsys.readouterr().out.strip() == "JT-2026-0200"
    # the hub committed by itself; nobody hands it a secret file
    assert main(["task", "commit", "JT-2026-0200", "hub", "--secret-file", str(tmp_path / "hub")]) == 75
    assert "committed already" in capsys.readouterr().err and not (tmp_path / "hub").exists()
    # the operator alone, or another agency's liaison, may not act for an agency
    assert main(["task", "commit", "JT-2026-0200", "HEALTH", "--secret-file", str(tmp_path / "x")]) == 77
    assert "--as USER" in capsys.readouterr().err and not (tmp_path / "x").exists()
    assert (
        main(["task", "commit", "JT-2026-0200", "HEALTH", "--as", "liaison-SAMR", "--secret-file", str(tmp_path / "x")])
        == 77
    )
    assert "liaison-SAMR cannot act for HEALTH" in capsys.readouterr().err
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HUB_PASSWORD", "wrong password")
        assert (
            main(
                [
                    "task",
                    "commit",
                    "JT-2026-0200",
                    "HEALTH",
                    "--as",
                    "liaison-HEALTH",
                    "--secret-file",
                    str(tmp_path / "x"),
                ]
            )
            == 77
        )
    for party in sc.AGENCIES:
        assert (
            main(
                [
                    "task",
                    "commit",
                    "JT-2026-0200",
                    party,
                    "--as",
                    f"liaison-{party}",
                    "--secret-file",
                    str(tmp_path / party),
                ]
            )
            == 0
        )
        assert (tmp_path / party).stat().st_mode & 0o077 == 0  # the secret file is private
    assert main(["task", "draw", "JT-2026-0200"]) != 0  # not frozen yet
    assert main(["task", "freeze", "JT-2026-0200"]) == 0
    assert main(["task", "reveal", "JT-2026-0200", "SAMR", "--secret-file", str(tmp_path / "SAMR")]) == 77
    for party in sc.AGENCIES:
        assert (
            main(
                [
                    "task",
                    "reveal",
                    "JT-2026-0200",
                    party,
                    "--as",
                    f"liaison-{party}",
                    "--secret-file",
                    str(tmp_path / party),
                ]
            )
            == 0
        )
    capsys.readouterr()
    assert main(["task", "draw", "JT-2026-0200", "--entropy", "福彩3D 2026-11-30: 517"]) == 0
    capsys.readouterr()
    assert main(["task", "draw", "JT-2026-0200", "--entropy", "福彩3D 2026-11-30: 518"]) == 75
    assert "one-time" in capsys.readouterr().err
    rec, roster, pool = tmp_path / "record.json", tmp_path / "roster.tsv", tmp_path / "pool.tsv"
    assert (
        main(["task", "record", "JT-2026-0200", "--out", str(rec), "--roster", str(roster), "--pool", str(pool)]) == 0
    )
    assert "(JDP-2)" in capsys.readouterr().out
    assert main(["verify", str(rec), "--roster", str(roster), "--pool", str(pool)]) == 0
    out = capsys.readouterr().out
    assert "JDP-2" in out and "福彩3D 2026-11-30 开奖号码" in out  # the entropy beside its declared source
    record = json.loads(rec.read_text())
    assert record["protocol"] == "JDP-2" and record["plan"]["entropy_source"] == "福彩3D 2026-11-30 开奖号码"
    assert len(record["selections"]) == 4 and record["entropy"] == "福彩3D 2026-11-30: 517"
    assert set(record["reveals"]) == {"hub", "HEALTH", "SAMR"}
    # the standalone verifier (one file, standard library only) agrees
    script = tmp_path / "jdp.py"
    shutil.copy(jdp.__file__, script)
    ok = subprocess.run(
        [sys.executable, "-I", str(script), "verify", str(rec), "--roster", str(roster), "--pool", str(pool)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    record["selections"][0]["team"].reverse()
    rec.write_text(json.dumps(record, ensure_ascii=False))
    assert main(["verify", str(rec), "--roster", str(roster), "--pool", str(pool)]) != 0
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert _actions(db, "JT-2026-0200") == [
        ("task.create", "cli"),
        ("task.commit", "hub"),
        ("task.commit", "liaison-HEALTH"),
        ("task.commit", "liaison-SAMR"),
        ("task.freeze", "cli"),
        ("task.reveal", "liaison-HEALTH"),
        ("task.reveal", "liaison-SAMR"),
        ("task.reveal", "hub"),
        ("task.draw_requested", "cli"),
        ("task.draw", "cli"),
        ("task.draw_refused", "cli"),
    ]
    assert main(["audit", "verify"]) == 0


@pytest.mark.parametrize("name", NAMES)
def test_draw_offline_command_reproduces_the_vectors(name, tmp_path, cli_env, capsys):
    base = VECTORS / name
    reveals = (VECTORS / f"{name}.reveals").read_text().split()
    entropy = (VECTORS / f"{name}.entropy.txt").read_text(encoding="utf-8")
    out = tmp_path / "record.json"
    args = [
        "draw",
        "offline",
        "--plan",
        f"{base}.plan.json",
        "--roster",
        f"{base}.roster.tsv",
        "--pool",
        f"{base}.pool.tsv",
        "--entropy",
        entropy,
        "--out",
        str(out),
    ]
    for r in reveals:
        args += ["--reveal", r]
    assert main(args) == 0
    assert out.read_bytes() == (VECTORS / f"{name}.record.json").read_bytes()
    assert (
        main(
            [
                "verify",
                str(VECTORS / f"{name}.record.json"),
                "--roster",
                f"{base}.roster.tsv",
                "--pool",
                f"{base}.pool.tsv",
            ]
        )
        == 0
    )
    for what in ("roster", "pool"):
        tampered = tmp_path / f"{what}.tsv"
        data = bytearray((VECTORS / f"{name}.{what}.tsv").read_bytes())
        data[5] ^= 0x01
        tampered.write_bytes(bytes(data))
        files = {"roster": f"{base}.roster.tsv", "pool": f"{base}.pool.tsv", what: str(tampered)}
        assert (
            main(["verify", str(VECTORS / f"{name}.record.json"), "--roster", files["roster"], "--pool", files["pool"]])
            != 0
        )
    record = json.loads((VECTORS / f"{name}.record.json").read_text(encoding="utf-8"))
    record["protocol"] = "JDP-3"
    (tmp_path / "jdp3.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    capsys.readouterr()
    assert (
        main(["verify", str(tmp_path / "jdp3.json"), "--roster", f"{base}.roster.tsv", "--pool", f"{base}.pool.tsv"])
        == 65
    )
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "'JDP-3'" in err


def _api(app, db):  # type: ignore[no-untyped-def]
    with db.unit_of_work() as s:
        add_user(s, "coord", ["coordinator"], agency="HEALTH")
        add_user(s, "insp", ["inspector"], inspector_id="HEALTH-001")
        for agency in sc.AGENCIES:
            add_user(s, f"liaison-{agency}", ["liaison"], agency=agency)
    with db.unit_of_work() as s:
        tokens = {name: create_token(s, name) for name in ("coord", "insp", "liaison-HEALTH", "liaison-SAMR")}
    client = app.test_client()
    return client, {name: {"Authorization": f"Bearer {t}"} for name, t in tokens.items()}


def test_lifecycle_through_the_api(app, db):
    sc.add_rosters(db)
    client, h = _api(app, db)
    resp = client.post("/api/v1/tasks", json=sc.task_spec("JT-2026-0300"), headers=h["coord"])
    assert resp.status_code == 201, resp.json
    task = client.get("/api/v1/tasks/JT-2026-0300", headers=h["coord"]).json
    assert task["protocol"] == "JDP-2" and task["entropy_source"] == "福彩3D 2026-11-30 开奖号码"
    hub = next(p for p in task["parties"] if p["party"] == "hub")
    assert hub["commitment"] and hub["committed_by"] == "hub" and "secret_hex" not in hub
    secrets = {p: lifecycle.new_secret() for p in sc.AGENCIES}
    url = "/api/v1/tasks/JT-2026-0300"
    assert client.post(f"{url}/freeze", headers=h["coord"]).status_code == 409
    health = {"party": "HEALTH", "commitment": jdp.commitment("HEALTH", secrets["HEALTH"], "sha256")}
    # a coordinator (even of HEALTH) and another agency's liaison may not commit for HEALTH
    assert client.post(f"{url}/commitments", json=health, headers=h["coord"]).status_code == 403
    assert client.post(f"{url}/commitments", json=health, headers=h["liaison-SAMR"]).status_code == 403
    hub_try = client.post(f"{url}/commitments", json={"party": "hub", "commitment": "a" * 64}, headers=h["coord"])
    assert hub_try.status_code == 409 and "committed already" in hub_try.json["detail"]
    for party, secret in secrets.items():
        body = {"party": party, "commitment": jdp.commitment(party, secret, "sha256")}
        r = client.post(f"{url}/commitments", json=body, headers=h[f"liaison-{party}"])
        assert r.status_code == 201, r.json
    assert client.get(f"{url}/assignments", headers=h["coord"]).json == []  # nothing before
    frozen = client.post(f"{url}/freeze", headers=h["coord"])
    assert frozen.status_code == 200 and frozen.json["state"] == "frozen"
    public = client.get(f"{url}/public").json
    assert public["protocol"] == "JDP-2" and public["reveals"] == {}
    wrong = client.post(f"{url}/reveals", json={"party": "SAMR", "secret_hex": "ab" * 16}, headers=h["liaison-SAMR"])
    assert wrong.status_code == 400 and "does not match" in wrong.json["detail"]
    as_other = client.post(
        f"{url}/reveals", json={"party": "SAMR", "secret_hex": secrets["SAMR"]}, headers=h["liaison-HEALTH"]
    )
    assert as_other.status_code == 403
    assert (
        client.post(f"{url}/reveals", json={"party": "hub", "secret_hex": "ab" * 16}, headers=h["coord"]).status_code
        == 409
    )
    for party, secret in secrets.items():
        r = client.post(f"{url}/reveals", json={"party": party, "secret_hex": secret}, headers=h[f"liaison-{party}"])
        assert r.status_code == 200, r.json
    assert "hub" not in client.get(f"{url}/public").json["reveals"]  # the hub reveals at the draw only
    no_entropy = client.post(f"{url}/draw", json={}, headers=h["coord"])
    assert no_entropy.status_code == 400 and "福彩3D 2026-11-30 开奖号码" in no_entropy.json["detail"]
    drawn = client.post(f"{url}/draw", json={"entropy": "517"}, headers=h["coord"])
    assert drawn.json["state"] == "drawn", drawn.json
    again = client.post(f"{url}/draw", json={"entropy": "518"}, headers=h["coord"])
    assert again.status_code == 409
    record = client.get(f"{url}/record").json
    assert record["protocol"] == "JDP-2" and record["entropy"] == "517"
    roster = client.get(f"{url}/roster.tsv").data.decode()
    pool = client.get(f"{url}/pool.tsv").data.decode()
    check = client.post("/api/v1/verify", json={"record": record, "roster": roster, "pool": pool}).json
    assert check == {"verified": True, "problems": []}
    record["seed"] = "0" * 64
    assert (
        client.post("/api/v1/verify", json={"record": record, "roster": roster, "pool": pool}).json["verified"] is False
    )
    refused = client.post(
        "/api/v1/verify", json={"record": dict(record, protocol="JDP-3"), "roster": roster, "pool": pool}
    )
    assert refused.status_code == 400 and "'JDP-3'" in refused.json["detail"]
    everything = client.get(f"{url}/assignments", headers=h["coord"]).json
    mine = client.get(f"{url}/assignments", headers=h["insp"]).json
    assert len(everything) == 4
    assert mine == [a for a in everything if "HEALTH-001" in a["team"]]
    assert client.post(f"{url}/void", json={"reason": "short"}, headers=h["coord"]).status_code == 400
    void = client.post(f"{url}/void", json={"reason": "抽取程序经法制审核需重新组织"}, headers=h["coord"])
    assert void.status_code == 200
    reuse = client.post("/api/v1/tasks", json=sc.task_spec("JT-2026-0300"), headers=h["coord"])
    assert reuse.status_code == 409


@pytest.mark.parametrize("name", NAMES)
def test_offline_draw_and_verify_through_the_api(app, db, name):
    client, h = _api(app, db)
    v = {
        suffix: (VECTORS / f"{name}.{suffix}").read_text(encoding="utf-8")
        for suffix in ("plan.json", "roster.tsv", "pool.tsv", "reveals", "entropy.txt", "record.json")
    }
    reveals = dict(line.split("=", 1) for line in v["reveals"].split())
    body = {
        "plan": json.loads(v["plan.json"]),
        "roster": v["roster.tsv"],
        "pool": v["pool.tsv"],
        "reveals": reveals,
        "entropy": v["entropy.txt"],
    }
    record = client.post("/api/v1/draws/offline", json=body, headers=h["insp"]).json
    assert record == json.loads(v["record.json"])
    checked = client.post("/api/v1/verify", json={"record": record, "roster": v["roster.tsv"], "pool": v["pool.tsv"]})
    assert checked.json == {"verified": True, "problems": []}
    body["plan"]["protocol"] = "JDP-3"
    refused = client.post("/api/v1/draws/offline", json=body, headers=h["insp"])
    assert refused.status_code == 400 and "'JDP-3'" in refused.json["detail"]


def test_a_failed_draw_names_entity_and_agency_records_nothing_and_voids_the_task(db, settings):
    scen = sc.committed_task(db, settings, "JT-2026-0400")
    with db.unit_of_work() as s:  # every HEALTH officer declared a conflict with one school
        s.execute(update(Inspector).where(Inspector.agency == "HEALTH").values(conflicts=["EDU:3701030001"]))
    lifecycle.freeze(db, settings, "JT-2026-0400", "t", history=RESULTS_HISTORY)
    for party, secret in scen.secrets.items():
        lifecycle.reveal(db, "JT-2026-0400", party, secret, sc.liaison_of(party))
    lifecycle.request_draw(db, "JT-2026-0400", "517", "t")
    from hub.draw.services import run_draw

    with pytest.raises(DrawError) as err:
        run_draw(db, settings, "JT-2026-0400", "t")
    assert "EDU:3701030001" in str(err.value) and "HEALTH" in str(err.value)
    with db.unit_of_work() as s:
        task = s.get(JointTask, "JT-2026-0400")
        assert (task.state, task.seed, task.draw_status) == ("void", None, "failed")
        assert "a failed draw voids the task" in (task.void_reason or "")
        assert s.scalars(select(Assignment).where(Assignment.task_id == "JT-2026-0400")).first() is None
    assert ("task.draw_failed", "t") in _actions(db, "JT-2026-0400")
    with pytest.raises(Conflict):  # no second try, with this entropy or any other
        lifecycle.request_draw(db, "JT-2026-0400", "517", "t")
    with pytest.raises(Conflict):
        run_draw(db, settings, "JT-2026-0400", "t")


def test_entropy_grinding_is_refused(db, settings):
    """The attack of issue 13: after the reveals, try entropy strings until a chosen entity is drawn. It works
    on paper once every secret is known; the hub fixes the entropy once, so the string found is refused."""
    sc.add_rosters(db)
    spec = sc.task_spec("JT-2026-0450")
    spec["strata"]["ratio"] = 0.5  # one of the two schools of each district
    lifecycle.create_task(db, settings, spec, "t")
    secrets = {party: lifecycle.new_secret() for party in sc.AGENCIES}
    for party, secret in secrets.items():
        liaison = sc.liaison_of(party) if _has_user(db, sc.liaison_of(party)) else _make_liaison(db, party)
        lifecycle.commit(db, "JT-2026-0450", party, jdp.commitment(party, secret, "sha256"), liaison)
    lifecycle.freeze(db, settings, "JT-2026-0450", "t", history=RESULTS_HISTORY)
    for party, secret in secrets.items():
        lifecycle.reveal(db, "JT-2026-0450", party, secret, sc.liaison_of(party))
    # Before the draw request the hub's secret is unrevealed: nobody can compute a seed to grind with.
    assert next(p for p in lifecycle.parties(db, "JT-2026-0450") if p["party"] == "hub")["secret_hex"] is None
    lifecycle.request_draw(db, "JT-2026-0450", "first value", "t")
    from hub.draw.services import run_draw

    record = run_draw(db, settings, "JT-2026-0450", "t")
    drawn = {sel["entity_id"] for sel in record["selections"]}
    roster, _ = _frozen(db, "JT-2026-0450")
    lines = [line.split(b"\t") for line in roster.splitlines()]
    target = next(line[0].decode() for line in lines if line[0].decode() not in drawn)
    # Grind, now that every secret is public: a handful of strings finds one that would draw the target.
    found = None
    for n in range(200):
        seed = jdp.compute_seed(
            record["plan_digest"],
            record["roster_digest"],
            record["pool_digest"],
            record["reveals"],
            f"value {n}",
            "sha256",
            "JDP-2",
        )
        chosen = {
            e.entity_id for _, e in jdp.plain_select(jdp.parse_roster(roster), record["plan"]["quotas"], seed, "sha256")
        }
        if target in chosen:
            found = f"value {n}"
            break
    assert found is not None, "the attack should find a string within a few tries"
    with pytest.raises(Conflict):  # ... but the draw is one-time and its entropy was fixed
        lifecycle.request_draw(db, "JT-2026-0450", found, "t")
    with db.unit_of_work() as s:
        task = s.get(JointTask, "JT-2026-0450")
        assert (task.entropy, task.seed) == ("first value", record["seed"])
    actions = [a for a, _ in _actions(db, "JT-2026-0450")]
    assert actions.count("task.draw_requested") == 1 and "task.draw_refused" in actions


def test_entropy_is_entered_once_and_only_from_a_declared_source(db, settings):
    scen = sc.frozen_task(db, settings, "JT-2026-0460")
    with pytest.raises(InvalidInput, match="福彩3D 2026-11-30 开奖号码"):
        lifecycle.request_draw(db, scen.task_id, "", "t")
    with db.unit_of_work() as s:  # the job was lost: the request may be made again, with the same value only
        s.execute(update(JointTask).where(JointTask.id == scen.task_id).values(entropy="517", draw_status="failed"))
    with pytest.raises(Conflict, match="entered once"):
        lifecycle.request_draw(db, scen.task_id, "518", "t")
    lifecycle.request_draw(db, scen.task_id, "517", "t")
    # a task that declared no source takes no entropy at all
    spec = dict(sc.task_spec("JT-2026-0461"))
    del spec["entropy_source"]
    lifecycle.create_task(db, settings, spec, "t")
    for party in sc.AGENCIES:
        lifecycle.commit(
            db, "JT-2026-0461", party, jdp.commitment(party, scen.secrets[party], "sha256"), sc.liaison_of(party)
        )
    lifecycle.freeze(db, settings, "JT-2026-0461", "t", history=RESULTS_HISTORY)
    for party in sc.AGENCIES:
        lifecycle.reveal(db, "JT-2026-0461", party, scen.secrets[party], sc.liaison_of(party))
    with pytest.raises(InvalidInput, match="no entropy source"):
        lifecycle.request_draw(db, "JT-2026-0461", "any string I like", "t")
    lifecycle.request_draw(db, "JT-2026-0461", "", "t")


def test_the_hub_secret_shows_nowhere_before_the_draw(app, db, settings):
    scen = sc.frozen_task(db, settings, "JT-2026-0470")
    with db.unit_of_work() as s:
        secret = s.get(HubSecret, scen.task_id).secret_hex
    client, h = _api(app, db)
    answers = [
        client.get(f"/api/v1/tasks/{scen.task_id}", headers=h["coord"]).data,
        client.get(f"/api/v1/tasks/{scen.task_id}/public").data,
        client.get(f"/public/tasks/{scen.task_id}").data,
        client.get("/api/v1/tasks", headers=h["coord"]).data,
    ]
    with db.unit_of_work() as s:
        answers += [json.dumps(a.details).encode() for a in s.scalars(select(AuditEntry))]
    assert all(secret.encode() not in answer for answer in answers)
    lifecycle.request_draw(db, scen.task_id, "517", "t")
    assert secret.encode() in client.get(f"/api/v1/tasks/{scen.task_id}/public").data  # revealed at the draw


def test_a_witness_commits_and_reveals_only_through_its_own_account(db, settings):
    sc.add_rosters(db)
    with db.unit_of_work() as s:
        add_user(s, "legal-office", ["auditor"])
        add_user(s, "coord", ["coordinator", "admin"])
    lifecycle.create_task(db, settings, sc.task_spec("JT-2026-0480"), "coord")
    with pytest.raises(InvalidInput, match="own account"):
        lifecycle.add_party(db, "JT-2026-0480", "LEGAL", "coord")
    lifecycle.add_party(db, "JT-2026-0480", "LEGAL", "coord", account="legal-office")
    secret = lifecycle.new_secret()
    commitment = jdp.commitment("LEGAL", secret, "sha256")
    with pytest.raises(Forbidden, match="legal-office"):
        lifecycle.commit(db, "JT-2026-0480", "LEGAL", commitment, "coord")  # not even an admin
    lifecycle.commit(db, "JT-2026-0480", "LEGAL", commitment, "legal-office")
    with pytest.raises(Forbidden):
        lifecycle.commit(db, "JT-2026-0480", "HEALTH", "a" * 64, "legal-office")


def test_freeze_needs_every_commitment_and_the_hub_commits_by_itself(db, settings):
    sc.add_rosters(db)
    lifecycle.create_task(db, settings, sc.task_spec("JT-2026-0500"), "t")
    with db.unit_of_work() as s:
        hub = s.get(TaskParty, ("JT-2026-0500", "hub"))
        assert hub.commitment and hub.committed_by == "hub" and hub.secret_hex is None
    with pytest.raises(Conflict, match="cannot freeze: no commitment yet from HEALTH, SAMR"):
        with db.unit_of_work() as s:
            s.execute(update(JointTask).where(JointTask.id == "JT-2026-0500").values(state="committing"))
        lifecycle.freeze(db, settings, "JT-2026-0500", "t", history=RESULTS_HISTORY)
    with pytest.raises(Conflict, match="committed already"):
        lifecycle.commit(db, "JT-2026-0500", "hub", "a" * 64, "t")
    with pytest.raises(InvalidInput, match="not a party"):
        lifecycle.commit(db, "JT-2026-0500", "CIVIL", "a" * 64, "t")


def test_a_task_whose_agency_lists_no_items_is_refused_at_creation(db, settings):
    sc.add_rosters(db)
    spec = sc.task_spec("JT-2026-0550")
    spec["team"][1]["items"] = []
    with pytest.raises(InvalidInput, match="agency SAMR lists no inspection items"):
        lifecycle.create_task(db, settings, spec, "t")
    spec = sc.task_spec("JT-2026-0551")
    spec["agencies"] = [*spec["agencies"], "EDU"]
    with pytest.raises(InvalidInput, match="agency EDU has no"):
        lifecycle.create_task(db, settings, spec, "t")
    with db.unit_of_work() as s:
        assert s.scalars(select(JointTask)).first() is None


def test_freezing_an_infeasible_task_reports_the_shortfall_and_keeps_it(db, settings):
    scen = sc.committed_task(db, settings, "JT-2026-0600")
    with db.unit_of_work() as s:
        s.execute(update(Inspector).where(Inspector.agency == "SAMR").values(active=False))
    with pytest.raises(DrawError, match="SAMR"):
        lifecycle.freeze(db, settings, scen.task_id, "t", history=RESULTS_HISTORY)
    with db.unit_of_work() as s:
        task = s.get(JointTask, scen.task_id)
        assert task.state == "committing" and task.feasibility and not task.feasibility["ok"]
        assert s.scalars(select(FrozenChunk)).first() is None  # nothing of the files was kept


def test_a_freeze_selecting_nothing_is_refused(db, settings):
    scen = sc.committed_task(db, settings, "JT-2026-0650")
    with db.unit_of_work() as s:
        task = s.get(JointTask, scen.task_id)
        task.spec = dict(task.spec, strata=dict(task.spec["strata"], counts={"370102|school": 0, "370103|school": 0}))
    with pytest.raises(DrawError, match="select no entity"):
        lifecycle.freeze(db, settings, scen.task_id, "t", history=RESULTS_HISTORY)


def _frozen(db, task_id):  # type: ignore[no-untyped-def]
    from hub.draw.publication import frozen_files

    return frozen_files(db, task_id)


def test_frozen_files_altered_in_the_database_are_refused_at_the_draw(db, settings):
    scen = sc.frozen_task(db, settings, "JT-2026-0700")
    with db.unit_of_work() as s:
        piece = s.get(FrozenChunk, (scen.task_id, "pool", 0))
        piece.data = piece.data.replace(b"HEALTH-001", b"HEALTH-009")
    lifecycle.request_draw(db, scen.task_id, "517", "t")
    from hub.draw.services import run_draw

    with pytest.raises(DrawError, match="digest"):
        run_draw(db, settings, scen.task_id, "t")


def test_a_task_created_under_jdp1_keeps_jdp1_to_the_end(db, settings, tmp_path):
    """A task from before JDP-2: protocol JDP-1, the hub's secret in a coordinator's file (as it was then)."""
    sc.add_rosters(db)
    lifecycle.create_task(db, settings, sc.task_spec("JT-2026-0800"), "t")
    with db.unit_of_work() as s:  # what the migration leaves of a task created before it
        s.execute(delete(HubSecret).where(HubSecret.task_id == "JT-2026-0800"))
        s.execute(
            update(TaskParty)
            .where(TaskParty.task_id == "JT-2026-0800", TaskParty.party == "hub")
            .values(commitment=None, committed_at=None, committed_by=None)
        )
        s.execute(update(JointTask).where(JointTask.id == "JT-2026-0800").values(protocol="JDP-1"))
    lifecycle.commit_with_secret_file(db, "JT-2026-0800", "hub", tmp_path / "hub", "t")
    secrets = {"hub": lifecycle.read_secret(tmp_path / "hub")}
    for party in sc.AGENCIES:
        secrets[party] = lifecycle.new_secret()
        lifecycle.commit(
            db,
            "JT-2026-0800",
            party,
            jdp.commitment(party, secrets[party], "sha256", "JDP-1"),
            sc.liaison_of(party) if _has_user(db, sc.liaison_of(party)) else _make_liaison(db, party),
        )
    lifecycle.freeze(db, settings, "JT-2026-0800", "t", history=RESULTS_HISTORY)
    for party, secret in secrets.items():
        lifecycle.reveal(db, "JT-2026-0800", party, secret, sc.liaison_of(party) if party != "hub" else "t")
    lifecycle.request_draw(db, "JT-2026-0800", "517", "t")
    from hub.draw.services import run_draw

    record = run_draw(db, settings, "JT-2026-0800", "t")
    assert record["protocol"] == record["plan"]["protocol"] == "JDP-1"
    roster, pool = _frozen(db, "JT-2026-0800")
    assert jdp.verify(record, roster, pool) == []


def _has_user(db, name):  # type: ignore[no-untyped-def]
    from hub.auth.models import User

    with db.unit_of_work() as s:
        return s.scalar(select(User).where(User.name == name)) is not None


def _make_liaison(db, agency):  # type: ignore[no-untyped-def]
    with db.unit_of_work() as s:
        add_user(s, sc.liaison_of(agency), ["liaison"], agency=agency)
    return sc.liaison_of(agency)
