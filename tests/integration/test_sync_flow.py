"""Roster exchange end to end: the hub's sync against sandbox agencies over loopback HTTP."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import tomli_w
from sqlalchemy import func, select

from connectors.http import RetryPolicy, SignedSession
from connectors.sandboxes import data
from connectors.sandboxes.edu import EduSandbox
from connectors.sandboxes.samr import SamrSandbox
from connectors.sandboxes.server import Faults
from hub.connections import connector_settings
from hub.errors import UpstreamError
from hub.rosters.models import Entity, EntitySource, QuarantineRecord, SyncRun
from hub.rosters.sync import run_sync

APP_ID, SECRET = "hub-370100", "sync-test-secret"
FAST = RetryPolicy(attempts=12, base_delay=0.001, max_delay=0.01, max_retry_after=0.01)
CATEGORIES = {"H61": "hotel", "Q85": "eldercare", "P83": "school"}


def _settings(make_settings, **sources):  # type: ignore[no-untyped-def]
    conf = {
        "sources": {
            name: {"app_id": APP_ID, "app_secret_env": "HUB_T_SECRET", **body} for name, body in sources.items()
        }
    }
    return make_settings(conf, env={"HUB_T_SECRET": SECRET})


def _fast_http(settings, name):  # type: ignore[no-untyped-def]
    return SignedSession(connector_settings(settings.sources[name]), FAST, sleep=lambda s: None)


def _expected(sandbox: SamrSandbox) -> tuple[dict[str, dict], dict[str, str]]:
    """(valid items by uscc, spoiled field by record key) straight from the generator."""
    valid, invalid = {}, {}
    for i in range(sandbox.count):
        item, clean = sandbox.entity(i), data.samr_entity(sandbox.seed, i, 0.0)
        if item == clean:
            valid[item["uscc"]] = item
        else:
            invalid[item["uscc"]] = next(k for k in clean if item.get(k) != clean[k])
    return valid, invalid


def _master(db) -> dict[str, tuple]:  # type: ignore[no-untyped-def]
    with db.unit_of_work() as s:
        return {
            e.entity_id: (
                e.name,
                e.district,
                e.status,
                e.entity_type,
                e.credit_class,
                e.address,
                e.abnormal_list,
                e.serious_violation,
                tuple(e.categories),
                e.active,
            )
            for e in s.scalars(select(Entity))
        }


def _check_master_matches(db, valid: dict, invalid: dict) -> None:  # type: ignore[no-untyped-def]
    with db.unit_of_work() as s:
        entities = {e.entity_id: e for e in s.scalars(select(Entity))}
        quarantine = {q.record_key: q.reason for q in s.scalars(select(QuarantineRecord))}
    assert set(entities) == set(valid)
    for uscc, item in valid.items():
        e = entities[uscc]
        assert (e.name, e.district, e.status, e.entity_type, e.credit_class, e.address, e.legal_rep) == (
            item["name"],
            item["district"],
            item["status"],
            item["entity_type"],
            item["credit_class"],
            item["address"],
            item["legal_rep"],
        )
        assert (e.abnormal_list, e.serious_violation) == (item["abnormal_list"], item["serious_violation"])
        assert e.established.isoformat() == item["established"]
        prefix = next((p for p in sorted(CATEGORIES, key=len, reverse=True) if item["industry"].startswith(p)), None)
        assert e.categories == ([CATEGORIES[prefix]] if prefix else [])
    assert set(quarantine) == set(invalid)
    for key, field in invalid.items():
        assert quarantine[key].startswith(field), (key, field, quarantine[key])


@pytest.fixture
def faulty_samr():  # type: ignore[no-untyped-def]
    # 20% of requests fail: 5xx, 429 and dropped connections; 5% of records invalid.
    faults = Faults(error_5xx=0.08, too_many=0.06, drop=0.06, retry_after=0, seed=5)
    server = SamrSandbox({APP_ID: SECRET}, faults=faults, entities=1200, seed=21, invalid_share=0.05).start()
    yield server
    server.stop()


def test_sync_through_faults_stores_every_valid_record_and_quarantines_the_rest(make_settings, db, faulty_samr):
    settings = _settings(
        make_settings, samr={"kind": "samr-rest", "url": faulty_samr.url, "categories": CATEGORIES, "page_size": 25}
    )
    valid, invalid = _expected(faulty_samr)
    assert invalid, "the sandbox should serve some invalid records"
    run = run_sync(db, settings, "samr", http=_fast_http(settings, "samr"))
    assert faulty_samr.stats["faults"] >= 5
    assert run.outcome == "ok"
    assert run.fetched == faulty_samr.count
    assert run.fetched == run.inserted + run.updated + run.unchanged + run.quarantined
    assert (run.inserted, run.quarantined) == (len(valid), len(invalid))
    _check_master_matches(db, valid, invalid)

    before = _master(db)
    again = run_sync(db, settings, "samr", http=_fast_http(settings, "samr"))
    assert (again.inserted, again.updated) == (0, 0)
    assert _master(db) == before


def test_corrected_record_leaves_the_quarantine(make_settings, db):
    server = SamrSandbox({APP_ID: SECRET}, entities=300, seed=4, invalid_share=0.1).start()
    try:
        settings = _settings(make_settings, samr={"kind": "samr-rest", "url": server.url})
        run_sync(db, settings, "samr", http=_fast_http(settings, "samr"))
        _valid, invalid = _expected(server)
        bad_index = next(
            i
            for i in range(server.count)
            if server.entity(i)["uscc"] in invalid
            and server.entity(i)["uscc"] == data.samr_entity(server.seed, i)["uscc"]
        )
        key = server.entity(bad_index)["uscc"]
        clean = data.samr_entity(server.seed, bad_index)
        server.touch(indices=[bad_index], changes={k: clean[k] for k in clean if k not in ("uscc", "updated_at")})
        run_sync(db, settings, "samr", http=_fast_http(settings, "samr"))
        with db.unit_of_work() as s:
            assert s.scalar(select(QuarantineRecord).where(QuarantineRecord.record_key == key)) is None
            assert s.scalar(select(Entity).where(Entity.entity_id == key)).name == clean["name"]
    finally:
        server.stop()


def test_sync_killed_mid_run_and_restarted_ends_in_the_same_state(make_settings, db, tmp_path):
    faults = Faults(slow=1.0, slow_seconds=0.05)
    group = 5000  # the source's commit_every
    total = 4 * group  # several commits' worth, so the kill lands between two of them
    server = SamrSandbox({APP_ID: SECRET}, faults=faults, entities=total, seed=9, invalid_share=0.05).start()
    try:
        config = {
            "sources": {
                "samr": {
                    "kind": "samr-rest",
                    "url": server.url,
                    "app_id": APP_ID,
                    "app_secret_env": "HUB_T_SECRET",
                    "page_size": 250,
                    "commit_every": group,
                    "categories": CATEGORIES,
                }
            }
        }
        path = tmp_path / "kill.toml"
        path.write_text(tomli_w.dumps(config))
        settings = _settings(make_settings, samr=config["sources"]["samr"])
        env = {
            **os.environ,
            "HUB_CONFIG": str(path),
            "HUB_T_SECRET": SECRET,
            "HUB_DATABASE_URL": settings.database_url,
            "HUB_DATA_DIR": str(settings.data_dir),
            "HUB_SECRET_KEY": "x",
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "hub.cli", "sync", "samr"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 60
        stored = 0
        while time.monotonic() < deadline and stored < group:
            time.sleep(0.2)
            with db.unit_of_work() as s:
                stored = s.scalar(select(func.count()).select_from(EntitySource)) or 0
        assert proc.poll() is None, proc.communicate()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert 0 < stored < total
        server.set_faults({"slow": 0.0})
        run = run_sync(db, settings, "samr", http=_fast_http(settings, "samr"))
        assert run.outcome == "ok"
        with db.unit_of_work() as s:
            outcomes = [r.outcome for r in s.scalars(select(SyncRun).order_by(SyncRun.id))]
        assert outcomes == ["interrupted", "ok"]
        valid, invalid = _expected(server)
        _check_master_matches(db, valid, invalid)
    finally:
        server.stop()


def test_malformed_page_fails_the_run_and_keeps_what_was_stored(make_settings, db):
    server = SamrSandbox({APP_ID: SECRET}, entities=400, seed=3).start()
    try:
        settings = _settings(make_settings, samr={"kind": "samr-rest", "url": server.url, "page_size": 100})
        run_sync(db, settings, "samr", http=_fast_http(settings, "samr"))
        before = _master(db)
        server.touch(count=50)
        server.set_faults({"malformed": 1.0})
        with pytest.raises(UpstreamError) as err:
            run_sync(db, settings, "samr", http=_fast_http(settings, "samr"), full=True)
        assert "JSON" in str(err.value) or "items" in str(err.value)
        assert _master(db) == before
        with db.unit_of_work() as s:
            last = s.scalars(select(SyncRun).order_by(SyncRun.id.desc())).first()
            assert last.outcome == "failed" and last.error
    finally:
        server.stop()


def test_broken_xml_feed_applies_nothing_and_snapshot_deactivates_missing(make_settings, db):
    server = EduSandbox({APP_ID: SECRET}, schools=120, seed=5).start()
    try:
        settings = _settings(
            make_settings, schools={"kind": "edu-xml", "url": server.url + "/feeds/schools.xml", "category": "school"}
        )
        first = run_sync(db, settings, "schools", http=_fast_http(settings, "schools"))
        assert first.inserted == 120 and first.outcome == "ok"
        before = _master(db)
        codes = [s["code"] for s in server.schools[:5]]
        server.remove(codes)
        server.truncate = True
        with pytest.raises(UpstreamError) as err:
            run_sync(db, settings, "schools", http=_fast_http(settings, "schools"))
        assert "line" in str(err.value)
        assert _master(db) == before
        server.truncate = False
        run = run_sync(db, settings, "schools", http=_fast_http(settings, "schools"))
        assert run.deactivated == 5
        with db.unit_of_work() as s:
            inactive = {e.entity_id for e in s.scalars(select(Entity).where(Entity.active.is_(False)))}
            total = s.scalar(select(func.count()).select_from(Entity))
        assert len(inactive) == 5 and total == 120  # inactive, never deleted
    finally:
        server.stop()


def test_hub_sync_command_prints_counts_and_fails_with_one_line(make_settings, tmp_path, db):
    server = SamrSandbox({APP_ID: SECRET}, entities=200, seed=8).start()
    try:
        config = {
            "sources": {
                "samr": {"kind": "samr-rest", "url": server.url, "app_id": APP_ID, "app_secret_env": "HUB_T_SECRET"}
            }
        }
        path = tmp_path / "cli.toml"
        path.write_text(tomli_w.dumps(config))
        settings = _settings(make_settings)
        env = {
            **os.environ,
            "HUB_T_SECRET": SECRET,
            "HUB_DATABASE_URL": settings.database_url,
            "HUB_DATA_DIR": str(settings.data_dir),
            "HUB_SECRET_KEY": "x",
        }
        hub = [sys.executable, "-m", "hub.cli", "--config", str(path)]
        ok = subprocess.run([*hub, "sync", "samr"], env=env, capture_output=True, text=True, timeout=120)
        assert ok.returncode == 0, ok.stderr
        assert "inserted 200" in ok.stdout
        bad = subprocess.run([*hub, "sync", "nope"], env=env, capture_output=True, text=True, timeout=60)
        assert bad.returncode != 0
        assert bad.stderr.strip().count("\n") == 0 and "no source named 'nope'" in bad.stderr
        wrong = dict(env, HUB_T_SECRET="not-the-secret")
        denied = subprocess.run([*hub, "sync", "samr"], env=wrong, capture_output=True, text=True, timeout=60)
        assert denied.returncode != 0 and "401" in denied.stderr
        assert "not-the-secret" not in denied.stderr + denied.stdout
        export = subprocess.run(
            [*hub, "export", "entities", "--format", "csv"], env=env, capture_output=True, text=True, timeout=60
        )
        lines = export.stdout.splitlines()
        assert lines[0].startswith(
            "entity_id,uscc,name,entity_type,district,address,status,categories,"
            "credit_class,abnormal_list,serious_violation,sources"
        )
        assert len(lines) == 201
    finally:
        server.stop()


def test_inspector_roster_sync_deactivates_officers_no_longer_listed(make_settings, db):
    from connectors.sandboxes.inspectors import InspectorsSandbox
    from hub.rosters.models import Inspector

    server = InspectorsSandbox({APP_ID: SECRET}, agencies={"HEALTH": 6, "SAMR": 4}, seed=2).start()
    try:
        settings = _settings(make_settings, officers={"kind": "inspectors-rest", "url": server.url})
        run = run_sync(db, settings, "officers", http=_fast_http(settings, "officers"))
        assert run.inserted + run.quarantined == 10
        with db.unit_of_work() as s:
            assert s.scalar(select(func.count()).select_from(Inspector)) == run.inserted
    finally:
        server.stop()


def test_sync_path_is_importable_without_flask_for_connectors() -> None:
    """connectors/ knows nothing of the hub's models."""
    root = Path(__file__).resolve().parents[2] / "connectors"
    offenders = [
        p.name
        for p in root.rglob("*.py")
        if "hub." in p.read_text()
        and "models" in p.read_text()
        and "from hub" in p.read_text()
        and ".models" in p.read_text()
    ]
    assert offenders == []


