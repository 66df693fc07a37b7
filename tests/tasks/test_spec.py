"""The joint task file: product.md's example reads, each mistake names its key, the dict form round-trips."""

from __future__ import annotations

import copy
import json
import tomllib
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.errors import InvalidInput
from hub.tasks.spec import (
    Recusal,
    TeamEntry,
    Window,
    load_task_file,
    parse_task_spec,
    spec_to_dict,
)

# Verbatim from product.md, "Joint task file".
EXAMPLE = """\
id = "JT-2026-0007"                       # optional
title = "2026年学校卫生与食品安全联合抽查"
lead = "HEALTH"
agencies = ["HEALTH", "SAMR", "EDU"]
window = ["2026-12-01", "2026-12-31"]
[population]
categories = ["school"]
districts = ["370102", "370103"]           # optional
exclude_inspected_within_days = 180
[strata]
by = ["district", "category"]              # stratum label: values joined by "|"
ratio = 0.2                                # floor for every stratum: quota = ceil(ratio * n)
ratios = { "370102|school" = 0.4 }         # per-stratum floors
[weights]                                  # lottery tickets; the largest matching rule wins; default 1
abnormal_list = 3
serious_violation = 5
credit_class = { C = 2, D = 4 }
[[team]]
agency = "HEALTH"
size = 1
items = ["HEALTH-SCH-01"]
expertise = ["school"]
[[team]]
agency = "SAMR"
size = 1
[recusal]
avoid_home_district = true
avoid_last_pairing = true                  # not the inspector who last inspected this entity
"""


def example() -> dict:
    return tomllib.loads(EXAMPLE)


def refusal(data: dict) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        parse_task_spec(data, "task.toml")
    return caught.value


def test_product_example_file_parses(tmp_path):
    path = tmp_path / "task.toml"
    path.write_text(EXAMPLE, encoding="utf-8")
    spec = load_task_file(path)
    assert spec.id == "JT-2026-0007"
    assert spec.title == "2026年学校卫生与食品安全联合抽查"
    assert (spec.lead, spec.agencies) == ("HEALTH", ("HEALTH", "SAMR", "EDU"))
    assert spec.window == Window(date(2026, 12, 1), date(2026, 12, 31))
    assert spec.population.categories == ("school",)
    assert spec.population.districts == ("370102", "370103")
    assert spec.population.statuses == ("active",)
    assert spec.population.exclude_inspected_within_days == 180
    assert spec.strata.by == ("district", "category")
    assert spec.strata.ratio == Decimal("0.2")
    assert spec.strata.ratios == (("370102|school", Decimal("0.4")),)
    assert spec.strata.counts == ()
    assert (spec.weights.abnormal_list, spec.weights.serious_violation) == (3, 5)
    assert spec.weights.credit_class == (("C", 2), ("D", 4))
    assert spec.team == (
        TeamEntry("HEALTH", 1, ("HEALTH-SCH-01",), ("school",)),
        TeamEntry("SAMR", 1, (), ()),
    )
    assert spec.recusal == Recusal(avoid_home_district=True, avoid_last_pairing=True)


def test_optional_parts_take_their_defaults():
    data = example()
    for key in ("id", "weights", "recusal"):
        del data[key]
    del data["population"]["districts"], data["population"]["exclude_inspected_within_days"]
    del data["strata"]["by"], data["strata"]["ratios"]
    spec = parse_task_spec(data)
    assert spec.id is None
    assert spec.population.districts is None
    assert spec.population.statuses == ("active",)
    assert spec.population.exclude_inspected_within_days == 0
    assert spec.strata.by == ("district", "category")
    assert spec.weights.abnormal_list is None and spec.weights.credit_class == ()
    assert spec.recusal == Recusal(True, True)


def test_toml_dates_are_accepted_in_the_window():
    text = EXAMPLE.replace('window = ["2026-12-01", "2026-12-31"]', "window = [2026-12-01, 2026-12-31]")
    assert parse_task_spec(tomllib.loads(text)).window == Window(date(2026, 12, 1), date(2026, 12, 31))


