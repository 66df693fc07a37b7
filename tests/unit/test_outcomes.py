from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vocabulary.outcomes import (
    TEXTS,
    Outcome,
    UnknownOutcomeCode,
    UnmappedOutcomeCode,
    check_mapping,
    check_outcomes,
    map_codes,
    puts_on_abnormal_list,
    text,
)

# The table of interfaces.md, "Outcome codes", copied by hand.
EXPECTED_TEXTS = {
    "1": "未发现问题",
    "2": "未按规定公示应当公示的信息",
    "3": "公示信息隐瞒真实情况弄虚作假",
    "4": "通过登记的住所（经营场所）无法联系",
    "5": "发现问题经责令已改正",
    "6": "不配合检查情节严重",
    "7": "未发现开展本次抽查涉及的经营活动",
    "8": "发现问题待后续处理",
    "9": "已关闭停业或正在组织清算",
    "10": "迁出",
    "11": "注销",
    "12": "被吊销",
    "13": "被撤销",
}
ALL_CODES = sorted(EXPECTED_TEXTS, key=int)


def test_there_are_thirteen_codes_with_the_published_texts() -> None:
    assert [o.value for o in Outcome] == ALL_CODES
    assert TEXTS == EXPECTED_TEXTS
    assert all(text(o) == EXPECTED_TEXTS[o.value] for o in Outcome)


def test_outcome_is_a_string_code() -> None:
    assert Outcome("5") is Outcome.CORRECTED_ON_ORDER
    assert Outcome.HANDLING_PENDING == "8"
    assert text("4") == "通过登记的住所（经营场所）无法联系"


def test_text_of_unknown_code_is_refused() -> None:
    with pytest.raises(UnknownOutcomeCode, match="'14'"):
        text("14")


@pytest.mark.parametrize("codes", [["1"], ["5"], ["2", "5"], ["9", "11"], [Outcome.NO_ACTIVITY]])
def test_valid_codes_have_no_problems(codes: list[str]) -> None:
    assert check_outcomes(codes, set()) == []


def test_no_code_at_all_is_a_problem() -> None:
    assert check_outcomes([], set()) == ["at least one outcome code is required"]


@pytest.mark.parametrize("bad", ["0", "14", "05", "E", ""])
def test_unknown_code_is_a_problem(bad: str) -> None:
    assert check_outcomes(["5", bad], set()) == [f"unknown outcome code {bad!r}"]


def test_duplicate_code_is_a_problem() -> None:
    assert check_outcomes(["5", "2", "5"], set()) == ["outcome code 5 given twice"]


@pytest.mark.parametrize("other", ["2", "5", "8", "13"])
def test_code_1_must_stand_alone(other: str) -> None:
    problems = check_outcomes(["1", other], {"correction"})
    assert problems == ["outcome code 1 (未发现问题) must stand alone"]


@pytest.mark.parametrize("kind", ["correction", "case", "transfer"])
def test_code_8_with_a_follow_up_is_fine(kind: str) -> None:
    assert check_outcomes(["8"], {kind}) == []
    assert check_outcomes(["2", "8"], {"re-inspection", kind}) == []


@pytest.mark.parametrize("kinds", [set(), {"re-inspection"}, {"penalty"}])
def test_code_8_without_a_follow_up_is_a_problem(kinds: set[str]) -> None:
    problems = check_outcomes(["8"], kinds)
    assert len(problems) == 1
    assert "outcome code 8" in problems[0] and "follow-up" in problems[0]


def test_follow_up_rule_can_be_left_to_the_caller() -> None:
    assert check_outcomes(["8"], set(), require_follow_up=False) == []
    assert check_outcomes(["1", "8"], set(), require_follow_up=False) == [
        "outcome code 1 (未发现问题) must stand alone"
    ]


@pytest.mark.parametrize(
    ("codes", "listed"),
    [
        (["3"], True),
        (["4"], True),
        (["2", "4"], True),
        (["1"], False),
        (["2", "5", "8"], False),
        ([Outcome.FALSE_PUBLICATION], True),
        ([], False),
    ],
)
def test_codes_3_and_4_put_the_entity_on_the_abnormal_list(codes: list[str], listed: bool) -> None:
    assert puts_on_abnormal_list(codes) is listed


def test_map_codes_is_identity_without_a_mapping() -> None:
    assert map_codes(["5", Outcome.HANDLING_PENDING], {}) == ["5", "8"]
    assert map_codes(["13"], None) == ["13"]


LETTERS = {code: "ABCDEFGHIJKLM"[i] for i, code in enumerate(ALL_CODES)}
HEALTH = {code: f"{int(code):02d}" for code in ALL_CODES}


def test_map_codes_uses_the_sink_numbering() -> None:
    assert map_codes(["5", "8"], LETTERS) == ["E", "H"]
    assert map_codes(["1"], HEALTH) == ["01"]


def test_map_codes_refuses_a_code_the_mapping_misses() -> None:
    with pytest.raises(UnmappedOutcomeCode, match="8"):
        map_codes(["5", "8"], {"5": "E"})


def test_map_codes_refuses_an_unknown_code() -> None:
    with pytest.raises(UnknownOutcomeCode, match="99"):
        map_codes(["99"], LETTERS)


def test_complete_mapping_has_no_problems() -> None:
    assert check_mapping(LETTERS) == []
    assert check_mapping({}) == []


def test_incomplete_or_ambiguous_mapping_is_reported() -> None:
    mapping = dict(LETTERS)
    del mapping["13"]
    mapping["14"] = "N"
    mapping["12"] = "A"
    problems = check_mapping(mapping)
    assert "unknown hub outcome code '14'" in problems
    assert "no sink code for hub outcome code 13" in problems
    assert "hub outcome codes 1, 12 all map to sink code 'A'" in problems
    assert len(problems) == 3


@given(st.lists(st.sampled_from(ALL_CODES), min_size=1, max_size=5, unique=True))
def test_distinct_codes_break_only_the_rules_for_1_and_8(codes: list[str]) -> None:
    problems = check_outcomes(codes, set())
    expected = (len(codes) > 1 and "1" in codes) + ("8" in codes)
    assert len(problems) == expected
    assert map_codes(codes, LETTERS) == [LETTERS[c] for c in codes]
