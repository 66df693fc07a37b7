"""Who may see which drawn rows, written once: the web page and the API both ask here.

Assignments exist only after the draw. Coordinators and auditors (and admins, who hold every
role) see all rows; a liaison the rows a member of their agency is on; an inspector the teams
they are on; anyone else (a reviewer, say) none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from hub.auth.principal import Principal
from hub.db import Database
from hub.draw.models import Assignment, AssignmentInspector
from hub.rosters.models import Entity, Inspector
from hub.tasks.queries import require_task

#: Roles that may open a task's assignments at all (the rows are then filtered by ``visible_assignments``).
ASSIGNMENT_READERS = ("coordinator", "auditor", "liaison", "inspector", "reviewer")
#: Roles that see every drawn row.
SEES_ALL = ("coordinator", "auditor")


def sees_every_assignment(principal: Principal) -> bool:
    return principal.has(*SEES_ALL)


def visible_assignments(s: Session, task_id: str, principal: Principal) -> list[Assignment]:
    """The drawn rows ``principal`` may see, in draw order."""
    q = select(Assignment).where(Assignment.task_id == task_id).order_by(Assignment.position)
    if not sees_every_assignment(principal):
        mine = []
        if "liaison" in principal.roles and principal.agency:
            mine.append(AssignmentInspector.agency == principal.agency)
        if "inspector" in principal.roles and principal.inspector_id:
            mine.append(AssignmentInspector.inspector_id == principal.inspector_id)
        if not mine:
            return []
        q = q.where(
            Assignment.entity_id.in_(
                select(AssignmentInspector.entity_id).where(AssignmentInspector.task_id == task_id, or_(*mine))
            )
        )
    return list(s.scalars(q))


@dataclass(frozen=True)
class AssignmentsView:
    """The rows a principal may see, with the entities and inspectors they name."""

    rows: list[Assignment]
    entities: dict[str, Entity] = field(default_factory=dict)
    inspectors: dict[str, Inspector] = field(default_factory=dict)

    def as_json(self) -> list[dict[str, Any]]:
        return [{"entity_id": a.entity_id, "stratum": a.stratum, "key": a.key, "team": a.team} for a in self.rows]


def assignments_for(db: Database, task_id: str, principal: Principal, *, with_names: bool = False) -> AssignmentsView:
    """The task's assignments ``principal`` may see (NotFound for no such task)."""
    with db.unit_of_work() as s:
        require_task(s, task_id)
        rows = visible_assignments(s, task_id, principal)
        if not with_names or not rows:
            return AssignmentsView(rows)
        entities = {
            e.entity_id: e for e in s.scalars(select(Entity).where(Entity.entity_id.in_([a.entity_id for a in rows])))
        }
        team_ids = {i for a in rows for i in a.team}
        inspectors = (
            {i.inspector_id: i for i in s.scalars(select(Inspector).where(Inspector.inspector_id.in_(team_ids)))}
            if team_ids
            else {}
        )
        return AssignmentsView(rows, entities, inspectors)
