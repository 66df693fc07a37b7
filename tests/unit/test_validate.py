"""Roster record validation: reasons name the field; the quick path never accepts what the schema refuses."""

from __future__ import annotations

import fastjsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.rosters.validate import (
    _RULES,
    RecordInvalid,
    _plainly_valid,
    _validator,
    plainly_valid_each,
    validate_entity,
    validate_inspector,
)
from vocabulary.uscc import check_char, uscc_problem

GOOD = {
    "uscc": "12370103KBF33UFE4P",
    "scheme_id": None,
    "name": "济南某某大酒店有限公司",
    "entity_type": "enterprise",
    "legal_rep": "张三",
    "phone": None,
    "address": "济南市历下区泉城路1号",
    "district": "370103",
    "industry": "H6110",
    "status": "active",
    "established": "2010-05-01",
    "updated_at": "2026-11-20T02:00:00+08:00",
    "abnormal_list": False,
    "serious_violation": False,
    "credit_class": "A",
    "categories": ["hotel"],
    "attributes": {},
}


def test_a_good_record_gives_its_credit_code():
    assert validate_entity(GOOD) == "12370103KBF33UFE4P"


def test_an_entity_without_a_credit_code_uses_its_scheme_id():
    assert validate_entity({**GOOD, "uscc": None, "scheme_id": "EDU:3137000123"}) == "EDU:3137000123"


@pytest.mark.parametrize(
    "change, field",
    [
        ({"uscc": "12370103KBF33UFE4Q"}, "uscc"),
        ({"uscc": "12370103KBF33UFE4"}, "uscc"),
        ({"district": "历下区"}, "district"),
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"status": "存续"}, "status"),
        ({"entity_type": "company"}, "entity_type"),
        ({"established": "2019-13-45"}, "established"),
        ({"credit_class": "E"}, "credit_class"),
        ({"uscc": None, "scheme_id": None}, "uscc"),
    ],
)
def test_the_reason_starts_with_the_field(change, field):
    with pytest.raises(RecordInvalid) as err:
        validate_entity({**GOOD, **change})
    assert err.value.field == field and str(err.value).startswith(f"{field}: ")


def test_a_missing_required_field_is_named():
    record = {k: v for k, v in GOOD.items() if k != "district"}
    with pytest.raises(RecordInvalid, match="^district: is required"):
        validate_entity(record)


def test_inspector_records_are_checked_too():
    good = {
        "inspector_id": "HEALTH-00001",
        "name": "李四",
        "agency": "HEALTH",
        "cert_no": "C1",
        "cert_valid_until": "2027-06-30",
        "expertise": ["food"],
        "home_districts": ["370102"],
        "active": True,
        "capacity": 20,
        "conflicts": [],
    }
    assert validate_inspector(good) == "HEALTH-00001"
    with pytest.raises(RecordInvalid, match="^cert_valid_until"):
        validate_inspector({**good, "cert_valid_until": "2027-02-30"})
    with pytest.raises(RecordInvalid, match="^home_districts"):
        validate_inspector({**good, "home_districts": ["Jinan"]})


def test_check_digit_round_trip():
    body = "91370102MA3C4XXXX"
    assert uscc_problem(body + check_char(body)) is None


VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.text(max_size=20),
    st.sampled_from(
        [
            "370102",
            "999999",
            "H61",
            "2020-01-01",
            "2020-1-1",
            "A",
            "E",
            "active",
            "school",
            "12370103KBF33UFE4P",
            "EDU:1",
        ]
    ),
    st.lists(st.text(max_size=3), max_size=2),
    st.dictionaries(st.text(max_size=2), st.none()),
)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.sampled_from(sorted(GOOD)), VALUES, max_size=4), st.lists(st.sampled_from(sorted(GOOD))))
def test_the_quick_check_never_accepts_what_the_schema_refuses(changes, removed):
    record = {k: v for k, v in {**GOOD, **changes}.items() if k not in removed}
    if _plainly_valid(record):
        try:
            _validator("entity-record.schema.json")(record)
        except fastjsonschema.JsonSchemaValueException as exc:  # pragma: no cover - the failure case
            pytest.fail(f"quick check accepted {record!r}, the schema refuses it: {exc.message}")


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_each_rule_says_the_same_over_a_column_as_value_by_value(data):
    rule = data.draw(st.sampled_from(_RULES))
    values = data.draw(
        st.lists(
            st.one_of(VALUES, st.sampled_from([GOOD.get(rule.field), "370102\n370103", "H61\n"])),
            min_size=1,
            max_size=6,
        )
    )
    assert rule.column(values) == all(map(rule.one, values)), (rule.field, values)


def test_a_page_names_exactly_the_records_that_fail_the_quick_check():
    page = [{**GOOD, "name": f"济南第{i}酒店"} for i in range(50)]
    assert plainly_valid_each(page) == [True] * 50
    page[3] = {**GOOD, "district": "370102\n370103"}  # one LF too many: not two good districts
    page[17] = {**GOOD, "status": None}
    page[40] = {**GOOD, "nickname": "x"}
    assert [i for i, ok in enumerate(plainly_valid_each(page)) if not ok] == [3, 17, 40]
    assert plainly_valid_each([]) == []