def _set(path: tuple, value):
    def change(data: dict) -> None:
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def _delete(path: tuple):
    def change(data: dict) -> None:
        target = data
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return change


MISTAKES = [
    (
        _set(("team", 0, "agency"), "CIVIL"),
        "[[team]][1].agency",
        "'CIVIL' is not one of the task's agencies",
    ),
    (
        _set(("team", 1, "agency"), "CIVIL"),
        "[[team]][2].agency",
        "'CIVIL' is not one of the task's agencies",
    ),
    (_set(("lead",), "CIVIL"), "lead", "'CIVIL' is not one of the task's agencies"),
    (_delete(("title",)), "title", "is required"),
    (_set(("agencies",), ["HEALTH", "SAMR", "HEALTH"]), "agencies[3]", "listed twice"),
    (_set(("agencies",), []), "agencies", "must not be empty"),
    (_set(("window",), ["2026-12-31", "2026-12-01"]), "window", "after it ends"),
    (_set(("window",), ["2026-12-01", "2026-13-01"]), "window[2]", "is not a date"),
    (_set(("window",), ["2026-12-01"]), "window", "two dates"),
    (_delete(("population", "categories")), "population.categories", "is required"),
    (
        _set(("population", "districts"), ["370102", "3701"]),
        "population.districts[2]",
        "not allowed",
    ),
    (
        _set(("population", "exclude_inspected_within_days"), -1),
        "population.exclude_inspected_within_days",
        "at least 0",
    ),
    (
        _set(("population", "exclude_inspected_within_day"), 30),
        "population.exclude_inspected_within_day",
        "unknown key",
    ),
    (
        _set(("population", "categories"), ["school|hotel"]),
        "population.categories[1]",
        "must not contain '|'",
    ),
    (_set(("strata", "by"), ["district", "size"]), "strata.by[2]", "'size' is not one of"),
    (_delete(("strata", "ratio")), "strata.ratio", "is required"),
    (_set(("strata", "ratio"), 0), "strata.ratio", "greater than 0"),
    (_set(("strata", "ratio"), 1.5), "strata.ratio", "at most 1"),
    (_set(("strata", "ratio"), "0.2"), "strata.ratio", "must be a number"),
    (
        _set(("strata", "ratios"), {"370102|school": 0.0}),
        'strata.ratios."370102|school"',
        "greater than 0",
    ),
    (
        _set(("strata", "ratios"), {"370102|hotel": 0.5}),
        'strata.ratios."370102|hotel"',
        "'hotel' is not in",
    ),
    (
        _set(("strata", "ratios"), {"370199|school": 0.5}),
        'strata.ratios."370199|school"',
        "not in population",
    ),
    (_set(("strata", "ratios"), {"370102": 0.5}), 'strata.ratios."370102"', "2 part(s)"),
    (
        _set(("strata", "counts"), {"370103|school": -1}),
        'strata.counts."370103|school"',
        "at least 0",
    ),
    (
        _set(("strata", "counts"), {"370102|school": 2}),
        'strata.counts."370102|school"',
        "also has a ratio",
    ),
    (_set(("weights", "abnormal_list"), 0), "weights.abnormal_list", "at least 1 and at most 100"),
    (_set(("weights", "serious_violation"), 101), "weights.serious_violation", "at most 100"),
    (_set(("weights", "credit_class"), {"E": 2}), "weights.credit_class.E", "not a credit class"),
    (_set(("weights", "credit_class"), {"D": 2.5}), "weights.credit_class.D", "whole number"),
    (_set(("team", 0, "size"), 0), "[[team]][1].size", "at least 1"),
    (_set(("team", 1, "size"), True), "[[team]][2].size", "whole number"),
    (_delete(("team", 1, "agency")), "[[team]][2].agency", "is required"),
    (
        _set(("team", 0, "expertise"), ["school,food"]),
        "[[team]][1].expertise[1]",
        "must not contain a comma",
    ),
    (_set(("team", 0, "colour"), "red"), "[[team]][1].colour", "unknown key"),
    (_set(("team",), {"agency": "HEALTH"}), "[[team]]", "array of tables"),
    (
        _set(("recusal", "avoid_home_district"), "yes"),
        "recusal.avoid_home_district",
        "true or false",
    ),
    (_set(("id",), "JT 2026"), "id", "not allowed"),
    (_set(("titel",), "typo"), "titel", "unknown key"),
]


