"""Eligibility, strata, weights, quotas, and the JDP-1 roster, pool and plan built from a task."""

from __future__ import annotations

import json
import math
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.draw.jdp import PoolEntry, RosterEntry
from hub.errors import InvalidInput
from hub.tasks.plan import (
    EntityFacts,
    InspectorFacts,
    build_plan,
    build_pool,
    build_roster,
    check_entity_ids,
    eligible,
    quotas,
    stratum_label,
    weight,
)
from hub.tasks.spec import TaskSpec, parse_task_spec

TODAY = date(2026, 11, 20)
START = date(2026, 12, 1)


def make_spec(**changes) -> TaskSpec:
    """A valid task like product.md's; ``changes`` replace top-level tables or merge into them."""
    data = {
        "title": "联合抽查",
        "lead": "HEALTH",
        "agencies": ["HEALTH", "SAMR"],
        "window": ["2026-12-01", "2026-12-31"],
        "population": {"categories": ["school", "hotel"], "exclude_inspected_within_days": 180},
        "strata": {"by": ["district", "category"], "ratio": 0.2},
        "weights": {"abnormal_list": 3, "serious_violation": 5, "credit_class": {"C": 2, "D": 4}},
        "team": [
            {
                "agency": "HEALTH",
                "size": 1,
                "items": ["H-01", "H-02"],
                "expertise": ["school", "food"],
            },
            {"agency": "SAMR", "size": 1, "items": ["S-01"]},
        ],
    }
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return parse_task_spec(data)


def entity(entity_id: str = "91370102MA0000000X", **facts) -> EntityFacts:
    values = {
        "district": "370102",
        "categories": ("school",),
        "entity_type": "school",
        "status": "active",
        "active": True,
    }
    return EntityFacts(entity_id=entity_id, **{**values, **facts})


def inspector(inspector_id: str = "H001", **facts) -> InspectorFacts:
    values = {
        "agency": "HEALTH",
        "expertise": ("school",),
        "home_districts": ("370103",),
        "capacity": 5,
        "active": True,
        "cert_valid_until": date(2027, 6, 30),
    }
    return InspectorFacts(inspector_id=inspector_id, **{**values, **facts})


# --- quotas -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("ratio", "n", "quota"),
    [
        (0.2, 5, 1),  # Fraction(0.2) * 5 is a hair above 1
        (0.3, 10, 3),
        (0.07, 100, 7),  # 0.07 * 100 is 7.000000000000001 in floats
        (0.55, 100, 55),
        (0.28, 25, 7),
        (0.2, 6, 2),
        (0.2, 1, 1),
        (0.4, 0, 0),
        (1, 7, 7),
    ],
)
def test_quota_is_the_ceiling_of_the_exact_ratio(ratio, n, quota):
    assert quotas(make_spec(strata={"ratio": ratio}), {"370102|school": n}) == {"370102|school": quota}


def test_a_strata_ratio_overrides_the_default_for_its_stratum_only():
    spec = make_spec(strata={"ratio": 0.2, "ratios": {"370102|school": 0.4, "370103|hotel": 0.1}})
    sizes = {"370102|school": 10, "370103|school": 10, "370103|hotel": 10}
    assert quotas(spec, sizes) == {"370102|school": 4, "370103|hotel": 1, "370103|school": 2}


def test_a_count_sets_the_quota_and_is_capped_at_the_stratum_size():
    spec = make_spec(strata={"counts": {"370102|school": 3, "370103|school": 9, "370104|school": 0}})
    sizes = {"370102|school": 50, "370103|school": 4, "370104|school": 8, "370105|school": 50}
    assert quotas(spec, sizes) == {
        "370102|school": 3,
        "370103|school": 4,
        "370104|school": 0,
        "370105|school": 10,
    }


def test_quotas_name_every_stratum_given_and_no_other():
    spec = make_spec(strata={"ratios": {"370199|school": 1}})
    assert list(quotas(spec, {"b": 1, "a": 2})) == ["a", "b"]


_RATIOS = st.decimals(min_value=Decimal("0.0001"), max_value=1, places=4)


@given(ratio=_RATIOS, n=st.integers(min_value=0, max_value=100_000))
def test_quota_lies_between_the_ratio_floor_and_the_stratum_size(ratio, n):
    (quota,) = quotas(make_spec(strata={"ratio": float(ratio)}), {"s|school": n}).values()
    floor = math.ceil(Fraction(ratio) * n)
    assert floor <= quota <= n
    assert quota == floor  # the floor itself: a ratio never draws more than it asks


@given(
    ratio=_RATIOS,
    count=st.integers(min_value=0, max_value=1000),
    n=st.integers(min_value=0, max_value=1000),
)
def test_quota_never_exceeds_the_stratum_size(ratio, count, n):
    spec = make_spec(strata={"ratio": float(ratio), "counts": {"370102|school": count}})
    result = quotas(spec, {"370102|school": n, "370103|school": n})
    assert result["370102|school"] == min(count, n)
    assert 0 <= result["370103|school"] <= n


