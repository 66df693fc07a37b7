"""Reading annual plans for pages, the API and the CLI: each entry with its tasks and their progress
(drawn and inspected pairs, as documents.md "Figures" counts them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.auth.principal import Principal
from hub.db import Database
from hub.draw.models import AssignmentInspector
from hub.errors import Forbidden, NotFound
from hub.plans.models import AnnualPlan, PlanEntry
from hub.plans.states import READERS
from hub.results.models import Result
from hub.results.states import ResultState
from hub.tasks.models import JointTask
from hub.tasks.states import TaskState


@dataclass(frozen=True)
class TaskProgress:
    task_id: str
    title: str
    state: str
    drawn: int  # (entity, agency) pairs drawn
    inspected: int  # of those, with an approved result

    @property
    def rate(self) -> float | None:
        return self.inspected / self.drawn if self.drawn else None


@dataclass
class EntryView:
    entry: PlanEntry
    tasks: list[TaskProgress] = field(default_factory=list)

    @property
    def drawn(self) -> int:
        return sum(t.drawn for t in self.tasks if t.state != TaskState.VOID)

    @property
    def inspected(self) -> int:
        return sum(t.inspected for t in self.tasks if t.state != TaskState.VOID)


@dataclass(frozen=True)
class PlanView:
    plan: AnnualPlan
    entries: list[EntryView]

    def as_json(self) -> dict[str, Any]:
        p = self.plan
        return {
            **plan_json(p),
            "entries": [
                {
                    "entry_id": e.entry.id,
                    "title": e.entry.title,
                    "agencies": e.entry.agencies,
                    "items": e.entry.items,
                    "population": e.entry.population,
                    "ratio": e.entry.ratio,
                    "months": e.entry.months,
                    "tasks": [t.__dict__ for t in e.tasks],
                    "drawn": e.drawn,
                    "inspected": e.inspected,
                }
                for e in self.entries
            ],
        }


def plan_json(p: AnnualPlan) -> dict[str, Any]:
    return {
        "plan_id": p.id,
        "year": p.year,
        "lead": p.lead,
        "title": p.title,
        "state": p.state,
        "version": p.version,
        "created_by": p.created_by,
        "edited_by": p.edited_by,
        "approved_by": p.approved_by,
        "filed_at": p.filed_at.isoformat() + "Z" if p.filed_at else None,
        "return_reason": p.return_reason,
    }


def check_reader(principal: Principal) -> None:
    if not principal.has(*READERS):
        raise Forbidden(f"{principal.name} 无权查看年度计划", where="plan")


def _visible(principal: Principal, plan: AnnualPlan, agencies: set[str]) -> bool:
    """A liaison sees the plans their agency takes part in; coordinators, reviewers, auditors all."""
    if principal.has("coordinator", "reviewer", "auditor"):
        return True
    return bool(principal.agency) and (principal.agency == plan.lead or principal.agency in agencies)


def list_plans(db: Database, principal: Principal, year: int | None = None) -> list[tuple[AnnualPlan, int]]:
    """The plans ``principal`` may read (newest year first), each with its number of entries. Plans are
    one per agency and year: a short list."""
    check_reader(principal)
    with db.unit_of_work() as s:
        q = select(AnnualPlan).order_by(AnnualPlan.year.desc(), AnnualPlan.lead)
        if year is not None:
            q = q.where(AnnualPlan.year == year)
        out = []
        for plan in s.scalars(q):
            entries = list(s.scalars(select(PlanEntry).where(PlanEntry.plan_id == plan.id)))
            if _visible(principal, plan, {a for e in entries for a in e.agencies}):
                out.append((plan, len(entries)))
        return out


def _progress(s: Session, task_ids: list[str]) -> dict[str, tuple[int, int]]:
    """task id -> (drawn pairs, inspected pairs)."""
    if not task_ids:
        return {}
    pairs = (
        select(AssignmentInspector.task_id, AssignmentInspector.entity_id, AssignmentInspector.agency)
        .where(AssignmentInspector.task_id.in_(task_ids))
        .distinct()
        .subquery()
    )
    drawn: dict[str, int] = {
        t: n for t, n in s.execute(select(pairs.c.task_id, func.count()).group_by(pairs.c.task_id))
    }
    approved = (
        select(Result.task_id, Result.entity_id, Result.agency)
        .where(Result.task_id.in_(task_ids), Result.state == ResultState.APPROVED)
        .distinct()
        .subquery()
    )
    done: dict[str, int] = {
        t: n for t, n in s.execute(select(approved.c.task_id, func.count()).group_by(approved.c.task_id))
    }
    return {t: (drawn.get(t, 0), done.get(t, 0)) for t in task_ids}


def plan_view(db: Database, principal: Principal, plan_id: str) -> PlanView:
    """One plan, each entry with the tasks started from it and their progress."""
    check_reader(principal)
    with db.unit_of_work() as s:
        plan = s.get(AnnualPlan, plan_id)
        if plan is None:
            raise NotFound(f"没有年度计划 {plan_id!r}", where="plan")
        rows = list(s.scalars(select(PlanEntry).where(PlanEntry.plan_id == plan_id).order_by(PlanEntry.position)))
        if not _visible(principal, plan, {a for e in rows for a in e.agencies}):
            raise NotFound(f"没有年度计划 {plan_id!r}", where="plan")  # as if absent: no probing
        views = {e.id: EntryView(e) for e in rows}
        tasks = list(
            s.execute(
                select(JointTask.id, JointTask.title, JointTask.state, JointTask.plan_entry_id)
                .where(JointTask.plan_entry_id.in_(list(views)))
                .order_by(JointTask.created_at)
            )
        )
        progress = _progress(s, [t.id for t in tasks])
        for t in tasks:
            drawn, inspected = progress[t.id]
            views[t.plan_entry_id].tasks.append(TaskProgress(t.id, t.title, t.state, drawn, inspected))
        return PlanView(plan, list(views.values()))


def entry_of(db: Database, entry_id: str) -> tuple[AnnualPlan, PlanEntry]:
    with db.unit_of_work() as s:
        entry = s.get(PlanEntry, entry_id)
        if entry is None:
            raise NotFound(f"没有计划条目 {entry_id!r}", where="entry")
        return s.get(AnnualPlan, entry.plan_id), entry  # type: ignore[return-value]  # the FK holds it
