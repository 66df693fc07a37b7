"""The dashboard's figures as plain tables, and the arithmetic behind them (pure).

Each figure has one definition (shared/spec/documents.md "Figures", docs/results.md): the statistics
service reads counts from the database and builds every figure here, so the page, its CSV and Excel
files and ``GET /api/v1/stats`` carry the same table.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from hub.display import CATEGORIES, N_
from vocabulary.outcomes import TEXTS

# documents.md: outcome 1 is "no problem", 7 "not applicable", 9-13 the entity's status.
PROBLEM_CODES = frozenset({"2", "3", "4", "5", "6", "8"})
FOLLOW_UP_KINDS = ("correction", "case", "transfer")
TASK_STATE_NAMES = {
    "draft": N_("草稿"),
    "committing": N_("承诺中"),
    "frozen": N_("已冻结"),
    "drawn": N_("已抽取"),
    "void": N_("已作废"),
}
KIND_NAMES = {
    "correction": N_("责令整改"),
    "case": N_("立案处罚"),
    "transfer": N_("线索移送"),
    "results": N_("检查结果（20个工作日）"),
    "penalties": N_("处罚决定（7个工作日）"),
}


@dataclass(frozen=True)
class StatsFilter:
    """The cut of every figure: the tasks' year (their window's start), agency, district, category, task."""

    year: int | None = None
    agency: str | None = None
    district: str | None = None
    category: str | None = None
    task: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "agency": self.agency,
            "district": self.district,
            "category": self.category,
            "task": self.task,
        }


@dataclass(frozen=True)
class Figure:
    """One figure as a table: machine column names, their Chinese headers, rows of plain values."""

    name: str
    title: str
    columns: tuple[str, ...]
    headers: tuple[str, ...]
    rows: list[tuple[Any, ...]] = field(default_factory=list)

    def column(self, name: str) -> list[Any]:
        i = self.columns.index(name)
        return [r[i] for r in self.rows]

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "columns": list(self.columns),
            "headers": list(self.headers),
            "rows": [list(r) for r in self.rows],
        }


def ratio(part: int, whole: int) -> float | None:
    """part / whole rounded to 4 places; None when there is nothing to divide (not 0: unknown)."""
    return round(part / whole, 4) if whole else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100) by linear interpolation between closest ranks; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low, high = math.floor(pos), math.ceil(pos)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def ranks_needed(n: int, q: float) -> tuple[int, int]:
    """The 0-based ranks (low, high) that ``percentile`` of ``n`` values at ``q`` (0-100) interpolates between."""
    pos = (n - 1) * q / 100
    return math.floor(pos), math.ceil(pos)


def percentile_of_ranked(ranked: Mapping[int, float], n: int, q: float) -> float | None:
    """``percentile`` of ``n`` ordered values of which only some are given, by 0-based rank: those of
    ``ranks_needed(n, q)`` must be (a database picks them out; no need to read all the values)."""
    if n <= 0:
        return None
    pos = (n - 1) * q / 100
    low, high = ranks_needed(n, q)
    return ranked[low] + (ranked[high] - ranked[low]) * (pos - low)


def has_problem(codes: Iterable[str]) -> bool:
    return bool(PROBLEM_CODES & {str(c) for c in codes})


@dataclass(frozen=True)
class ResultGroup:
    """Approved results of the cut sharing their entity's categories, codes and flags, and how many."""

    categories: tuple[str, ...]
    codes: tuple[str, ...]
    superseded: bool  # an approved amendment replaced it
    first: bool  # a first publication (not an amendment)
    on_time: bool  # published within its 20 working days
    n: int


def drawn_pairs(task_groups: Iterable[tuple[Sequence[str], int]], agency: str | None) -> int:
    """(agencies of a task, its drawn entities in the cut) → drawn (entity, agency) pairs of the cut."""
    return sum(n * (len(set(agencies)) if agency is None else int(agency in agencies)) for agencies, n in task_groups)


def inspected(groups: Iterable[ResultGroup]) -> int:
    """Drawn pairs with a current approved result (one per pair: an approved amendment supersedes)."""
    return sum(g.n for g in groups if not g.superseded)


def code_counts(groups: Iterable[ResultGroup]) -> dict[str, int]:
    out: dict[str, int] = {}
    for g in groups:
        if not g.superseded:
            for c in set(g.codes):
                out[c] = out.get(c, 0) + g.n
    return out


def problems_by_category(groups: Iterable[ResultGroup], only: str | None = None) -> dict[str, tuple[int, int]]:
    """category → (inspected pairs, of which with a problem); an entity counts in each of its categories."""
    out: dict[str, tuple[int, int]] = {}
    for g in groups:
        if g.superseded:
            continue
        for c in set(g.categories):
            if only is None or c == only:
                n, p = out.get(c, (0, 0))
                out[c] = (n + g.n, p + (g.n if has_problem(g.codes) else 0))
    return out


def published_on_time(groups: Iterable[ResultGroup]) -> tuple[int, int]:
    """(first publications, of which within 20 working days); an amendment has no clock of its own."""
    first = [g for g in groups if g.first]
    return sum(g.n for g in first), sum(g.n for g in first if g.on_time)