# --- weights and strata -----------------------------------------------------


@pytest.mark.parametrize(
    ("facts", "tickets"),
    [
        ({}, 1),
        ({"credit_class": "A"}, 1),
        ({"credit_class": "C"}, 2),
        ({"abnormal_list": True}, 3),
        ({"abnormal_list": True, "credit_class": "D"}, 4),
        ({"abnormal_list": True, "credit_class": "C"}, 3),
        ({"serious_violation": True, "credit_class": "D"}, 5),
        ({"serious_violation": True, "abnormal_list": True, "credit_class": "D"}, 5),
    ],
)
def test_the_largest_matching_weight_rule_wins(facts, tickets):
    assert weight(make_spec(), entity(**facts)) == tickets


def test_weight_is_one_when_the_task_sets_no_rules():
    spec = make_spec(weights={"abnormal_list": None, "serious_violation": None, "credit_class": {}})
    assert weight(spec, entity(abnormal_list=True, serious_violation=True, credit_class="D")) == 1


def test_stratum_label_joins_values_in_by_order():
    e = entity(categories=("hotel", "school"), entity_type="private")
    assert stratum_label(make_spec(), e) == "370102|school"  # the task's category order decides
    spec = make_spec(strata={"by": ["entity_type", "category", "district"]})
    assert stratum_label(spec, e) == "private|school|370102"


def test_stratum_label_marks_a_missing_district_with_a_dash():
    assert stratum_label(make_spec(), entity(district=None)) == "-|school"


# --- eligibility ------------------------------------------------------------


def test_eligible_keeps_the_population_only():
    spec = make_spec(population={"districts": ["370102"], "statuses": ["active", "suspended"]})
    keep = [
        entity("A1"),
        entity("A2", categories=("kiosk", "hotel")),
        entity("A3", status="suspended"),
    ]
    drop = [
        entity("B1", categories=("kiosk",)),
        entity("B2", district="370103"),
        entity("B3", district=None),
        entity("B4", status="cancelled"),
        entity("B5", active=False),
    ]
    assert eligible(spec, [*drop, *keep], TODAY) == keep


def test_entities_inspected_within_the_exclusion_window_are_left_out():
    spec = make_spec(population={"exclude_inspected_within_days": 180})
    boundary = TODAY - timedelta(days=180)
    inside = [entity("A", last_inspected_on=boundary), entity("B", last_inspected_on=TODAY)]
    outside = [
        entity("C", last_inspected_on=boundary - timedelta(days=1)),
        entity("D", last_inspected_on=None),
    ]
    assert eligible(spec, inside + outside, TODAY) == outside


def test_no_exclusion_window_keeps_recently_inspected_entities():
    spec = make_spec(population={"exclude_inspected_within_days": 0})
    assert eligible(spec, [entity(last_inspected_on=TODAY)], TODAY) == [entity(last_inspected_on=TODAY)]


# --- roster -----------------------------------------------------------------


def test_roster_is_sorted_by_entity_id_bytes_with_strata_and_weights():
    entities = [
        entity("b-lower", district="370103", categories=("hotel",), credit_class="D"),
        entity("EDU:3137000123", district=None),
        entity("91370102MA0000000X", abnormal_list=True),
        entity("Z-upper", active=False),
    ]
    assert build_roster(make_spec(), entities, TODAY) == [
        RosterEntry("91370102MA0000000X", "370102|school", 3, "370102"),
        RosterEntry("EDU:3137000123", "-|school", 1, "-"),
        RosterEntry("b-lower", "370103|hotel", 4, "370103"),
    ]


@pytest.mark.parametrize("bad_id", ["EDU 1", "EDU,1", "EDU\t1", "EDU\n1", ""])
def test_entity_ids_jdp1_cannot_carry_are_refused_by_name(bad_id):
    with pytest.raises(InvalidInput) as caught:
        check_entity_ids([entity("fine"), entity(bad_id)])
    assert repr(bad_id) in str(caught.value)


def test_a_repeated_entity_id_is_refused():
    with pytest.raises(InvalidInput, match="appears twice"):
        build_roster(make_spec(), [entity("X1"), entity("X1", district="370103")], TODAY)


def test_a_district_that_is_not_six_digits_is_refused_in_the_roster():
    with pytest.raises(InvalidInput, match="'3701'"):
        build_roster(make_spec(), [entity(district="3701")], TODAY)


# --- pool -------------------------------------------------------------------


def test_a_certificate_expired_on_the_window_start_is_not_in_the_pool():
    spec = make_spec()
    officers = [
        inspector("H1", cert_valid_until=START),
        inspector("H2", cert_valid_until=START - timedelta(days=1)),
        inspector("H3", cert_valid_until=None),
    ]
    assert [p.inspector_id for p in build_pool(spec, officers, spec.window.start)] == ["H1"]


