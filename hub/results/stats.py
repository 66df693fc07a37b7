"""The statistics: each dashboard figure read by one function (aggregates in SQL, arithmetic in
hub.results.figures), all of them in one unit of work by ``dashboard``.

Definitions (shared/spec/documents.md "Figures"; docs/results.md says each in Chinese):
- a *drawn pair* is (entity, agency) of a drawn task (state drawn: not voided) and one of its agencies;
- the *current result* of a pair is its approved result that no approved amendment superseded;
- every figure is cut by the task's year (its window's start), agency, district and category of the
  entity (an entity counts in each of its categories), and task.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import Integer, Select, and_, case, cast, exists, func, literal, or_, select, text
from sqlalchemy.dialects.postgresql import JSONB
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
from hub.results.figures import Figure, StatsFilter
from hub.results.models import CoverageFact, DeliveryFact, FollowUp, FollowUpFact, Result, ResultFact
from hub.results.states import ResultState
from hub.rosters.models import Entity
from hub.tasks.models import JointTask

# Plan coverage needs each category's planned ratio for a year; the annual plans provide it
# (hub.plans.coverage, passed in by the pages and the API: plans sit above results in the layers).
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
    """The JSON array ``categories`` holds ``category``. On PostgreSQL by containment (``@>``), which the
    planner estimates from the column's statistics; an EXISTS over jsonb_array_elements_text is estimated at
    one row, and the misestimate turned the cut's joins into nested loops 5-6 times slower."""
    if s.get_bind().dialect.name == "postgresql":
        return categories.op("@>")(cast(literal(json.dumps([category])), JSONB))
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


def _results(s: Session, f: StatsFilter, *columns: Any, entities: bool = True) -> Select[Any]:
    """Approved results of drawn tasks in the cut (the entity joined when asked or when the cut needs it)."""
    q = (
        select(*columns)
        .select_from(Result)
        .join(JointTask, and_(JointTask.id == Result.task_id, JointTask.state == "drawn"))
        .where(Result.state == ResultState.APPROVED, *_task_cut(s, f))
    )
    if entities or f.district is not None or f.category is not None:
        q = q.outerjoin(Entity, Entity.entity_id == Result.entity_id).where(*_entity_cut(s, f))
    return q.where(Result.agency == f.agency) if f.agency is not None else q


def _tuple(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value or ())


# --- reads: a few grouped queries, each figure folded from them (hub.results.figures) ---------


def _facts_cut(s: Session, f: StatsFilter, facts: Any) -> list[ColumnElement[bool]]:
    """The cut on a summary table (``ResultFact``, ``FollowUpFact``): year, agency, district, category."""
    out: list[ColumnElement[bool]] = []
    if f.year is not None:
        out.append(facts.year == f.year)
    if f.agency is not None:
        out.append(facts.agency == f.agency)
    if f.district is not None:
        out.append(facts.district == f.district)
    if f.category is not None:
        out.append(_has_category(s, facts.categories, f.category))
    return out


def result_groups(s: Session, f: StatsFilter) -> list[fig.ResultGroup]:
    """Approved results of the cut grouped by their entity's categories, codes and flags (a few hundred rows):
    from the summary ``result_facts`` (kept exact by triggers, migration 0016_stats_summary), or, for one
    task's figures (the summary has no task), from the results themselves."""
    if f.task is not None:
        return result_groups_direct(s, f)
    F = ResultFact
    cols = (F.categories, F.codes, F.superseded, F.first, F.on_time)
    n = func.sum(F.n)
    q = select(*cols, n).where(*_facts_cut(s, f, F)).group_by(*cols).having(n != 0)
    groups: dict[tuple[tuple[str, ...], tuple[str, ...], bool, bool, bool], int] = {}
    for cats, codes, sup, fst, ot, count in s.execute(q):
        # rows whose JSON is spelled differently (a sync writes '["a","b"]', the ORM '["a", "b"]') fold here
        k = (_tuple(cats), _tuple(codes), bool(sup), bool(fst), bool(ot))
        groups[k] = groups.get(k, 0) + int(count)
    return [fig.ResultGroup(c, codes, sup, fst, ot, n) for (c, codes, sup, fst, ot), n in groups.items() if n]


