"""The outbox: what must leave the hub is written in the same transaction as the change
that causes it, one row per sink that takes it, keyed by the idempotency key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors.base import OutgoingMessage
from hub.clock import utcnow
from hub.config import Settings
from hub.connections import connectors_for
from hub.outbox.models import OutboxMessage
from hub.outbox.states import MessageState


def enqueue(
    session: Session, settings: Settings, kind: str, key: str, payload: Mapping[str, Any], task_id: str | None = None
) -> int:
    """Queue ``payload`` for every configured sink that takes it; return how many rows.

    Re-queuing the same key with the same payload is a no-op; a changed payload (a
    corrected result) goes out again, under the same idempotency key.
    """
    msg = OutgoingMessage(key=key, kind=kind, payload=payload)  # type: ignore[arg-type]  # kind is plan|task|draw|result by every caller; the column is a plain string
    queued = 0
    for name, sink in connectors_for(settings).sinks.items():  # built at start-up (hub.connections)
        if not sink.accepts(msg):
            continue
        row = session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.sink == name, OutboxMessage.kind == kind, OutboxMessage.key == key
            )
        )
        if row is None:
            session.add(
                OutboxMessage(
                    sink=name,
                    kind=kind,
                    key=key,
                    task_id=task_id,
                    payload=dict(payload),
                    state=MessageState.PENDING,
                    next_attempt_at=utcnow(),
                )
            )
        elif row.payload != dict(payload) or row.state == MessageState.REJECTED:
            row.payload, row.state, row.next_attempt_at = dict(payload), MessageState.PENDING, utcnow()
            row.reject_code = row.last_error = None
            # A batch in flight carries the old payload: drop its claim so its answer is not
            # recorded for this one, which then goes out on its own.
            row.claimed_by = row.claimed_until = None
        else:
            continue
        queued += 1
    return queued
