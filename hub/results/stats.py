"""The statistics: each dashboard figure read by one function (aggregates in SQL, arithmetic in
hub.results.figures), all of them in one unit of work by ``dashboard``.

Definitions (shared/spec/documents.md "Figures"; docs/results.md says each in Chinese):
- a *drawn pair* is (entity, agency) of a drawn task (state drawn: not voided) and one of its agencies;
- the *current result* of a pair is its approved result that no approved amendment superseded;
- every figure is cut by the task's year (its window's start), agency, district and category of the
  entity (an entity counts in each of its categories), and task.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, case, exists, func, literal, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import TableValuedAlias

from hub.auth.principal import Principal
from hub.db import Database
from hub.draw.models import Assignment
from hub.errors import Forbidden, InvalidInput
from hub.outbox.models import OutboxMessage
from hub.results import figures as fig
from hub.results.access import sees_everything
from hub.results.figures import PROBLEM_CODES, Figure, StatsFilter
from hub.results.models import FollowUp, Result
from hub.results.states import ResultState
from hub.rosters.models import Entity
from hub.tasks.models import JointTask

# Plan coverage needs each category's planned ratio for a year; the annual plans provide it
# (``PlanRatios``); without plans the column is empty and coverage is still counted.
PlanRatios = Callable[[Session, StatsFilter], dict[str, float]]


def no_plans(s: Session, f: StatsFilter) -> dict[str, float]:
    return {}


@dataclass(frozen=True)
class Dashboard:
    filters: StatsFilter
    today: date
    figures: dict[str, Figure]

    def as_dict(self) -> dict[str, Any]:
        return {
            "filters": self.filters.as_dict(),
            "today": self.today.isoformat(),
            "figures": {name: f.as_dict() for name, f in self.figures.items()},
        }


def _values(s: Session, column: Any, name: str) -> TableValuedAlias:
    """The elements of a JSON array column as a table with one column ``value`` (per dialect)."""
    fn = func.jsonb_array_elements_text if s.get_bind().dialect.name == "postgresql" else func.json_each
    return fn(column).table_valued("value").alias(name)


def _has_category(s: Session, categories: Any, category: str) -> ColumnElement[bool]:
    c = _values(s, categories, "fc")
    return exists(select(literal(1)).select_from(c).where(c.c.value == category))


def _task_cut(s: Session, f: StatsFilter, t: Any = JointTask) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if f.year is not None:
        out.append(t.window_start.between(date(f.year, 1, 1), date(f.year, 12, 31)))
    if f.task is not None:
        out.append(t.id == f.task)
    return out


def _entity_cut(s: Session, f: StatsFilter) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if f.district is not None:
        out.append(Entity.district == f.district)
    if f.category is not None:
        out.append(_has_category(s, Entity.categories, f.category))
    return out


def _current() -> list[ColumnElement[bool]]:
    return [Result.state == ResultState.APPROVED, Result.superseded.is_(False)]


def _results(s: Session, f: StatsFilter, *columns: Any, current: bool = True) -> Select[Any]:
    """Approved results of drawn tasks in the cut (the current ones unless ``current`` is False)."""
    q = (
        select(*columns)
        .select_from(Result)
        .join(JointTask, and_(JointTask.id == Result.task_id, JointTask.state == "drawn"))
        .outerjoin(Entity, Entity.entity_id == Result.entity_id)
        .where(*_task_cut(s, f), *_entity_cut(s, f))
    )
    q = q.where(*_current()) if current else q.where(Result.state == ResultState.APPROVED)
    return q.where(Result.agency == f.agency) if f.agency is not None else q


def _problem(s: Session) -> ColumnElement[bool]:
    oc = _values(s, Result.outcome_codes, "oc")
    return exists(select(literal(1)).select_from(oc).where(oc.c.value.in_(sorted(PROBLEM_CODES))))


def _pairs(s: Session, f: StatsFilter, *columns: Any) -> tuple[Select[Any], TableValuedAlias]:
    """Drawn pairs in the cut, each joined to its current result (outer: absent when not inspected)."""
    ag = _values(s, JointTask.agencies, "ag")
    q = (
        select(*columns)
        .select_from(Assignment)
        .join(JointTask, and_(JointTask.id == Assignment.task_id, JointTask.state == "drawn"))
        .join(ag, true())
        .outerjoin(Entity, Entity.entity_id == Assignment.entity_id)
        .outerjoin(
            Result,
            and_(
                Result.task_id == Assignment.task_id,
                Result.entity_id == Assignment.entity_id,
                Result.agency == ag.c.value,
                *_current(),
            ),
        )
        .where(*_task_cut(s, f), *_entity_cut(s, f))
    )
    if f.agency is not None:
        q = q.where(ag.c.value == f.agency)
    return q, ag


# --- one function per figure ---------------------------------------------------------------


def tasks_by_state(s: Session, f: StatsFilter) -> Figure:
    """Joint tasks by state (cut by year, agency and task: a task has no one district or category)."""
    q = select(JointTask.state, func.count()).where(*_task_cut(s, f)).group_by(JointTask.state)
    if f.agency is not None:
        q = q.where(_has_category(s, JointTask.agencies, f.agency))
    return fig.tasks_by_state({state: n for state, n in s.execute(q)})


def completion(s: Session, f: StatsFilter) -> Figure:
    """completion rate = inspected / drawn (pairs)."""
    q, _ = _pairs(s, f, func.count(), func.count(Result.id))
    drawn, inspected = s.execute(q).one()
    return fig.completion(drawn, inspected)


def outcome_mix(s: Session, f: StatsFilter) -> Figure:
    oc = _values(s, Result.outcome_codes, "oc")
    q = _results(s, f, oc.c.value, func.count()).join(oc, true()).group_by(oc.c.value)
    return fig.outcome_mix({str(code): n for code, n in s.execute(q)})


def problem_rate(s: Session, f: StatsFilter) -> Figure:
    """problem rate per category = inspected pairs with an outcome in {2,3,4,5,6,8} / inspected pairs."""
    cat = _values(s, Entity.categories, "cat")
    q = (
        _results(s, f, cat.c.value, func.count(), func.sum(case((_problem(s), 1), else_=0)))
        .join(cat, true())
        .group_by(cat.c.value)
    )
    return fig.problem_rate({c: (n, int(p or 0)) for c, n, p in s.execute(q)})


def follow_ups(s: Session, f: StatsFilter, today: date) -> Figure:
    """Follow-ups of approved results by kind: open, closed, overdue (open with its due date passed)."""
    due = case((FollowUp.kind == "case", FollowUp.penalty_due_on), else_=FollowUp.due_on)
    q = (
        _results(
            s,
            f,
            FollowUp.kind,
            func.sum(case((FollowUp.closed.is_(False), 1), else_=0)),
            func.sum(case((FollowUp.closed.is_(True), 1), else_=0)),
            func.sum(case((and_(FollowUp.closed.is_(False), due < today), 1), else_=0)),
            current=False,
        )
        .join(FollowUp, FollowUp.result_id == Result.id)
        .group_by(FollowUp.kind)
    )
    return fig.follow_ups({k: (int(o or 0), int(c or 0), int(d or 0)) for k, o, c, d in s.execute(q)})


def publication(s: Session, f: StatsFilter) -> Figure:
    """Results published within 20 working days of the inspection (first publications: an amendment
    has no clock of its own); penalty decisions published (closed) within 7 of the decision."""
    results = _results(
        s,
        f,
        func.count(),
        func.sum(case((Result.published_on <= Result.due_on, 1), else_=0)),
        current=False,
    ).where(Result.amends.is_(None))
    published, on_time = s.execute(results).one()
    penalties = (
        _results(
            s,
            f,
            func.sum(case((FollowUp.closed.is_(True), 1), else_=0)),
            func.sum(
                case((and_(FollowUp.closed.is_(True), FollowUp.closed_on <= FollowUp.penalty_due_on), 1), else_=0)
            ),
            current=False,
        )
        .join(FollowUp, FollowUp.result_id == Result.id)
        .where(FollowUp.kind == "case", FollowUp.decided_on.is_not(None))
    )
    decided, decided_on_time = s.execute(penalties).one()
    return fig.publication((published, int(on_time or 0)), (int(decided or 0), int(decided_on_time or 0)))


def deliveries(s: Session, f: StatsFilter) -> Figure:
    """Result messages per sink by state; median and 95th percentile from approval to acceptance."""
    M = OutboxMessage
    join = and_(M.kind == "result", M.key == Result.result_id)
    counts = {
        (sink, state): n
        for sink, state, n in s.execute(
            _results(s, f, M.sink, M.state, func.count(), current=False).join(M, join).group_by(M.sink, M.state)
        )
    }
    delivered = and_(M.state == "delivered", M.delivered_at.is_not(None), Result.approved_at.is_not(None))
    seconds: dict[str, list[float]] = {}
    if s.get_bind().dialect.name == "postgresql":
        epoch = func.extract("epoch", M.delivered_at - Result.approved_at)
        q = (
            _results(
                s,
                f,
                M.sink,
                func.percentile_cont(0.5).within_group(epoch),
                func.percentile_cont(0.95).within_group(epoch),
                current=False,
            )
            .join(M, join)
            .where(delivered)
            .group_by(M.sink)
        )
        quantiles = {sink: (p50, p95) for sink, p50, p95 in s.execute(q)}
        figure = fig.deliveries(counts, {})
        rows = [
            (*row[:4], *(None if v is None else round(float(v), 1) for v in quantiles.get(row[0], (None, None))))
            for row in figure.rows
        ]
        return Figure(figure.name, figure.title, figure.columns, figure.headers, rows)
    wait = (func.julianday(M.delivered_at) - func.julianday(Result.approved_at)) * 86400.0
    for sink, w in s.execute(_results(s, f, M.sink, wait, current=False).join(M, join).where(delivered)):
        seconds.setdefault(sink, []).append(float(w))
    return fig.deliveries(counts, seconds)


def plan_coverage(s: Session, f: StatsFilter, plans: PlanRatios = no_plans) -> Figure:
    """Per category: distinct entities with a current result in the cut / active entities, beside the plan's ratio."""
    cat = _values(s, Entity.categories, "cat")
    covered = {
        c: n
        for c, n in s.execute(
            _results(s, f, cat.c.value, func.count(func.distinct(Result.entity_id)))
            .join(cat, true())
            .group_by(cat.c.value)
        )
    }
    active_q = (
        select(cat.c.value, func.count())
        .select_from(Entity)
        .join(cat, true())
        .where(Entity.active.is_(True), *_entity_cut(s, f))
        .group_by(cat.c.value)
    )
    active = {c: n for c, n in s.execute(active_q)}
    if f.category is not None:  # the cut names one category: the others an entity has are not asked for
        covered = {c: n for c, n in covered.items() if c == f.category}
        active = {c: n for c, n in active.items() if c == f.category}
    ratios = {c: r for c, r in plans(s, f).items() if f.category is None or c == f.category}
    return fig.plan_coverage(covered, active, ratios)


