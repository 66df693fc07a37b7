"""Celery tasks of the roster flow: each receives names and ids, and calls a service."""

from __future__ import annotations

from celery import shared_task

from hub import appctx
from hub.errors import UpstreamError
from hub.rosters.sync import run_sync


@shared_task(name="hub.sync_source")
def sync_source(name: str, full: bool = False) -> dict:
    """Pull one configured source; a failed run is recorded, not raised into the worker."""
    try:
        run = run_sync(appctx.database(), appctx.settings(), name, full=full)
    except UpstreamError as exc:
        return {"source": name, "outcome": "failed", "error": str(exc)}
    return {"source": name, "outcome": run.outcome, "run_id": run.id}
