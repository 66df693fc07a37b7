"""APScheduler with a database lease: however many `hub scheduler` processes run, one is
active, and each job runs once per tick (a tick is claimed by a unique row before it runs).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from hub.clock import utcnow
from hub.config import Settings
from hub.db import Database
from hub.lease_models import JobTick, SchedulerLease
from hub.schedule_spec import parse_cron

log = logging.getLogger(__name__)
LEASE_NAME = "scheduler"
LEASE_SECONDS = 15
RENEW_SECONDS = 5
LOOKBACK = timedelta(minutes=2)
DEFAULT_PUSH_SCHEDULE = "*/1 * * * *"


def holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def acquire_lease(db: Database, holder: str, seconds: int = LEASE_SECONDS) -> bool:
    """Take or renew the lease; True when ``holder`` is the active scheduler."""
    now = utcnow()
    until = now + timedelta(seconds=seconds)
    with db.unit_of_work() as s:
        res = s.execute(
            update(SchedulerLease)
            .where(
                SchedulerLease.name == LEASE_NAME, (SchedulerLease.holder == holder) | (SchedulerLease.expires_at < now)
            )
            .values(holder=holder, expires_at=until)
        )
        if res.rowcount == 1:  # type: ignore[attr-defined]  # an UPDATE gives a CursorResult, typed as Result
            return True
    try:
        with db.unit_of_work() as s:
            if s.get(SchedulerLease, LEASE_NAME) is not None:
                return False
            s.add(SchedulerLease(name=LEASE_NAME, holder=holder, expires_at=until))
        return True
    except IntegrityError:
        return False


def claim_tick(db: Database, job_id: str, tick_at: datetime, holder: str) -> bool:
    """Record that ``job_id`` runs for ``tick_at``; False when someone already did."""
    try:
        with db.unit_of_work() as s:
            s.add(JobTick(job_id=job_id, tick_at=tick_at.replace(tzinfo=None), holder=holder))
        return True
    except IntegrityError:
        return False


def tick_for(trigger: CronTrigger, now: datetime) -> datetime | None:
    """The latest fire time of ``trigger`` at or before ``now``: the tick a run belongs to."""
    t = trigger.get_next_fire_time(None, now - LOOKBACK)
    last = None
    while t is not None and t <= now:
        last = t
        t = trigger.get_next_fire_time(t, t + timedelta(microseconds=1))
    return last


class HubScheduler:
    """Builds the jobs from Settings; each tick fires only on the lease holder, once."""

    def __init__(
        self, db: Database, settings: Settings, enqueue: Callable[[str, tuple], None], blocking: bool = False
    ) -> None:
        self.db, self.settings, self.enqueue = db, settings, enqueue
        self.holder = holder_id()
        self.active = False
        self._lock = threading.Lock()
        self.scheduler: BaseScheduler = (BlockingScheduler if blocking else BackgroundScheduler)(
            timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60}
        )
        self.jobs: dict[str, tuple[CronTrigger, str, tuple]] = {}
        for name, cfg in settings.sources.items():
            if cfg.schedule:
                self._add(f"sync:{name}", cfg.schedule, "sync", (name,))
        push = settings.schedules.get("push", DEFAULT_PUSH_SCHEDULE) if settings.sinks else None
        if push:
            self._add("push", push, "push", ())
        self.scheduler.add_job(
            self.renew, "interval", seconds=RENEW_SECONDS, id="lease", next_run_time=datetime.now(UTC)
        )

    def _add(self, job_id: str, cron: str, action: str, args: tuple) -> None:
        trigger = CronTrigger(timezone=UTC, **parse_cron(cron).as_kwargs())
        self.jobs[job_id] = (trigger, action, args)
        self.scheduler.add_job(self.fire, trigger, args=(job_id,), id=job_id)

    def renew(self) -> None:
        with self._lock:
            was, self.active = self.active, acquire_lease(self.db, self.holder)
        if self.active != was:
            log.info("scheduler %s is %s", self.holder, "active" if self.active else "standing by")
        if self.active and not was:
            self.make_up()

    def make_up(self) -> None:
        """On becoming active: fire each job's latest tick (within LOOKBACK) if nobody claimed it.

        A handover takes up to LEASE_SECONDS; a tick that fell in that gap would otherwise be lost
        (a daily sync for a day). The tick's unique row keeps this from running anything twice.
        """
        for job_id in self.jobs:
            self.fire(job_id)

    def fire(self, job_id: str) -> None:
        if not self.active:
            return
        trigger, action, args = self.jobs[job_id]
        tick = tick_for(trigger, datetime.now(UTC))
        if tick is None or not claim_tick(self.db, job_id, tick, self.holder):
            return
        log.info("job %s for tick %s", job_id, tick.isoformat())
        try:
            self.enqueue(action, args)
        except Exception:  # one failing job must not stop the scheduler
            log.exception("job %s failed to start", job_id)

    def start(self) -> None:
        self.scheduler.start()

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