def result_groups_direct(s: Session, f: StatsFilter) -> list[fig.ResultGroup]:
    """``result_groups`` counted from the results, joined to their tasks and entities (every approved result read)."""
    first = Result.amends.is_(None)
    on_time = func.coalesce(Result.published_on <= Result.due_on, False)
    q = _results(
        s, f, Entity.categories, Result.outcome_codes, Result.superseded, first, on_time, func.count()
    ).group_by(Entity.categories, Result.outcome_codes, Result.superseded, first, on_time)
    return [
        fig.ResultGroup(_tuple(cats), _tuple(codes), bool(sup), bool(fst), bool(ot), n)
        for cats, codes, sup, fst, ot, n in s.execute(q)
    ]


def task_groups(s: Session, f: StatsFilter) -> list[tuple[tuple[str, ...], int]]:
    """(agencies of a drawn task, its drawn entities in the cut), grouped by the agencies.

    The assignments are counted per task first (a hash on the task id), then the few task rows are grouped by
    their agencies: grouping 100,000 assignments by a JSON array directly costs five times as much."""
    per_task = select(Assignment.task_id, func.count().label("n")).group_by(Assignment.task_id)
    if f.district is not None or f.category is not None:
        per_task = per_task.join(Entity, Entity.entity_id == Assignment.entity_id).where(*_entity_cut(s, f))
    a = per_task.subquery("a")
    q = (
        select(JointTask.agencies, func.sum(a.c.n))
        .select_from(a)
        .join(JointTask, and_(JointTask.id == a.c.task_id, JointTask.state == "drawn"))
        .where(*_task_cut(s, f))
        .group_by(JointTask.agencies)
    )
    return [(_tuple(agencies), int(n)) for agencies, n in s.execute(q)]


# --- one function per figure ---------------------------------------------------------------


def tasks_by_state(s: Session, f: StatsFilter) -> Figure:
    """Joint tasks by state (cut by year, agency and task: a task has no one district or category)."""
    q = select(JointTask.state, func.count()).where(*_task_cut(s, f)).group_by(JointTask.state)
    if f.agency is not None:
        q = q.where(_has_category(s, JointTask.agencies, f.agency))
    return fig.tasks_by_state({state: n for state, n in s.execute(q)})


def completion(s: Session, f: StatsFilter, groups: list[fig.ResultGroup] | None = None) -> Figure:
    """completion rate = inspected / drawn (pairs)."""
    groups = result_groups(s, f) if groups is None else groups
    return fig.completion(fig.drawn_pairs(task_groups(s, f), f.agency), fig.inspected(groups))


def outcome_mix(s: Session, f: StatsFilter, groups: list[fig.ResultGroup] | None = None) -> Figure:
    return fig.outcome_mix(fig.code_counts(result_groups(s, f) if groups is None else groups))


def problem_rate(s: Session, f: StatsFilter, groups: list[fig.ResultGroup] | None = None) -> Figure:
    """problem rate per category = inspected pairs with an outcome in {2,3,4,5,6,8} / inspected pairs."""
    groups = result_groups(s, f) if groups is None else groups
    return fig.problem_rate(fig.problems_by_category(groups, f.category))


FollowUpRows = list[tuple[str, bool, bool, bool, bool, int]]


def _follow_up_rows(s: Session, f: StatsFilter, today: date) -> FollowUpRows:
    """(kind, closed, overdue, a decided case, its decision published in time, count) of approved results'
    follow-ups: from the summary ``follow_up_facts`` (overdue: open, due before ``today``), or for one task's
    figures from the follow-ups themselves."""
    if f.task is not None:
        return follow_up_rows_direct(s, f, today)
    F = FollowUpFact
    flags = (F.kind, F.closed, and_(F.closed.is_(False), F.due_on < today), F.decided, F.timely)
    n = func.sum(F.n)
    q = select(*flags, n).where(*_facts_cut(s, f, F)).group_by(*flags).having(n != 0)
    return [(k, bool(c), bool(o), bool(d), bool(t), int(count)) for k, c, o, d, t, count in s.execute(q)]


