"""The portal's pure pieces: the search's checks, the masking rule as published, the feed, the twins."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from hub.config import INSPECTOR_NAME_POLICIES as CONFIG_POLICIES
from hub.disclosure import (
    INSPECTOR_NAME_POLICIES,
    MASKING_RULES,
    mask_entity_for_public,
    mask_findings,
    mask_id_number,
    mask_name,
    mask_phone,
    public_inspector_name,
)
from hub.errors import InvalidInput
from hub.portal.feed import ATOM, atom_feed
from hub.portal.search import code_range, fts_phrase, like_pattern, parse_search, visible_match
from hub.portal.tables import RESULT_COLUMNS, csv_lines, json_document, json_line, plain


def test_a_full_query_is_read_and_written_back():
    q = parse_search(
        {
            "name": " 历下区  实验 ",
            "code": "91370102ma",
            "district": "370102",
            "agency": "health",
            "year": "2026",
            "outcome": "5",
            "after": "42",
        }
    )
    assert (q.name, q.code, q.district, q.agency, q.year, q.outcome, q.after) == (
        "历下区 实验",
        "91370102MA",
        "370102",
        "HEALTH",
        2026,
        "5",
        42,
    )
    assert q.as_args() == {
        "name": "历下区 实验",
        "code": "91370102MA",
        "district": "370102",
        "agency": "HEALTH",
        "year": "2026",
        "outcome": "5",
    }
    assert not q.is_empty and parse_search({}).is_empty


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("code", "9137-0102"),
        ("code", "9" * 19),
        ("district", "37010"),
        ("district", "37010a"),
        ("agency", "卫健委"),
        ("year", "26"),
        ("year", "1999"),
        ("year", "二〇二六"),
        ("outcome", "14"),
        ("outcome", "0"),
        ("after", "0"),
        ("after", "-1"),
        ("after", "abc"),
        ("name", "名" * 65),
    ],
)
def test_a_bad_parameter_is_named(field, value):  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as refused:
        parse_search({field: value})
    assert refused.value.where == field


def test_patterns_take_the_query_literally():
    assert like_pattern("100%_纯\\") == "%100\\%\\_纯\\\\%"
    assert fts_phrase('某"店') == '"某""店"'
    low, high = code_range("9137")
    assert low <= "91370102MA3C4XXXXX" < high and not low <= "9138" < high


def test_a_masked_name_matches_only_as_published():
    assert visible_match("托管班", "王**托管班", "王建国托管班")
    assert not visible_match("王建国", "王**托管班", "王建国托管班")
    assert visible_match("实验小学", "济南市历下区实验小学", "济南市历下区实验小学")
    assert visible_match("", "王**托管班", "王建国托管班")


def test_the_published_rule_is_the_rule_the_code_applies():
    """Each example on the portal's masking page is what the functions make of it."""
    applied = {
        "个体工商户名称": lambda v: mask_entity_for_public(
            {"name": v, "entity_type": "individual", "legal_rep": "王建国"}
        )["name"],
        "自然人姓名（法定代表人、负责人、经营者）": mask_name,
        "手机号码": mask_phone,
        "固定电话": mask_phone,
        "居民身份证号码": mask_id_number,
        "检查人员姓名": public_inspector_name,
        "检查发现中的上述信息": mask_findings,
    }
    assert [r[0] for r in MASKING_RULES] == list(applied)
    for what, _rule, example, shown in MASKING_RULES:
        assert applied[what](example) == shown, what


def test_inspector_names_follow_the_policy():
    assert CONFIG_POLICIES == INSPECTOR_NAME_POLICIES
    assert [public_inspector_name("欧阳娜娜", p) for p in ("masked", "full", "hidden")] == ["欧阳**", "欧阳娜娜", ""]
    with pytest.raises(ValueError, match="masked, full, hidden"):
        public_inspector_name("张伟", "partly")


@given(st.text(alphabet="张王李赵欧阳娜建国华", min_size=2, max_size=4), st.text(max_size=30))
def test_a_named_person_never_survives_in_findings(person, text):  # type: ignore[no-untyped-def]
    assert person not in mask_findings(f"{text}负责人{person}拒绝签字", (person,))


def _feed_entries():  # type: ignore[no-untyped-def]
    return [
        {
            "kind": "results",
            "id": "results:JT-1:HEALTH:2026-12-21",
            "updated": datetime(2026, 12, 21, 2, 0),
            "task_id": "JT-1",
            "title": "学校抽查",
            "published_on": date(2026, 12, 21),
            "count": 3,
        },
        {
            "kind": "task",
            "id": "task:JT-1",
            "updated": datetime(2026, 12, 1, 1, 0),
            "task_id": "JT-1",
            "title": "学校抽查",
            "state": "drawn",
        },
        {"kind": "items", "id": "items:HEALTH", "updated": datetime(2026, 11, 1), "agency": "HEALTH"},
    ]


def test_the_feed_is_atom_with_one_entry_per_notice():
    body = atom_feed(
        feed_id="tag:x,2026:feed:HEALTH",
        title="卫健委 公示",
        self_url="http://h/f.atom",
        page_url="http://h/",
        entries=_feed_entries(),
        link_of=lambda e: f"http://h/{e['id']}",
        authority="济南市卫生健康委员会",
    )
    root = etree.fromstring(body)
    ns = {"a": ATOM}
    assert root.tag == f"{{{ATOM}}}feed" and body.startswith(b"<?xml")
    assert root.findtext("a:updated", namespaces=ns) == "2026-12-21T02:00:00Z"
    titles = [e.findtext("a:title", namespaces=ns) for e in root.findall("a:entry", ns)]
    assert titles == ["抽查结果公告：学校抽查", "抽查任务公告：学校抽查", "抽查事项清单更新：济南市卫生健康委员会"]
    ids = [e.findtext("a:id", namespaces=ns) for e in root.findall("a:entry", ns)]
    assert len(set(ids)) == 3 and all(i.startswith("tag:x,2026:feed:HEALTH:") for i in ids)
    assert "3 条" in root.find("a:entry", ns).findtext("a:summary", namespaces=ns)


def test_the_twins_hold_the_same_rows():
    rows = [
        {
            "result_id": "R1",
            "outcome_codes": ["2", "5"],
            "inspected_on": date(2026, 12, 10),
            "findings": "含,逗号",
            "published_on": None,
            "entity_name": "王**托管班",
        }
    ]
    text = b"".join(csv_lines(rows, RESULT_COLUMNS)).decode("utf-8")
    assert text.startswith("\ufeff")
    parsed = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert (
        parsed[0]["outcome_codes"] == "2;5" and parsed[0]["findings"] == "含,逗号" and parsed[0]["published_on"] == ""
    )
    doc = json.loads(json_document(rows, RESULT_COLUMNS, kind="抽查结果公告"))
    assert doc["kind"] == "抽查结果公告" and doc["rows"][0]["inspected_on"] == "2026-12-10"
    assert json.loads(json_line(rows[0], RESULT_COLUMNS))["outcome_codes"] == ["2", "5"]
    assert plain(datetime(2026, 12, 3, 12, 55)) == "2026-12-03T12:55:00Z"