def test_pool_holds_active_inspectors_of_the_task_agencies_sorted_by_id_bytes():
    officers = [
        inspector("s2", agency="SAMR"),
        inspector("H9"),
        inspector("E1", agency="EDU"),
        inspector("H0", active=False),
        inspector("H5", capacity=0),
        inspector("S1", agency="SAMR"),
    ]
    assert [p.inspector_id for p in build_pool(make_spec(), officers, START)] == ["H9", "S1", "s2"]


def test_pool_entry_lists_are_sorted_and_avoid_holds_conflicts_and_last_pairing():
    officer = inspector(
        expertise=("school", "food", "school"),
        home_districts=("370103", "370102"),
        capacity=7,
        conflicts=("E2", "E1"),
        last_paired=("E3", "E1"),
    )
    assert build_pool(make_spec(), [officer], START) == [
        PoolEntry("H001", "HEALTH", ("food", "school"), ("370102", "370103"), 7, ("E1", "E2", "E3"))
    ]


def test_last_pairing_is_not_avoided_when_the_task_turns_it_off():
    spec = make_spec(recusal={"avoid_last_pairing": False, "avoid_home_district": False})
    (entry,) = build_pool(spec, [inspector(conflicts=("E2",), last_paired=("E3",))], START)
    assert entry.avoid == ("E2",)
    assert entry.home_districts == ("370103",)  # kept: the plan's avoid_home_district decides


def test_a_pool_value_with_a_comma_is_refused():
    with pytest.raises(InvalidInput, match="H001"):
        build_pool(make_spec(), [inspector(expertise=("food,school",))], START)


def test_a_repeated_inspector_id_is_refused():
    with pytest.raises(InvalidInput, match="appears 2 times"):
        build_pool(make_spec(), [inspector("H1"), inspector("H1")], START)


# --- plan -------------------------------------------------------------------


def _floats(value) -> list:
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict):
        return [f for v in value.values() for f in _floats(v)]
    if isinstance(value, list):
        return [f for v in value for f in _floats(v)]
    return []


def test_plan_has_the_jdp2_members_and_a_quota_for_every_stratum():
    spec = make_spec(strata={"ratios": {"370102|school": 0.4}})
    roster = [RosterEntry(f"E{i:02}", "370102|school", 1, "370102") for i in range(5)]
    roster += [RosterEntry(f"F{i:02}", "370103|hotel", 2, "370103") for i in range(11)]
    plan = build_plan(spec, "JT-2026-0007", roster)
    assert plan == {
        "protocol": "JDP-2",
        "task_id": "JT-2026-0007",
        "hash": "sha256",
        "title": "联合抽查",
        "quotas": {"370102|school": 2, "370103|hotel": 3},
        "team": [
            {"agency": "HEALTH", "size": 1, "expertise": ["food", "school"]},
            {"agency": "SAMR", "size": 1, "expertise": []},
        ],
        "avoid_home_district": True,
        "window": ["2026-12-01", "2026-12-31"],
        "agencies": ["HEALTH", "SAMR"],
        "lead": "HEALTH",
        "items": {"HEALTH": ["H-01", "H-02"], "SAMR": ["S-01"]},
    }
    assert _floats(plan) == []
    json.dumps(plan, sort_keys=True, separators=(",", ":"), ensure_ascii=False)  # canonical form exists


def test_plan_of_an_older_task_keeps_jdp1_and_names_a_declared_entropy_source():
    spec = make_spec()
    roster = [RosterEntry("E01", "370102|school", 1, "370102")]
    assert build_plan(spec, "JT-1", roster, protocol="JDP-1")["protocol"] == "JDP-1"
    assert "entropy_source" not in build_plan(spec, "JT-1", roster)
    plan = build_plan(spec, "JT-1", {"370102|school": 1}, entropy_source="上证指数 2026-12-10 收盘")
    assert plan["entropy_source"] == "上证指数 2026-12-10 收盘" and plan["quotas"] == {"370102|school": 1}
    with pytest.raises(InvalidInput, match="JDP-3"):
        build_plan(spec, "JT-1", roster, protocol="JDP-3")


def test_plan_merges_items_of_one_agency_and_follows_recusal():
    spec = make_spec(
        team=[
            {"agency": "HEALTH", "size": 1, "items": ["H-01"]},
            {"agency": "HEALTH", "size": 1, "items": ["H-02", "H-01"]},
        ],
        recusal={"avoid_home_district": False},
    )
    plan = build_plan(spec, "JT-1", [], hash_name="sm3")
    assert plan["items"] == {"HEALTH": ["H-01", "H-02"], "SAMR": []}
    assert (plan["hash"], plan["avoid_home_district"], plan["quotas"]) == ("sm3", False, {})


def test_plan_refuses_an_unknown_hash_and_a_task_id_other_than_the_file_s():
    with pytest.raises(InvalidInput, match="md5"):
        build_plan(make_spec(), "JT-1", [], hash_name="md5")
    with pytest.raises(InvalidInput, match="JT-2026-0007"):
        build_plan(make_spec(id="JT-2026-0007"), "JT-2026-0008", [])