def follow_up_rows_direct(s: Session, f: StatsFilter, today: date) -> FollowUpRows:
    """``_follow_up_rows`` counted from the follow-ups, joined to their results, tasks and entities."""
    due = case((FollowUp.kind == "case", FollowUp.penalty_due_on), else_=FollowUp.due_on)
    overdue = and_(FollowUp.closed.is_(False), due < today)
    decided = FollowUp.decided_on.is_not(None)
    timely = and_(FollowUp.closed.is_(True), FollowUp.closed_on <= FollowUp.penalty_due_on)
    flags = (FollowUp.kind, FollowUp.closed, func.coalesce(overdue, False), decided, func.coalesce(timely, False))
    q = (
        _results(s, f, *flags, func.count(), entities=False)
        .join(FollowUp, FollowUp.result_id == Result.id)
        .group_by(*flags)
    )
    return [(k, bool(c), bool(o), bool(d), bool(t), n) for k, c, o, d, t, n in s.execute(q)]


def follow_ups(s: Session, f: StatsFilter, today: date, rows: FollowUpRows | None = None) -> Figure:
    """Follow-ups of approved results by kind: open, closed, overdue (open with its due date passed)."""
    counts: dict[str, tuple[int, int, int]] = {}
    for kind, closed, overdue, _, _, n in _follow_up_rows(s, f, today) if rows is None else rows:
        o, c, d = counts.get(kind, (0, 0, 0))
        counts[kind] = (o + (0 if closed else n), c + (n if closed else 0), d + (n if overdue else 0))
    return fig.follow_ups(counts)


def publication(
    s: Session,
    f: StatsFilter,
    today: date,
    groups: list[fig.ResultGroup] | None = None,
    rows: FollowUpRows | None = None,
) -> Figure:
    """Results published within 20 working days of the inspection (first publications: an amendment
    has no clock of its own); penalty decisions published (closed) within 7 of the decision."""
    groups = result_groups(s, f) if groups is None else groups
    rows = _follow_up_rows(s, f, today) if rows is None else rows
    decided = sum(n for kind, closed, _, d, _, n in rows if kind == "case" and d and closed)
    timely = sum(n for kind, closed, _, d, t, n in rows if kind == "case" and d and closed and t)
    return fig.publication(fig.published_on_time(groups), (decided, timely))


QS = (50.0, 95.0)  # the deliveries' quantiles: median and 95th percentile


def deliveries(s: Session, f: StatsFilter) -> Figure:
    """Result messages per sink by state; median and 95th percentile from approval (the message is
    written in the approval's transaction) to acceptance: from the summary ``delivery_facts`` (which keeps
    every wait exactly: the quantiles interpolate between the same two waits as over the messages), or for one
    task's figures from the messages themselves."""
    if f.task is not None:
        return deliveries_direct(s, f)
    F = DeliveryFact
    cut = _facts_cut(s, f, F)
    if s.get_bind().dialect.name == "postgresql":
        # one pass: each row stands for n messages (generate_series repeats it n times: the quantiles are
        # those of the messages), counted by state, the delivered ones' waits sorted for the quantiles
        g = func.generate_series(1, F.n).table_valued("i").lateral("g")
        q = (
            select(
                F.sink,
                F.state,
                func.count(),
                func.percentile_cont(0.5).within_group(F.wait).filter(F.timed.is_(True)),
                func.percentile_cont(0.95).within_group(F.wait).filter(F.timed.is_(True)),
            )
            .select_from(F)
            .join(g, literal(True))
            .where(*cut)
            .group_by(F.sink, F.state)
        )
        counts: dict[tuple[str, str], int] = {}
        quantiles: dict[str, tuple[float, ...]] = {}
        for sink, state, k, p50, p95 in s.execute(q):
            counts[(sink, state)] = int(k)
            if p50 is not None:
                quantiles[sink] = (round(float(p50), 1), round(float(p95), 1))
        return _with_quantiles(counts, quantiles)
    n = func.sum(F.n)
    counts = {
        (sink, state): int(k)
        for sink, state, k in s.execute(select(F.sink, F.state, n).where(*cut).group_by(F.sink, F.state).having(n != 0))
    }
    # the delivered messages' waits per sink, each with how many share it, and the running count in wait order:
    # only the rows holding the ranks the two quantiles interpolate between are read
    w = (
        select(F.sink.label("sink"), F.wait.label("wait"), n.label("k"))
        .where(F.timed.is_(True), *cut)
        .group_by(F.sink, F.wait)
        .having(n > 0)
        .subquery("w")
    )
    totals = {sink: int(t) for sink, t in s.execute(select(w.c.sink, func.sum(w.c.k)).group_by(w.c.sink))}
    if not totals:
        return _with_quantiles(counts, {})
    c = select(
        w.c.sink,
        w.c.wait,
        w.c.k,
        func.sum(w.c.k).over(partition_by=w.c.sink, order_by=w.c.wait, rows=(None, 0)).label("cum"),
    ).subquery("c")
    wanted = {sink: sorted({r for q in QS for r in fig.ranks_needed(t, q)}) for sink, t in totals.items()}
    near = [
        and_(c.c.sink == sink, c.c.cum - c.c.k <= ranks[-1], c.c.cum - 1 >= ranks[0]) for sink, ranks in wanted.items()
    ]
    ranked: dict[str, dict[int, float]] = {}
    for sink, wait, k, cum in s.execute(select(c.c.sink, c.c.wait, c.c.k, c.c.cum).where(or_(*near))):
        for rank in wanted[sink]:
            if cum - k <= rank < cum:  # the rows from cum - k to cum - 1 (0-based) all wait this long
                ranked.setdefault(sink, {})[rank] = float(wait)
    quantiles = {
        sink: tuple(round(fig.percentile_of_ranked(ranked.get(sink, {}), totals[sink], q) or 0.0, 1) for q in QS)
        for sink in totals
    }
    return _with_quantiles(counts, quantiles)


