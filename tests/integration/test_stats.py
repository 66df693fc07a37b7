"""Every dashboard figure against the same figure computed here, on its own, from the generated rows
(documents.md "Figures"), for several cuts; on SQLite and PostgreSQL (HUB_TEST_DB=postgresql)."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import date
from typing import Any

import pytest

from hub.results.figures import StatsFilter
from hub.results.stats import dashboard
from tests.integration.stats_factory import World, generate, load

TODAY = date(2026, 12, 3)
PROBLEMS = {"2", "3", "4", "5", "6", "8"}

CUTS = [
    StatsFilter(),
    StatsFilter(year=2026),
    StatsFilter(year=2025, agency="SAMR"),
    StatsFilter(district="370103"),
    StatsFilter(category="school"),
    StatsFilter(agency="HEALTH", category="hotel", district="370102"),
]


@pytest.fixture(scope="module")
def world() -> World:
    return generate(results=500, seed=11)


@pytest.fixture
def loaded(db, world):  # type: ignore[no-untyped-def]
    load(db, world)
    return db


class Expected:
    """The figures of documents.md computed straight from the generated rows."""

    def __init__(self, w: World, f: StatsFilter) -> None:
        self.w, self.f = w, f
        self.tasks = {t["id"]: t for t in w.tasks}
        self.entities = {e["entity_id"]: e for e in w.entities}

    def task_in(self, t: dict[str, Any]) -> bool:
        f = self.f
        return (f.year is None or t["window_start"].year == f.year) and (f.task is None or t["id"] == f.task)

    def entity_in(self, entity_id: str) -> bool:
        e, f = self.entities[entity_id], self.f
        return (f.district is None or e["district"] == f.district) and (
            f.category is None or f.category in e["categories"]
        )

    def result_in(self, r: dict[str, Any]) -> bool:
        t = self.tasks[r["task_id"]]
        return (
            t["state"] == "drawn"
            and self.task_in(t)
            and self.entity_in(r["entity_id"])
            and (self.f.agency is None or r["agency"] == self.f.agency)
        )

    def approved(self) -> list[dict[str, Any]]:
        return [r for r in self.w.results if r["state"] == "approved" and self.result_in(r)]

    def current(self) -> list[dict[str, Any]]:
        return [r for r in self.approved() if not r["superseded"]]

    def tasks_by_state(self) -> list[tuple[Any, ...]]:
        n = Counter(
            t["state"]
            for t in self.w.tasks
            if self.task_in(t) and (self.f.agency is None or self.f.agency in t["agencies"])
        )
        return sorted(n.items())

    def completion(self) -> list[tuple[Any, ...]]:
        drawn = [
            (a["task_id"], a["entity_id"], ag)
            for a in self.w.assignments
            for ag in self.tasks[a["task_id"]]["agencies"]
            if self.tasks[a["task_id"]]["state"] == "drawn"
            and self.task_in(self.tasks[a["task_id"]])
            and self.entity_in(a["entity_id"])
            and (self.f.agency is None or ag == self.f.agency)
        ]
        done = {(r["task_id"], r["entity_id"], r["agency"]) for r in self.current()}
        inspected = sum(1 for p in drawn if p in done)
        return [(len(drawn), inspected, round(inspected / len(drawn), 4) if drawn else None)]

    def outcomes(self) -> list[tuple[Any, ...]]:
        n = Counter(c for r in self.current() for c in r["outcome_codes"])
        return sorted(n.items(), key=lambda kv: int(kv[0]))

    def problems(self) -> list[tuple[Any, ...]]:
        seen: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for r in self.current():
            for c in self.entities[r["entity_id"]]["categories"]:
                if self.f.category and c != self.f.category:
                    continue  # a category cut shows that category only
                seen[c][0] += 1
                seen[c][1] += bool(PROBLEMS & set(r["outcome_codes"]))
        return [(c, n, p, round(p / n, 4)) for c, (n, p) in sorted(seen.items())]

    def follow_ups(self) -> list[tuple[Any, ...]]:
        ids = {r["id"] for r in self.approved()}
        n: dict[str, list[int]] = {k: [0, 0, 0] for k in ("correction", "case", "transfer")}
        for fu in self.w.follow_ups:
            if fu["result_id"] not in ids:
                continue
            due = fu["penalty_due_on"] if fu["kind"] == "case" else fu["due_on"]
            n[fu["kind"]][0 if not fu["closed"] else 1] += 1
            n[fu["kind"]][2] += not fu["closed"] and due is not None and TODAY > due
        return [(k, *v) for k, v in n.items()]

    def publication(self) -> list[tuple[Any, ...]]:
        first = [r for r in self.approved() if r["amends"] is None]
        on_time = sum(1 for r in first if r["published_on"] <= r["due_on"])
        ids = {r["id"] for r in self.approved()}
        cases = [
            fu
            for fu in self.w.follow_ups
            if fu["result_id"] in ids and fu["kind"] == "case" and fu["decided_on"] and fu["closed"]
        ]
        timely = sum(1 for fu in cases if fu["closed_on"] <= fu["penalty_due_on"])

        def rate(a: int, b: int) -> float | None:
            return round(a / b, 4) if b else None

        return [
            ("results", len(first), on_time, rate(on_time, len(first))),
            ("penalties", len(cases), timely, rate(timely, len(cases))),
        ]

    def deliveries(self) -> list[tuple[Any, ...]]:
        approved = {r["result_id"]: r for r in self.approved()}
        counts: Counter[tuple[str, str]] = Counter()
        waits: dict[str, list[float]] = defaultdict(list)
        for m in self.w.messages:
            r = approved.get(m["key"])
            if r is None:
                continue
            counts[m["sink"], m["state"]] += 1
            if m["state"] == "delivered":
                waits[m["sink"]].append((m["delivered_at"] - r["approved_at"]).total_seconds())
        rows = []
        for sink in sorted({s for s, _ in counts}):
            w = waits.get(sink, [])
            p50 = round(statistics.median(w), 1) if w else None
            p95 = round(statistics.quantiles(w, n=20, method="inclusive")[18], 1) if len(w) > 1 else None
            rows.append((sink, counts[sink, "pending"], counts[sink, "delivered"], counts[sink, "rejected"], p50, p95))
        return rows

    def coverage(self) -> list[tuple[Any, ...]]:
        covered: dict[str, set[str]] = defaultdict(set)
        for r in self.current():
            for c in self.entities[r["entity_id"]]["categories"]:
                covered[c].add(r["entity_id"])
        active = Counter(
            c for e in self.w.entities if e["active"] and self.entity_in(e["entity_id"]) for c in e["categories"]
        )
        cats = sorted(set(covered) | set(active))
        if self.f.category:
            cats = [c for c in cats if c == self.f.category]
        return [
            (c, len(covered[c]), active[c], round(len(covered[c]) / active[c], 4) if active[c] else None, None)
            for c in cats
        ]


@pytest.mark.parametrize("cut", CUTS, ids=lambda f: ",".join(f"{k}={v}" for k, v in f.as_dict().items() if v))
def test_every_figure_equals_its_independent_computation(loaded, world, cut):
    got = dashboard(loaded, cut, TODAY).figures
    want = Expected(world, cut)
    for name, rows in (
        ("tasks", want.tasks_by_state()),
        ("completion", want.completion()),
        ("outcomes", want.outcomes()),
        ("problems", want.problems()),
        ("follow_ups", want.follow_ups()),
        ("publication", want.publication()),
        ("deliveries", want.deliveries()),
        ("coverage", want.coverage()),
    ):
        figure = got[name]
        machine = [c for c in figure.columns if c != "name"]  # the Chinese name beside a code is for people
        values = [tuple(r) for r in zip(*(figure.column(c) for c in machine), strict=True)] if figure.rows else []
        if name == "deliveries":  # the percentiles: the database's arithmetic may differ in the last digit
            assert [v[:4] for v in values] == [r[:4] for r in rows], name
            for v, r in zip(values, rows, strict=True):
                assert all((a is None) == (b is None) for a, b in zip(v[4:], r[4:], strict=True)), name
                assert all(abs(a - b) <= 0.11 for a, b in zip(v[4:], r[4:], strict=True) if a is not None), name
            continue
        assert values == [tuple(r) for r in rows], name


def test_the_generated_data_exercises_every_figure(world):
    """The comparison above means something only if the data has each kind of row."""
    assert {t["state"] for t in world.tasks} >= {"drawn", "void", "draft"}
    assert {r["state"] for r in world.results} == {"draft", "entered", "returned", "approved"}
    assert any(r["superseded"] for r in world.results) and any(r["amends"] for r in world.results)
    assert {f["kind"] for f in world.follow_ups} == {"correction", "case", "transfer"}
    assert {m["state"] for m in world.messages} == {"pending", "delivered", "rejected"}
    e = Expected(world, StatsFilter())
    assert e.completion()[0][1] > 0 and any(row[3] for row in e.follow_ups())


def test_a_task_cut_keeps_only_that_task(loaded, world):
    task = next(t["id"] for t in world.tasks if t["state"] == "drawn")
    got = dashboard(loaded, StatsFilter(task=task), TODAY).figures
    assert got["completion"].rows == Expected(world, StatsFilter(task=task)).completion()
    assert got["tasks"].rows == [("drawn", "已抽取", 1)]


def test_plan_coverage_shows_the_approved_plans_floor_per_category(loaded):
    from hub.plans.coverage import PLAN_RATIOS
    from hub.plans.models import AnnualPlan, PlanEntry

    with loaded.unit_of_work() as s:
        for pid, state in (("AP-2026-HEALTH", "approved"), ("AP-2026-SAMR", "draft")):
            s.add(
                AnnualPlan(
                    id=pid,
                    year=2026,
                    lead=pid.rsplit("-", 1)[1],
                    title="计划",
                    state=state,
                    created_by="t",
                    edited_by="t",
                )
            )
        s.flush()
        entries = (  # plan, categories, agencies, ratio
            ("AP-2026-HEALTH", ["school"], ["HEALTH"], "0.2"),
            ("AP-2026-HEALTH", ["school", "hotel"], ["HEALTH", "SAMR"], "0.3"),
            ("AP-2026-SAMR", ["eldercare"], ["SAMR"], "0.9"),  # a draft plan sets no floor
        )
        for n, (pid, cats, agencies, ratio) in enumerate(entries):
            s.add(
                PlanEntry(
                    id=f"{pid}-{n:02d}",
                    plan_id=pid,
                    position=n,
                    title="条目",
                    agencies=agencies,
                    items={},
                    population={"categories": cats},
                    ratio=ratio,
                    months=[6],
                )
            )
    board = dashboard(loaded, StatsFilter(year=2026), TODAY, PLAN_RATIOS).figures["coverage"]
    ratios = dict(zip(board.column("category"), board.column("plan_ratio"), strict=True))
    assert ratios == {"eldercare": None, "hotel": 0.3, "school": 0.3}
    no_year = dashboard(loaded, StatsFilter(), TODAY, PLAN_RATIOS).figures["coverage"]
    assert set(no_year.column("plan_ratio")) == {None}