def by_category(rows: Iterable[tuple[Sequence[str], int]], only: str | None = None) -> dict[str, int]:
    """(an entity's categories, a count of entities) rows → count per category (each entity in each of its own)."""
    out: dict[str, int] = {}
    for categories, n in rows:
        for c in set(categories):
            if only is None or c == only:
                out[c] = out.get(c, 0) + n
    return out


def tasks_by_state(counts: Mapping[str, int]) -> Figure:
    return Figure(
        "tasks",
        N_("任务状态"),
        ("state", "name", "tasks"),
        (N_("状态"), N_("状态名称"), N_("任务数")),
        [(k, TASK_STATE_NAMES.get(k, k), n) for k, n in sorted(counts.items())],
    )


def completion(drawn: int, inspected: int) -> Figure:
    return Figure(
        "completion",
        N_("完成率"),
        ("drawn", "inspected", "completion_rate"),
        (N_("抽中（对象×部门）"), N_("已检查（已审核）"), N_("完成率")),
        [(drawn, inspected, ratio(inspected, drawn))],
    )


def outcome_mix(counts: Mapping[str, int]) -> Figure:
    """Current approved results carrying each outcome code (a result with two codes counts under both)."""
    return Figure(
        "outcomes",
        N_("检查结果构成"),
        ("code", "name", "results"),
        (N_("结果代码"), N_("结果名称"), N_("结果数")),
        [
            (c, TEXTS.get(c, c), n)
            for c, n in sorted(counts.items(), key=lambda kv: int(kv[0]) if kv[0].isdigit() else 99)
        ],
    )


def problem_rate(by_category: Mapping[str, tuple[int, int]]) -> Figure:
    """``by_category``: category -> (inspected pairs, inspected pairs with a problem)."""
    return Figure(
        "problems",
        N_("问题发现率（按类别）"),
        ("category", "name", "inspected", "with_problem", "problem_rate"),
        (N_("类别"), N_("类别名称"), N_("已检查"), N_("发现问题"), N_("问题发现率")),
        [(c, CATEGORIES.get(c, c), n, p, ratio(p, n)) for c, (n, p) in sorted(by_category.items())],
    )


def follow_ups(counts: Mapping[str, tuple[int, int, int]]) -> Figure:
    """``counts``: kind -> (open, closed, overdue)."""
    return Figure(
        "follow_ups",
        N_("后续处理"),
        ("kind", "name", "open", "closed", "overdue"),
        (N_("类型"), N_("名称"), N_("未办结"), N_("已办结"), N_("逾期")),
        [(k, KIND_NAMES[k], *counts.get(k, (0, 0, 0))) for k in FOLLOW_UP_KINDS],
    )


def publication(results: tuple[int, int], penalties: tuple[int, int]) -> Figure:
    """(published, on time) of results (20 working days) and of penalty decisions (7), counted apart."""
    return Figure(
        "publication",
        N_("按时公示"),
        ("kind", "name", "published", "on_time", "on_time_rate"),
        (N_("类型"), N_("名称"), N_("已公示"), N_("按时"), N_("按时率")),
        [
            ("results", KIND_NAMES["results"], results[0], results[1], ratio(results[1], results[0])),
            ("penalties", KIND_NAMES["penalties"], penalties[0], penalties[1], ratio(penalties[1], penalties[0])),
        ],
    )


def deliveries(counts: Mapping[tuple[str, str], int], seconds: Mapping[str, Sequence[float]]) -> Figure:
    """Result messages per sink and state, with the median and 95th percentile of approval → acceptance."""
    sinks = sorted({sink for sink, _ in counts} | set(seconds))
    rows = []
    for sink in sinks:
        waits = seconds.get(sink, ())
        p50, p95 = percentile(waits, 50), percentile(waits, 95)
        rows.append(
            (
                sink,
                counts.get((sink, "pending"), 0),
                counts.get((sink, "delivered"), 0),
                counts.get((sink, "rejected"), 0),
                None if p50 is None else round(p50, 1),
                None if p95 is None else round(p95, 1),
            )
        )
    return Figure(
        "deliveries",
        N_("推送情况"),
        ("sink", "pending", "delivered", "rejected", "p50_seconds", "p95_seconds"),
        (N_("推送目标"), N_("待发"), N_("已送达"), N_("被拒"), N_("中位用时（秒）"), N_("95分位用时（秒）")),
        rows,
    )


def plan_coverage(
    covered: Mapping[str, int], active: Mapping[str, int], plan_ratios: Mapping[str, float | None]
) -> Figure:
    """category -> distinct entities with an approved result / active entities, beside the plan's ratio."""
    categories = sorted(set(active) | set(covered) | set(plan_ratios))
    return Figure(
        "coverage",
        N_("年度计划覆盖"),
        ("category", "name", "covered", "active", "coverage", "plan_ratio"),
        (N_("类别"), N_("类别名称"), N_("已检查对象"), N_("在册对象"), N_("覆盖率"), N_("计划比例")),
        [
            (
                c,
                CATEGORIES.get(c, c),
                covered.get(c, 0),
                active.get(c, 0),
                ratio(covered.get(c, 0), active.get(c, 0)),
                plan_ratios.get(c),
            )
            for c in categories
        ],
    )


def overdue(due: date | None, closed: bool, today: date) -> bool:
    """Open with its due date passed (the due day itself is still on time)."""
    return not closed and due is not None and today > due