def dashboard(db: Database, f: StatsFilter, today: date, plans: PlanRatios = no_plans) -> Dashboard:
    """Every figure of the dashboard, read in one unit of work."""
    with db.unit_of_work() as s:
        figures = [
            tasks_by_state(s, f),
            completion(s, f),
            outcome_mix(s, f),
            problem_rate(s, f),
            follow_ups(s, f, today),
            publication(s, f),
            deliveries(s, f),
            plan_coverage(s, f, plans),
        ]
    return Dashboard(f, today, {x.name: x for x in figures})


def stats_for(db: Database, caller: Principal, f: StatsFilter, today: date, plans: PlanRatios = no_plans) -> Dashboard:
    """The dashboard ``caller`` may see: coordinators, reviewers and auditors any cut; a liaison their
    own agency's figures only (the cut is narrowed to it; asking for another agency is refused)."""
    if not sees_everything(caller):
        if "liaison" not in caller.roles or not caller.agency:
            raise Forbidden(f"{caller.name} may not see the statistics", where="stats")
        if f.agency not in (None, caller.agency):
            raise Forbidden(f"a liaison of {caller.agency} sees only {caller.agency}'s figures", where="agency")
        f = replace(f, agency=caller.agency)
    return dashboard(db, f, today, plans)


def parse_filter(args: Any) -> StatsFilter:
    """A StatsFilter from query arguments (year, agency, district, category, task); InvalidInput naming a bad one."""

    def text(name: str, most: int) -> str | None:
        value = (args.get(name) or "").strip()
        if len(value) > most:
            raise InvalidInput(f"at most {most} characters", where=name)
        return value or None

    year_text = text("year", 4)
    year = None
    if year_text is not None:
        if not year_text.isdigit() or not 2000 <= int(year_text) <= 2100:
            raise InvalidInput(f"{year_text!r} is not a year (2000-2100)", where="year")
        year = int(year_text)
    district = text("district", 6)
    if district is not None and not (district.isdigit() and len(district) == 6):
        raise InvalidInput(f"{district!r} is not a district code (6 digits)", where="district")
    return StatsFilter(year, text("agency", 32), district, text("category", 64), text("task", 64))


__all__ = ["Dashboard", "PlanRatios", "dashboard", "no_plans", "parse_filter", "stats_for"]