def deliveries_direct(s: Session, f: StatsFilter) -> Figure:
    """``deliveries`` read from the messages, joined to their tasks (and results and entities for a cut)."""
    M = OutboxMessage
    q = (
        select(M.sink, M.state, func.count())
        .select_from(M)
        .join(JointTask, and_(JointTask.id == M.task_id, JointTask.state == "drawn"))
        .where(M.kind == "result", *_task_cut(s, f))
    )
    if f.agency is not None or f.district is not None or f.category is not None:
        q = q.join(Result, Result.result_id == M.key).where(Result.state == ResultState.APPROVED)
        if f.agency is not None:
            q = q.where(Result.agency == f.agency)
        if f.district is not None or f.category is not None:
            q = q.join(Entity, Entity.entity_id == Result.entity_id).where(*_entity_cut(s, f))
    if s.get_bind().dialect.name == "postgresql":
        # One pass over the messages: the counts by state as filtered counts, the quantiles as ordered-set
        # aggregates over the delivered messages only (each sorts just those); two queries read them twice.
        epoch = func.extract("epoch", M.delivered_at - M.created_at)
        delivered = and_(M.state == "delivered", M.delivered_at.is_not(None))
        states = ("pending", "delivered", "rejected")  # the states the figure shows
        counts: dict[tuple[str, str], int] = {}
        quantiles: dict[str, tuple[float, ...]] = {}
        for sink, *row in s.execute(
            q.with_only_columns(
                M.sink,
                *(func.count().filter(M.state == state) for state in states),
                func.percentile_cont(0.5).within_group(epoch).filter(delivered),
                func.percentile_cont(0.95).within_group(epoch).filter(delivered),
            ).group_by(M.sink)
        ):
            counts.update({(sink, state): n for state, n in zip(states, row[:3], strict=True)})
            if row[3] is not None:
                quantiles[sink] = (round(float(row[3]), 1), round(float(row[4]), 1))
        return _with_quantiles(counts, quantiles)
    counts = {(sink, state): n for sink, state, n in s.execute(q.group_by(M.sink, M.state))}
    delivered_q = q.where(M.state == "delivered", M.delivered_at.is_not(None))
    # SQLite has no percentile: rank the delivered messages' waits per sink in SQL, and read only the ranks
    # the two quantiles interpolate between (a few rows, not every delivered message).
    wait = func.round((func.julianday(M.delivered_at) - func.julianday(M.created_at)) * 86400.0, 3)
    d = delivered_q.with_only_columns(
        M.sink.label("sink"),
        wait.label("w"),
        (func.row_number().over(partition_by=M.sink, order_by=wait) - 1).label("i"),
        func.count().over(partition_by=M.sink).label("n"),
    ).subquery("d")
    near = [
        d.c.i.between(cast((d.c.n - 1) * (q / 100), Integer), cast((d.c.n - 1) * (q / 100), Integer) + 1) for q in QS
    ]
    ranked: dict[str, tuple[int, dict[int, float]]] = {}
    for sink, w, i, n in s.execute(select(d.c.sink, d.c.w, d.c.i, d.c.n).where(or_(*near))):
        ranked.setdefault(sink, (n, {}))[1][i] = float(w)
    quantiles = {
        sink: tuple(round(fig.percentile_of_ranked(r, n, q) or 0.0, 1) for q in QS) for sink, (n, r) in ranked.items()
    }
    return _with_quantiles(counts, quantiles)


