"""Celery task of the draw: receives a task id, calls the service."""

from __future__ import annotations

from celery import shared_task

from hub import appctx
from hub.draw.services import run_draw
from hub.errors import HubError


@shared_task(name="hub.run_draw")
def draw_task(task_id: str, actor: str) -> dict:
    """Run a requested draw; failures are stored on the task (draw_status, draw_error)."""
    try:
        record = run_draw(appctx.database(), appctx.settings(), task_id, actor)
    except HubError as exc:
        if appctx.settings().embedded:
            raise  # in-process: the caller shows the reason at once
        return {"task_id": task_id, "outcome": "failed", "error": str(exc)}
    return {"task_id": task_id, "outcome": "drawn", "seed": record["seed"]}
