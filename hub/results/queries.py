"""Reading results for pages and the API: the services own the queries, views only render.

Who may enter or approve results is hub.results.services' business; this module only reads.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hub.db import Database
from hub.results.export import published_results
from hub.results.models import Result


def results_by_task(db: Database) -> dict[str, list[Result]]:
    """Every result, grouped by task, by entity and agency."""
    by_task: dict[str, list[Result]] = {}
    with db.unit_of_work() as s:
        for r in s.scalars(select(Result).order_by(Result.task_id, Result.entity_id, Result.agency)):
            by_task.setdefault(r.task_id, []).append(r)
    return by_task


def published_results_of(db: Database, task_id: str) -> list[dict[str, Any]]:
    """Approved results of a task, personal data masked (what the public sees)."""
    with db.unit_of_work() as s:
        return list(published_results(s, task_id))