@pytest.mark.parametrize(("change", "key", "message"), MISTAKES, ids=[m[1] for m in MISTAKES])
def test_each_mistake_names_its_key(change, key, message):
    data = example()
    change(data)
    error = refusal(data)
    assert error.where == f"task.toml: {key}"
    assert message in error.message


def test_a_one_officer_team_is_refused():
    data = example()
    del data["team"][1]
    error = refusal(data)
    assert error.where == "task.toml: [[team]]"
    assert error.message == "the law requires at least two inspectors per team"


def test_an_empty_team_is_refused():
    data = example()
    data["team"] = []
    assert "at least two inspectors" in refusal(data).message


def test_two_officers_of_one_agency_make_a_team():
    data = example()
    data["team"] = [{"agency": "HEALTH", "size": 2}]
    assert parse_task_spec(data).team == (TeamEntry("HEALTH", 2),)


def test_a_file_that_is_not_toml_names_the_file(tmp_path):
    path = tmp_path / "task.toml"
    path.write_text('title = "unterminated\n', encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        load_task_file(path)
    assert caught.value.where == str(path)
    assert "not valid TOML" in caught.value.message


def test_a_missing_file_is_invalid_input(tmp_path):
    with pytest.raises(InvalidInput) as caught:
        load_task_file(tmp_path / "absent.toml")
    assert caught.value.where == str(tmp_path / "absent.toml")


def test_the_dict_form_round_trips_through_json():
    data = example()
    data["strata"]["counts"] = {"370103|school": 4}
    spec = parse_task_spec(data)
    stored = json.loads(json.dumps(spec_to_dict(spec)))
    assert parse_task_spec(stored) == spec
    assert spec_to_dict(parse_task_spec(stored)) == stored
    assert stored["strata"] == {
        "by": ["district", "category"],
        "ratio": 0.2,
        "ratios": {"370102|school": 0.4},
        "counts": {"370103|school": 4},
    }


def test_a_spec_without_id_round_trips_without_one():
    data = example()
    del data["id"]
    stored = spec_to_dict(parse_task_spec(data))
    assert "id" not in stored
    assert parse_task_spec(stored).id is None


def test_parsing_does_not_change_the_input():
    data = example()
    before = copy.deepcopy(data)
    parse_task_spec(data)
    assert data == before


@given(st.floats(min_value=0, max_value=1, exclude_min=True) | st.just(1))
def test_any_ratio_round_trips_exactly(ratio):
    data = example()
    data["strata"]["ratio"] = ratio
    spec = parse_task_spec(data)
    assert spec.strata.ratio == Decimal(repr(ratio))
    again = spec_to_dict(spec)["strata"]["ratio"]
    assert again == ratio
    assert parse_task_spec(spec_to_dict(spec)) == spec


def test_the_entropy_source_is_declared_in_the_task_file_and_round_trips():
    data = example()
    assert parse_task_spec(data).entropy_source is None
    data["entropy_source"] = "上证指数 2026-12-10 收盘"
    spec = parse_task_spec(data)
    assert spec.entropy_source == "上证指数 2026-12-10 收盘"
    assert parse_task_spec(json.loads(json.dumps(spec_to_dict(spec)))) == spec
    for bad in ("", "two\nlines", 7, "x" * 201):
        assert "entropy_source" in str(refusal(dict(data, entropy_source=bad)))
