"""Celery task: run a stored verification job by its id."""

from __future__ import annotations

from celery import shared_task

from hub import appctx
from hub.verification.services import run


@shared_task(name="hub.run_verification")
def verification_task(job_id: str) -> None:
    run(appctx.database(), job_id)
