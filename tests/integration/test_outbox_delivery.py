"""Outbox delivery end to end: approved results' messages pushed to the sink sandboxes over
loopback — through faults, a killed worker, rejections, and `hub push`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from sqlalchemy import func, select

from connectors.sandboxes.sinks import start_sinks
from hub.db import Database
from hub.outbox.delivery import drain, pending_count, requeue_rejected
from hub.outbox.models import DeliveryAttempt, OutboxMessage
from hub.outbox.services import enqueue

from .outbox_factory import (
    APP_ID,
    SECRET,
    SECRET_ENV,
    TASK_ID,
    expected_by_sink,
    insert_approved_results,
    sink_config,
    sink_settings,
)

# Each sandbox fails about 30% of requests, every way a sink can: 1 - .90*.91*.95*.91 ≈ 0.29.
THIRTY_PERCENT = {"error_5xx": 0.10, "drop": 0.09, "slow": 0.05, "slow_seconds": 1.5, "error_after_store": 0.09}
# The worker that gets killed writes claims this short, so the test need not wait out 120 s.
KILLED_WORKER_CLAIM_SECONDS = 3
SHORT_LEASE_WORKER = (
    "import sys; import hub.outbox.delivery as d; d.CLAIM_SECONDS = float(sys.argv[1]); "
    "from hub.cli import main; sys.exit(main(sys.argv[2:]))"
)


@pytest.fixture
def sandboxes() -> Iterator[dict[str, Any]]:
    servers = start_sinks(APP_ID, SECRET)
    yield servers
    for server in servers.values():
        server.stop()


def _rows(db: Database) -> dict[tuple[str, str], OutboxMessage]:
    with db.unit_of_work() as s:
        return {(r.sink, r.key): r for r in s.scalars(select(OutboxMessage))}


def _states(db: Database) -> Counter[str]:
    with db.unit_of_work() as s:
        return Counter(dict(s.execute(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)).all()))


def _assert_each_accepted_once(sandboxes: dict[str, Any], expected: dict[str, set[str]]) -> None:
    for name, ids in expected.items():
        counts = sandboxes[name].accepted_counts
        assert set(counts) == ids, f"{name}: {len(ids - set(counts))} missing, {len(set(counts) - ids)} unexpected"
        twice = {k: v for k, v in counts.items() if v != 1}
        assert not twice, f"{name}: accepted more than once: {list(twice.items())[:5]}"


def _drain_until_empty(db: Database, settings: Any, seconds: float) -> None:
    """What `hub push` does, repeated until nothing is pending or the time is up."""
    deadline = time.monotonic() + seconds
    while pending_count(db) and time.monotonic() < deadline:
        drain(db, settings, respect_backoff=False, deadline=deadline)


@pytest.mark.slow
def test_10000_results_pushed_through_30_percent_faults_are_each_accepted_exactly_once(make_settings, db):
    faults = {"provincial": {**THIRTY_PERCENT, "seed": 11}, "credit": {**THIRTY_PERCENT, "seed": 12}}
    sandboxes = start_sinks(APP_ID, SECRET, faults=faults)
    try:
        settings = sink_settings(make_settings, sandboxes, timeout=1.0, attempts=2)
        seeded = insert_approved_results(db, settings, 10_000)
        assert _states(db) == {"pending": 10_000 + 9_000}
        _drain_until_empty(db, settings, seconds=300)  # ends when nothing is pending
        assert _states(db) == {"delivered": 19_000}
        _assert_each_accepted_once(sandboxes, expected_by_sink(seeded))
        for name, server in sandboxes.items():
            assert server.stats["faults"] > 0, name
        with db.unit_of_work() as s:
            failed = s.scalar(select(func.count()).select_from(DeliveryAttempt).where(DeliveryAttempt.ok.is_(False)))
        assert failed  # some batches failed even after the sinks' own quick retries
    finally:
        for server in sandboxes.values():
            server.stop()


def _hub_env(settings: Any, config: Path, broker_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "HUB_CONFIG": str(config),
        "HUB_DATABASE_URL": settings.database_url,
        "HUB_DATA_DIR": str(settings.data_dir),
        "HUB_SECRET_KEY": "x",
        "HUB_BROKER_URL": broker_url,
        SECRET_ENV: SECRET,
    }


def _start_worker(env: dict[str, str], log: Path, claim_seconds: float | None = None) -> subprocess.Popen:
    """`hub worker` in its own process group (so SIGKILL takes its pool children too)."""
    if claim_seconds is None:
        cmd = [sys.executable, "-m", "hub.cli", "worker", "--concurrency", "2"]
    else:
        cmd = [sys.executable, "-c", SHORT_LEASE_WORKER, str(claim_seconds), "worker", "--concurrency", "1"]
    with open(log, "ab") as out:
        return subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def _kill(proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _claimed(db: Database) -> int:
    with db.unit_of_work() as s:
        return (
            s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.claimed_by.is_not(None))) or 0
        )


@pytest.mark.redis
@pytest.mark.slow
def test_worker_killed_mid_batch_and_restarted_delivers_each_result_exactly_once(
    make_settings, db, tmp_path, redis_db_url, sandboxes
):
    from hub import create_app
    from hub.outbox.jobs import drain_outbox

    config = tmp_path / "push.toml"
    config.write_text(tomli_w.dumps(sink_config(sandboxes, timeout=10.0)), encoding="utf-8")
    settings = sink_settings(make_settings, sandboxes, timeout=10.0, broker_url=redis_db_url)
    seeded = insert_approved_results(db, settings, 1_000)
    app = create_app(settings)
    env, log = _hub_env(settings, config, redis_db_url), tmp_path / "worker.log"
    provincial = sandboxes["provincial"]
    for server in sandboxes.values():
        server.set_faults({"slow": 1.0, "slow_seconds": 0.5})
    workers = [_start_worker(env, log, claim_seconds=KILLED_WORKER_CLAIM_SECONDS)]
    try:
        with app.app_context():
            drain_outbox.delay()
        deadline = time.monotonic() + 60
        while not (provincial.stats["requests"] and _claimed(db)) and time.monotonic() < deadline:
            assert workers[0].poll() is None, log.read_text(errors="replace")
            time.sleep(0.02)
        assert provincial.stats["requests"], log.read_text(errors="replace")
        _kill(workers[0])  # a results batch is on the wire; the sandbox stores it, nobody hears back
        killed_pending, killed_claimed = pending_count(db), _claimed(db)
        assert killed_pending > 0 and killed_claimed > 0

        for server in sandboxes.values():
            server.set_faults({"slow": 0.0})
        workers.append(_start_worker(env, log))
        deadline = time.monotonic() + 60
        while pending_count(db) and time.monotonic() < deadline:
            with app.app_context():  # again until the killed worker's claims have expired
                drain_outbox.delay()
            time.sleep(2)
            assert workers[1].poll() is None, log.read_text(errors="replace")
    finally:
        for proc in workers:
            _kill(proc, signal.SIGTERM)
        app.extensions["celery"].control.purge()
    assert _states(db) == {"delivered": 1_000 + 900}, log.read_text(errors="replace")[-3000:]
    _assert_each_accepted_once(sandboxes, expected_by_sink(seeded))
    assert sum(provincial.duplicate_counts.values()) > 0  # the batch in flight went again


def test_rejected_result_waits_with_its_reason_until_requeued(make_settings, db, sandboxes):
    settings = sink_settings(make_settings, sandboxes)
    seeded = insert_approved_results(db, settings, 20)
    unknown_here, unknown_there = seeded[1], seeded[2]
    sandboxes["provincial"].reject_entities = {unknown_here.entity_id}
    sandboxes["credit"].reject_usccs = {unknown_there.uscc}

    report = drain(db, settings, respect_backoff=False)
    assert report.rejected == 2 and report.delivered == 20 + 18 - 2
    rows = _rows(db)
    here = rows[("provincial", unknown_here.result_id)]
    there = rows[("credit", unknown_there.result_id)]
    assert (here.state, here.reject_code) == ("rejected", "P102")
    assert unknown_here.entity_id in here.last_error
    assert (there.state, there.reject_code, there.last_error) == ("rejected", "E103", "检查对象未在本系统登记")
    assert rows[("credit", unknown_here.result_id)].state == "delivered"

    again = drain(db, settings, respect_backoff=False)  # a rejection waits for a person
    assert (again.batches, again.delivered, again.rejected) == (0, 0, 0)
    assert sandboxes["provincial"].rejected_counts == {unknown_here.result_id: 1}
    assert sandboxes["credit"].rejected_counts == {unknown_there.result_id: 1}

    sandboxes["provincial"].reject_entities = set()
    sandboxes["credit"].reject_usccs = set()
    assert requeue_rejected(db) == 2
    after = drain(db, settings, respect_backoff=False)
    assert (after.delivered, after.rejected) == (2, 0)
    assert _states(db) == {"delivered": 38}
    _assert_each_accepted_once(sandboxes, expected_by_sink(seeded))


def test_hub_push_exits_0_when_all_is_delivered_and_fails_with_one_line_when_a_sink_is_down(
    make_settings, db, sandboxes, tmp_path, monkeypatch, capsys
):
    from hub.cli import main

    config = tmp_path / "push.toml"
    config.write_text(tomli_w.dumps(sink_config(sandboxes)), encoding="utf-8")
    settings = sink_settings(make_settings, sandboxes)
    for name, value in {
        "HUB_CONFIG": str(config),
        "HUB_DATABASE_URL": settings.database_url,
        "HUB_DATA_DIR": str(settings.data_dir),
        "HUB_SECRET_KEY": "x",
        SECRET_ENV: SECRET,
    }.items():
        monkeypatch.setenv(name, value)
    insert_approved_results(db, settings, 30)

    assert main(["push"]) == 0
    out = capsys.readouterr().out
    assert "delivered 57," in out and "0 still pending" in out

    insert_approved_results(db, settings, 10, start=30)
    sandboxes["credit"].stop()
    assert main(["push", "--timeout", "3"]) != 0
    captured = capsys.readouterr()
    assert captured.err.strip().count("\n") == 0, captured.err
    assert captured.err.startswith("hub: 9 message(s) undelivered") and "credit:" in captured.err
    assert SECRET not in captured.err + captured.out
    assert _states(db) == {"delivered": 67, "pending": 9}


def test_every_batch_leaves_a_delivery_attempt_with_the_error_of_a_failed_one(make_settings, db, sandboxes):
    settings = sink_settings(make_settings, sandboxes, attempts=1)
    insert_approved_results(db, settings, 600)  # provincial: 500 + 100; credit: 540 in one
    sandboxes["provincial"].set_faults({"error_5xx": 1.0})

    first = drain(db, settings)  # failed messages back off, so each goes once
    with db.unit_of_work() as s:
        attempts = list(s.scalars(select(DeliveryAttempt).order_by(DeliveryAttempt.id)))
    assert first.batches == len(attempts) == 3  # sinks drain side by side: compare as a set
    assert sorted((a.sink, a.messages, a.ok) for a in attempts) == [
        ("credit", 540, True),
        ("provincial", 100, False),
        ("provincial", 500, False),
    ]
    for failed in (a for a in attempts if a.sink == "provincial"):
        assert not failed.permanent and "HTTP 50" in failed.error and failed.status_code is None
    [ok] = [a for a in attempts if a.sink == "credit"]
    assert ok.error is None and ok.status_code == 200
    backed_off = [r for (sink, _), r in _rows(db).items() if sink == "provincial"]
    assert all(
        r.state == "pending"
        and r.attempts == 1
        and "HTTP 50" in r.last_error
        and r.claimed_by is None
        and r.next_attempt_at > min(a.at for a in attempts)
        for r in backed_off
    )

    sandboxes["provincial"].set_faults({"error_5xx": 0.0})
    second = drain(db, settings, respect_backoff=False)
    with db.unit_of_work() as s:
        later = list(s.scalars(select(DeliveryAttempt).where(DeliveryAttempt.id > attempts[-1].id)))
    assert second.batches == len(later) == 2 and all(a.ok for a in later)
    assert _states(db) == {"delivered": 1140}


def test_enqueue_again_is_a_no_op_unless_the_payload_changed_or_was_rejected(make_settings, db, sandboxes):
    settings = sink_settings(make_settings, sandboxes)
    [seeded] = insert_approved_results(db, settings, 1, start=1)
    payload = dict(_rows(db)[("provincial", seeded.result_id)].payload)
    with db.unit_of_work() as s:
        assert enqueue(s, settings, "result", seeded.result_id, payload, TASK_ID) == 0
    assert _states(db) == {"pending": 2}

    sandboxes["provincial"].reject_entities = {seeded.entity_id}
    drain(db, settings, respect_backoff=False)
    assert _states(db) == {"rejected": 1, "delivered": 1}
    with db.unit_of_work() as s:  # the same payload again: only the rejected copy goes back
        assert enqueue(s, settings, "result", seeded.result_id, payload, TASK_ID) == 1
    assert _states(db) == {"pending": 1, "delivered": 1}

    drain(db, settings, respect_backoff=False)
    corrected = {**payload, "findings": "更正：消毒记录已补齐"}
    with db.unit_of_work() as s:
        assert enqueue(s, settings, "result", seeded.result_id, corrected, TASK_ID) == 2
    rows = _rows(db)
    assert len(rows) == 2
    here = rows[("provincial", seeded.result_id)]
    assert (here.state, here.reject_code, here.last_error, here.payload) == ("pending", None, None, corrected)

    sandboxes["provincial"].reject_entities = set()
    drain(db, settings, respect_backoff=False)
    assert _states(db) == {"delivered": 2}
    _assert_each_accepted_once(sandboxes, expected_by_sink([seeded]))
