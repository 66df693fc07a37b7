"""Reading results for pages and the API: the services own the queries, views only render.

Who may enter or approve results is hub.results.services' business; this module only reads, and
shows each caller what hub.results.access lets them see.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hub.auth.principal import Principal
from hub.db import Database
from hub.draw.models import Assignment
from hub.draw.queries import sees_every_assignment
from hub.results.export import published_results
from hub.results.models import Result
from hub.results.visibility import result_filter
from hub.rosters.models import Entity
from hub.tasks.models import JointTask


def results_by_task(db: Database, caller: Principal | str | None = None) -> dict[str, list[Result]]:
    """Every result ``caller`` may see (all when None), grouped by task, by entity and agency."""
    by_task: dict[str, list[Result]] = {}
    q = select(Result).order_by(Result.task_id, Result.entity_id, Result.agency)
    seen = result_filter(caller) if caller is not None else None
    if seen is not None:
        q = q.where(seen)
    with db.unit_of_work() as s:
        for r in s.scalars(q):
            by_task.setdefault(r.task_id, []).append(r)
    return by_task


def entity_names(db: Database, entity_ids: set[str]) -> dict[str, str]:
    """entity_id -> name, for staff pages that list results (public pages mask names: hub.results.export)."""
    if not entity_ids:
        return {}
    with db.unit_of_work() as s:
        return {
            e: n for e, n in s.execute(select(Entity.entity_id, Entity.name).where(Entity.entity_id.in_(entity_ids)))
        }


def published_results_of(db: Database, task_id: str) -> list[dict[str, Any]]:
    """Approved results of a task as published now (an amendment in place of what it replaced), masked."""
    with db.unit_of_work() as s:
        return list(published_results(s, task_id, current_only=True))


#: the newest inspections shown on an entity's page
HISTORY_SHOWN = 200


def entity_history(db: Database, caller: Principal, entity_id: str) -> dict[str, list[Any]]:
    """An entity's inspections across agencies that ``caller`` may see, newest first, with the joint
    tasks that drew it (for callers who see every assignment)."""
    q = (
        select(Result, JointTask.title)
        .join(JointTask, JointTask.id == Result.task_id)
        .where(Result.entity_id == entity_id)
        .order_by(Result.inspected_on.desc(), Result.id.desc())
        .limit(HISTORY_SHOWN)
    )
    seen = result_filter(caller)
    if seen is not None:
        q = q.where(seen)
    with db.unit_of_work() as s:
        results = [{"r": r, "title": title} for r, title in s.execute(q)]
        drawn: list[Any] = []
        if sees_every_assignment(caller):
            drawn = [
                {"task_id": task_id, "title": title, "state": state, "stratum": stratum}
                for task_id, title, state, stratum in s.execute(
                    select(JointTask.id, JointTask.title, JointTask.state, Assignment.stratum)
                    .join(Assignment, Assignment.task_id == JointTask.id)
                    .where(Assignment.entity_id == entity_id)
                    .order_by(JointTask.id.desc())
                    .limit(HISTORY_SHOWN)
                )
            ]
        return {"results": results, "drawn": drawn}
