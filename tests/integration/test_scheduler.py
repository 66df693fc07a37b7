"""Two `hub scheduler` processes: one holds the lease, each job runs once per tick."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
import tomli_w
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import select, update

from connectors.sandboxes.samr import SamrSandbox
from hub.lease_models import JobTick, SchedulerLease
from hub.rosters.models import SyncRun
from hub.scheduler import HubScheduler, acquire_lease, claim_tick, tick_for

APP_ID, SECRET = "hub-sched", "sched-secret"


@pytest.mark.slow
def test_two_schedulers_run_every_job_once_per_tick(make_settings, db, tmp_path):
    server = SamrSandbox({APP_ID: SECRET}, entities=50, seed=2).start()
    procs: list[subprocess.Popen] = []
    try:
        config = {
            "sources": {
                "samr": {
                    "kind": "samr-rest",
                    "url": server.url,
                    "app_id": APP_ID,
                    "app_secret_env": "HUB_S_SECRET",
                    "schedule": "*/2 * * * * *",
                }
            }
        }
        path = tmp_path / "sched.toml"
        path.write_text(tomli_w.dumps(config))
        settings = make_settings()
        env = {
            **os.environ,
            "HUB_CONFIG": str(path),
            "HUB_S_SECRET": SECRET,
            "HUB_DATABASE_URL": settings.database_url,
            "HUB_DATA_DIR": str(settings.data_dir),
            "HUB_SECRET_KEY": "x",
        }
        for _ in range(2):
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "hub.cli", "scheduler"],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                )
            )
        # Wait for three claimed ticks (not a fixed time: a loaded machine starts processes slowly).
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and _count(db, JobTick) < 3:
            assert all(p.poll() is None for p in procs), [p.stderr.read() for p in procs if p.poll() is not None]
            time.sleep(0.5)
        assert all(p.poll() is None for p in procs), [p.stderr.read() for p in procs if p.poll() is not None]
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        server.stop()
    with db.unit_of_work() as s:
        ticks = list(s.scalars(select(JobTick).where(JobTick.job_id == "sync:samr")))
        runs = list(s.scalars(select(SyncRun)))
    assert len(ticks) >= 3
    assert len({t.tick_at for t in ticks}) == len(ticks)
    assert all(t.tick_at.second % 2 == 0 for t in ticks)
    assert len({t.holder for t in ticks}) == 1  # one active scheduler
    assert len(runs) == len(ticks)  # every claimed tick ran once, and nothing else ran


def _count(db, model) -> int:  # type: ignore[no-untyped-def]
    with db.unit_of_work() as s:
        return len(list(s.scalars(select(model))))


def test_a_tick_is_claimed_once(db):
    tick = datetime(2026, 11, 24, 2, 0)
    assert claim_tick(db, "sync:x", tick, "a")
    assert not claim_tick(db, "sync:x", tick, "b")
    assert claim_tick(db, "sync:x", tick + timedelta(minutes=1), "b")


def test_lease_has_one_holder_until_it_expires(db):
    assert acquire_lease(db, "a", seconds=1)
    assert not acquire_lease(db, "b", seconds=1)
    assert acquire_lease(db, "a", seconds=1)  # renewal
    time.sleep(1.2)
    assert acquire_lease(db, "b", seconds=5)
    assert not acquire_lease(db, "a", seconds=5)


def test_tick_for_is_the_latest_fire_time_not_after_now():

    trigger = CronTrigger(minute="*/10", second="0", timezone=UTC)
    tick = datetime(2026, 11, 24, 2, 10, tzinfo=UTC)
    assert tick_for(trigger, tick + timedelta(seconds=45)) == tick  # a run that started late
    assert tick_for(trigger, tick) == tick
    assert tick_for(trigger, tick - timedelta(seconds=1)) is None  # 2:00 is beyond the look-back


def test_a_scheduler_taking_over_makes_up_the_tick_that_fell_in_the_handover(make_settings, db):
    """The lease changes hands up to 15 s late: the tick nobody claimed in the gap still runs, once."""
    config = {
        "sources": {
            "samr": {
                "kind": "samr-rest",
                "url": "http://127.0.0.1:9/",
                "app_id": APP_ID,
                "app_secret_env": "HUB_S_SECRET",
                "schedule": "*/1 * * * *",  # every minute: the latest tick is always within the look-back
            }
        }
    }
    settings = make_settings(config, env={"HUB_S_SECRET": SECRET})
    enqueued: list[tuple[str, tuple]] = []
    first = HubScheduler(db, settings, lambda action, args: enqueued.append((action, args)))
    first.renew()  # becomes active: the unclaimed latest tick of each job is fired
    assert ("sync", ("samr",)) in enqueued

    # a second scheduler taking over after the first stopped finds that tick claimed: nothing runs twice
    with db.unit_of_work() as s:
        s.execute(update(SchedulerLease).values(expires_at=datetime(2000, 1, 1)))
    second = HubScheduler(db, settings, lambda action, args: enqueued.append((action, args)))
    second.renew()
    assert second.active
    with db.unit_of_work() as s:
        ticks = list(s.scalars(select(JobTick).where(JobTick.job_id == "sync:samr").order_by(JobTick.tick_at)))
    syncs = [e for e in enqueued if e == ("sync", ("samr",))]
    assert len(syncs) == len(ticks) == len({t.tick_at for t in ticks})  # each claimed tick ran once
    assert ticks[0].holder == first.holder
    assert len(ticks) == 1 or (len(ticks) == 2 and ticks[1].holder == second.holder)  # a new minute in between