def _with_quantiles(counts: dict[tuple[str, str], int], quantiles: Mapping[str, tuple[float, ...]]) -> Figure:
    figure = fig.deliveries(counts, {})
    rows = [(*row[:4], *quantiles.get(row[0], (None, None))) for row in figure.rows]
    return Figure(figure.name, figure.title, figure.columns, figure.headers, rows)


def plan_coverage(s: Session, f: StatsFilter, plans: PlanRatios = no_plans, direct: bool = False) -> Figure:
    """Per category: distinct entities with a current result in the cut / active entities, beside the plan's ratio
    (``plans``: hub.plans.coverage, injected by the caller: plans sit above results).

    The covered entities come from the summary ``coverage_facts`` (current results per entity, year and agency,
    under the entity's district and categories): a DISTINCT count per categories, no pass over the results;
    the active ones from the entities. For one task's figures (or ``direct``) one pass over the entities of the
    cut counts both, with the entity ids of the cut's current results as a hashed set."""
    ratios = {c: r for c, r in plans(s, f).items() if f.category is None or c == f.category}
    if f.task is None and not direct:
        C = CoverageFact
        # distinct (categories, entity) first, then counted per categories: two hash aggregates (a count(DISTINCT)
        # sorts every row, twice as slow)
        pairs = select(C.categories, C.entity_id).where(C.n > 0, *_facts_cut(s, f, C)).distinct().subquery("pairs")
        covered_q = select(pairs.c.categories, func.count()).group_by(pairs.c.categories)
        active_q = (
            select(Entity.categories, func.count())
            .where(Entity.active.is_(True), *_entity_cut(s, f))
            .group_by(Entity.categories)
        )
        covered = fig.by_category(((_tuple(c), n) for c, n in s.execute(covered_q)), f.category)
        active = fig.by_category(((_tuple(c), n) for c, n in s.execute(active_q)), f.category)
        return fig.plan_coverage(
            {c: n for c, n in covered.items() if n}, {c: n for c, n in active.items() if n}, ratios
        )
    current = (
        select(Result.entity_id)
        .join(JointTask, and_(JointTask.id == Result.task_id, JointTask.state == "drawn"))
        .where(Result.state == ResultState.APPROVED, Result.superseded.is_(False), *_task_cut(s, f))
    )
    if f.agency is not None:
        current = current.where(Result.agency == f.agency)
    q = (
        select(
            Entity.categories,
            func.count().filter(Entity.entity_id.in_(current)),
            func.count().filter(Entity.active.is_(True)),
        )
        .where(*_entity_cut(s, f))
        .group_by(Entity.categories)
    )
    rows = [(_tuple(c), covered_n, active_n) for c, covered_n, active_n in s.execute(q)]
    covered = fig.by_category(((c, n) for c, n, _ in rows), f.category)
    active = fig.by_category(((c, n) for c, _, n in rows), f.category)
    return fig.plan_coverage({c: n for c, n in covered.items() if n}, {c: n for c, n in active.items() if n}, ratios)


def dashboard(db: Database, f: StatsFilter, today: date, plans: PlanRatios = no_plans) -> Dashboard:
    """Every figure of the dashboard, read in one unit of work."""
    with db.unit_of_work() as s:
        if s.get_bind().dialect.name == "postgresql":
            s.execute(text("SET LOCAL work_mem = '32MB'"))  # the groupings sort in memory, not on disk
            # generate_series is estimated at 1,000 rows a call (deliveries): the cost it adds up to would have
            # the plan compiled by JIT, 200-400 ms for a query that runs in tens
            s.execute(text("SET LOCAL jit = off"))
        groups = result_groups(s, f)  # read once, folded into four figures
        rows = _follow_up_rows(s, f, today)  # read once, folded into two
        figures = [
            tasks_by_state(s, f),
            completion(s, f, groups),
            outcome_mix(s, f, groups),
            problem_rate(s, f, groups),
            follow_ups(s, f, today, rows),
            publication(s, f, today, groups, rows),
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
