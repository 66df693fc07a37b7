"""Celery task of the outbox: drain what is due, on a schedule or on demand."""

from __future__ import annotations

from celery import shared_task

from hub import appctx
from hub.outbox.delivery import drain


@shared_task(name="hub.drain_outbox")
def drain_outbox(sink: str | None = None) -> dict:
    """Deliver due messages (respecting each message's backoff)."""
    report = drain(appctx.database(), appctx.settings(), sink)
    return {
        "delivered": report.delivered,
        "rejected": report.rejected,
        "retry_later": report.retry_later,
        "batches": report.batches,
    }