def test_full_resync_of_an_unchanged_roster_rewrites_nothing_and_a_changed_record_is_updated(make_settings, db):
    server = SamrSandbox({APP_ID: SECRET}, entities=1500, seed=6, invalid_share=0.05).start()
    try:
        settings = _settings(
            make_settings,
            samr={
                "kind": "samr-rest",
                "url": server.url,
                "page_size": 200,
                "categories": CATEGORIES,
                "commit_every": 400,
            },
        )
        valid, invalid = _expected(server)
        first = run_sync(db, settings, "samr", http=_fast_http(settings, "samr"))
        assert (first.inserted, first.quarantined) == (len(valid), len(invalid))
        before = _master(db)
        again = run_sync(db, settings, "samr", http=_fast_http(settings, "samr"), full=True)
        assert (again.inserted, again.updated, again.unchanged, again.quarantined) == (0, 0, len(valid), len(invalid))
        assert _master(db) == before
        with db.unit_of_work() as s:  # no source link was written again
            assert {r for (r,) in s.execute(select(EntitySource.run_id))} == {first.id}
        touched = set(server.touch(count=40)) & set(valid)  # valid ones stay valid (a field changes to a valid value)
        changed = run_sync(db, settings, "samr", http=_fast_http(settings, "samr"), full=True)
        assert changed.inserted == 0 and changed.updated >= len(touched)
        assert changed.unchanged == len(valid) - len(touched)
        items = {item["uscc"]: item for item in map(server.entity, range(server.count))}
        with db.unit_of_work() as s:
            for e in s.scalars(select(Entity).where(Entity.entity_id.in_(touched))):
                item = items[e.entity_id]
                assert (e.status, e.credit_class, e.abnormal_list, e.address, e.legal_rep) == (
                    item["status"],
                    item["credit_class"],
                    item["abnormal_list"],
                    item["address"],
                    item["legal_rep"],
                )
    finally:
        server.stop()
