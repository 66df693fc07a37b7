"""Delivering the outbox: claim a batch with a conditional update, send it, store what came back.

Modelled on healthchecks' outbox: a worker claims pending rows
(``... WHERE id IN (...) AND state = 'pending' AND claim expired``) and goes on only
with the rows it got; every send is recorded as a DeliveryAttempt. A worker killed
mid-batch leaves its claim to expire; the batch goes again, and the sinks answer the
already-stored messages as duplicates, which count as delivered.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Table, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from connectors.base import ConnectorError, OutgoingMessage, Sink, TransientError
from hub.clock import utcnow
from hub.config import Settings
from hub.connections import build_sink
from hub.db import Database
from hub.errors import NotFound
from hub.outbox.models import DeliveryAttempt, OutboxMessage
from hub.outbox.states import MessageState

log = logging.getLogger(__name__)
CLAIM_SECONDS = 120
BACKOFF_BASE = 5.0
BACKOFF_MAX = 3600.0
_OUTBOX: Table = OutboxMessage.__table__  # type: ignore[assignment]  # a mapped class's __table__ is a Table; the stubs say FromClause


@dataclass
class DrainReport:
    delivered: int = 0
    rejected: int = 0
    retry_later: int = 0
    batches: int = 0
    errors: list[str] = field(default_factory=list)


_RNG = random.Random()


def backoff(attempts: int, rng: random.Random = _RNG) -> float:
    """Exponential backoff with full jitter, in seconds."""
    return rng.uniform(BACKOFF_BASE / 2, min(BACKOFF_MAX, BACKOFF_BASE * 2 ** min(attempts, 20)))


@dataclass(frozen=True)
class Claimed:
    """A claimed outbox row: what sending it needs, nothing more."""

    id: int
    key: str
    kind: str
    payload: dict
    attempts: int


def _claim(db: Database, sink: str, limit: int, worker: str, now: datetime, respect_backoff: bool) -> list[Claimed]:
    """Claim up to ``limit`` due messages of one kind, oldest first.

    One UPDATE whose own WHERE repeats the conditions: it takes the write lock from its
    start (SQLite), and a row another worker claimed meanwhile no longer matches (PostgreSQL
    re-checks the WHERE of a row it waited for)."""
    M = OutboxMessage
    free = or_(M.claimed_until.is_(None), M.claimed_until < now)
    due = [M.sink == sink, M.state == MessageState.PENDING, free]
    if respect_backoff:
        due.append(M.next_attempt_at <= now)
    oldest_kind = select(M.kind).where(*due).order_by(M.id).limit(1).scalar_subquery()
    ids = select(M.id).where(*due, M.kind == oldest_kind).order_by(M.id).limit(limit)
    until = now + timedelta(seconds=CLAIM_SECONDS)
    # Claim and read back in one statement: no moment where rows are claimed but nobody holds them
    # (a failure between two statements stranded a whole batch until its claim expired).
    with db.unit_of_work() as s:
        rows = s.execute(
            update(M)
            .where(M.id.in_(ids), *due)
            .values(claimed_by=worker, claimed_until=until)
            .returning(M.id, M.key, M.kind, M.payload, M.attempts)
            .execution_options(synchronize_session=False)
        ).all()
    return sorted((Claimed(*row) for row in rows), key=lambda c: c.id)


def _send(sink: Sink, rows: list[Claimed], batch_id: str):
    messages = [OutgoingMessage(key=r.key, kind=r.kind, payload=r.payload) for r in rows]  # type: ignore[arg-type]  # stored kinds are plan|task|draw|result (enqueue)
    return sink.deliver(messages, batch_id)


def deliver_batch(
    db: Database, sink_name: str, sink: Sink, rows: list[Claimed], worker: str, report: DrainReport
) -> None:
    """Send one claimed batch and store the outcome of every message in it."""
    batch_id = uuid.uuid4().hex
    started = time.monotonic()
    error, permanent, status, receipts = None, False, None, {}
    try:
        result = _send(sink, rows, batch_id)
        receipts = {o.key: o for o in result.receipts}
        status = result.status_code
    except ConnectorError as exc:
        error, permanent = str(exc), not isinstance(exc, TransientError)
    except Exception as exc:  # a sink's own bug must not strand the claimed rows
        log.exception("sink %s failed on batch %s", sink_name, batch_id)
        error, permanent = f"{type(exc).__name__}: {exc}", False
    now = utcnow()
    changes: list[tuple[int, dict]] = []
    with db.unit_of_work() as s:
        s.add(
            DeliveryAttempt(
                sink=sink_name,
                batch_id=batch_id,
                at=now,
                messages=len(rows),
                ok=error is None,
                permanent=permanent,
                status_code=status,
                error=error,
                duration_ms=int(1000 * (time.monotonic() - started)),
            )
        )
        for row in rows:
            o = receipts.get(row.key)
            values: dict = {"attempts": row.attempts + 1}
            if o is not None and o.status in ("accepted", "duplicate"):
                values.update(
                    state=MessageState.DELIVERED,
                    delivered_at=now,
                    last_error=None,
                    receipt={"batch_id": batch_id, "status": o.status},
                )
                report.delivered += 1
            elif o is not None and o.status == "rejected":
                values.update(
                    state=MessageState.REJECTED,
                    reject_code=o.code,
                    last_error=o.message,
                    receipt={"batch_id": batch_id, "status": "rejected", "code": o.code},
                )
                report.rejected += 1
            elif permanent:
                values.update(state=MessageState.REJECTED, reject_code="FATAL", last_error=error)
                report.rejected += 1
            else:
                values.update(
                    next_attempt_at=now + timedelta(seconds=backoff(row.attempts)),
                    last_error=error or "not acknowledged in the receipt",
                )
                report.retry_later += 1
            changes.append((row.id, values))
        _release(s, worker, changes)
    if error:
        report.errors.append(f"{sink_name}: {error}")
    report.batches += 1


def _release(s: Session, worker: str, changes: list[tuple[int, dict]]) -> None:
    """Store each row's outcome and drop its claim: one executemany per set of changed columns
    (a statement per row was 90% of a drain's time). A row whose claim expired and was taken
    by another worker meanwhile is left to that worker."""
    groups: dict[tuple[str, ...], list[dict]] = {}
    for row_id, values in changes:
        groups.setdefault(tuple(sorted(values)), []).append(
            {"b_id": row_id, **{f"v_{k}": v for k, v in values.items()}}
        )
    for columns, params in groups.items():
        s.execute(
            update(_OUTBOX)
            .where(_OUTBOX.c.id == bindparam("b_id"), _OUTBOX.c.claimed_by == worker)
            .values(claimed_by=None, claimed_until=None, **{c: bindparam(f"v_{c}") for c in columns}),
            params,
        )


def drain(
    db: Database,
    settings: Settings,
    sink_name: str | None = None,
    *,
    respect_backoff: bool = True,
    max_rounds: int = 1_000_000,
    deadline: float | None = None,
    pause: float = 0.5,
) -> DrainReport:
    """Deliver pending messages of one sink (or all) until none is due, or ``deadline`` passes."""
    names = [sink_name] if sink_name else list(settings.sinks)
    if sink_name and sink_name not in settings.sinks:
        raise NotFound(f"no sink named {sink_name!r} (known: {', '.join(settings.sinks) or 'none'})", where="hub push")
    worker = f"{uuid.uuid4().hex[:8]}"

    def one_sink(name: str) -> DrainReport:
        report = DrainReport()
        sink = build_sink(settings.sinks[name])  # a fresh session per drain (never one shared across a fork)
        stalled = 0
        for _ in range(max_rounds):
            if deadline is not None and time.monotonic() > deadline:
                break
            rows = _claim(db, name, sink.max_batch, worker, utcnow(), respect_backoff)
            if not rows:
                break
            before = report.delivered + report.rejected
            deliver_batch(db, name, sink, rows, worker, report)
            if report.delivered + report.rejected == before:
                stalled += 1
                if not respect_backoff:
                    time.sleep(min(pause * stalled, 5.0))
            else:
                stalled = 0
        return report

    # Sinks are independent: while one waits on the network, another claims and records.
    with ThreadPoolExecutor(max_workers=max(1, len(names)), thread_name_prefix="drain") as pool:
        parts = list(pool.map(one_sink, names))
    total = DrainReport()
    for part in parts:
        total.delivered += part.delivered
        total.rejected += part.rejected
        total.retry_later += part.retry_later
        total.batches += part.batches
        total.errors += part.errors
    return total


def pending_count(db: Database, sink_name: str | None = None) -> int:
    with db.unit_of_work() as s:
        q = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state == MessageState.PENDING)
        if sink_name:
            q = q.where(OutboxMessage.sink == sink_name)
        return s.scalar(q) or 0


def requeue_rejected(
    db: Database, ids: list[int] | None = None, sink_name: str | None = None, actor: str = "system"
) -> int:
    """Send rejected messages again (after a person corrected the cause); audited."""
    from hub.audit.log import record

    with db.unit_of_work() as s:
        record(s, actor, "outbox.requeue", f"sink:{sink_name or '*'}", details={"ids": ids})
        q = update(OutboxMessage).where(OutboxMessage.state == MessageState.REJECTED)
        if ids:
            q = q.where(OutboxMessage.id.in_(ids))
        if sink_name:
            q = q.where(OutboxMessage.sink == sink_name)
        return s.execute(
            q.values(state=MessageState.PENDING, next_attempt_at=utcnow(), claimed_by=None, claimed_until=None)
        ).rowcount  # type: ignore[attr-defined]  # an UPDATE gives a CursorResult, typed as Result
