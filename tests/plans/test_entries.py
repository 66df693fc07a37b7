"""Plan entries, the plan message and the task an entry starts (pure)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hub.errors import InvalidInput
from hub.plans.entries import parse_entry, plan_message, task_spec_from_entry
from hub.plans.states import PLAN_LIFECYCLE, PlanState
from hub.tasks.spec import parse_task_spec

from .factory import entry


def test_an_entry_keeps_its_ratio_exact_and_sorts_its_months():
    e = parse_entry(entry(ratio=0.05, months=[12, 11, 12]), "HEALTH")
    assert e.ratio == Decimal("0.05")
    assert e.to_dict()["ratio"] == "0.05"
    assert e.months == (11, 12)


@pytest.mark.parametrize(
    ("change", "where", "words"),
    [
        ({"ratio": "1.5"}, "ratio", "不超过 1"),
        ({"ratio": "abc"}, "ratio", "大于 0"),
        ({"months": [0, 13]}, "months", "1–12"),
        ({"agencies": ["SAMR"], "items": {"SAMR": ["SAMR-FOOD-01"]}}, "agencies", "牵头部门"),
        ({"items": {"HEALTH": ["HEALTH-SCH-01"]}}, "items.SAMR", "未选择"),
        ({"items": {"HEALTH": ["X"], "SAMR": ["Y"], "EDU": ["Z"]}}, "items.EDU", "不是本条目"),
        ({"population": {"categories": ["school"], "districts": ["3701"]}}, "population.districts[1]", "格式"),
        ({"title": ""}, "title", "必填"),
        ({"colour": "red"}, "colour", "未知字段"),
    ],
)
def test_a_bad_entry_is_refused_in_chinese_naming_the_field(change, where, words):
    with pytest.raises(InvalidInput) as err:
        parse_entry(entry(**change), "HEALTH", "条目 1")
    assert where in err.value.where
    assert words in str(err.value)


def test_the_plan_message_carries_every_entry_with_its_id():
    e = parse_entry(entry(), "HEALTH")
    message = plan_message("AP-2026-HEALTH", 2026, "HEALTH", "2026年度计划", [("AP-2026-HEALTH-01", e)])
    assert message["entries"] == [{"entry_id": "AP-2026-HEALTH-01", **e.to_dict()}]
    assert set(message) == {"plan_id", "year", "lead", "title", "entries"}


def test_a_task_from_an_entry_inherits_items_population_and_ratio_and_is_a_valid_spec():
    e = parse_entry(entry(), "HEALTH")
    spec = task_spec_from_entry(2026, "HEALTH", e)
    task = parse_task_spec(spec)
    assert task.window.start.isoformat() == "2026-11-01" and task.window.end.isoformat() == "2026-12-31"
    assert task.population.categories == ("school",)
    assert task.strata.ratio == Decimal("0.05")
    assert {t.agency: t.items for t in task.team} == {"HEALTH": ("HEALTH-SCH-01",), "SAMR": ("SAMR-FOOD-01",)}


@pytest.mark.parametrize(
    ("given", "where"),
    [
        ({"strata": {"ratio": 0.01}}, "strata.ratio"),
        ({"population": {"categories": ["hotel"]}}, "population.categories"),
        ({"population": {"districts": ["370112"]}}, "population.districts"),
        ({"agencies": ["HEALTH"]}, "agencies"),
        ({"team": [{"agency": "HEALTH", "size": 2, "items": ["HEALTH-SCH-01"]}]}, "[[team]]"),
        ({"window": ["2027-01-01", "2027-01-31"]}, "window"),  # a task of the 2026 plan starts in 2026
    ],
)
def test_a_task_from_an_entry_cannot_depart_from_it(given, where):
    e = parse_entry(entry(), "HEALTH")
    with pytest.raises(InvalidInput) as err:
        task_spec_from_entry(2026, "HEALTH", e, given)
    assert err.value.where.startswith(where)


def test_a_higher_ratio_and_a_narrower_district_are_allowed():
    e = parse_entry(entry(), "HEALTH")
    spec = task_spec_from_entry(2026, "HEALTH", e, {"strata": {"ratio": 0.5}, "population": {"districts": ["370102"]}})
    task = parse_task_spec(spec)
    assert task.strata.ratio == Decimal("0.5") and task.population.districts == ("370102",)


def test_a_filed_plan_goes_back_to_draft_before_it_changes():
    assert PLAN_LIFECYCLE.allows(PlanState.FILED, PlanState.DRAFT)
    assert not PLAN_LIFECYCLE.allows(PlanState.DRAFT, PlanState.FILED)
    assert not PLAN_LIFECYCLE.allows(PlanState.FILED, PlanState.APPROVED)
