from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.disclosure import (
    mask_entity_for_public,
    mask_id_number,
    mask_name,
    mask_phone,
    mask_text,
)


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("李小龙", "李**"),
        ("欧阳娜娜", "欧阳**"),
        ("司马光", "司马*"),
        ("诸葛孔明", "诸葛**"),
        ("欧阳", "欧*"),  # too short for a compound surname and a given name
        (" 王五 ", "王*"),
        ("迪丽热巴·迪力木拉提", "迪***·*****"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_name_keeps_the_surname(name: str | None, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        ("+86 13812345678", "+86 138****5678"),
        ("138-1234-5678", "138****5678"),
        ("0531-86123456", "0531-****3456"),
        ("(0531)86123456", "(0531)****3456"),
        ("010-12345678-802", "010-****5678-***"),
        ("0531 8612345", "0531 ***2345"),
        ("86123456", "****3456"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_phone(phone: str | None, masked: str) -> None:
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("370102199001011234", "370102********1234"),
        ("37010219900101123X", "370102********123X"),
        ("370102900101123", "370102******123"),  # 15-digit ID issued before 1999
        ("A1234567", "****4567"),
        ("", ""),
    ],
)
def test_mask_id_number_hides_the_birth_date(number: str, masked: str) -> None:
    assert mask_id_number(number) == masked


def test_mask_text_finds_phones_and_id_numbers_in_findings() -> None:
    findings = "负责人手机13812345678，座机0531-86123456，经营者身份证370102199001011234；联系电话：86123456。"
    assert mask_text(findings) == (
        "负责人手机138****5678，座机0531-****3456，经营者身份证370102********1234；联系电话：****3456。"
    )


@pytest.mark.parametrize(
    "text",
    [
        "罚款12000元，2026-12-03责令整改，文书编号20261203001",
        "统一社会信用代码91370102MA3C4AB12X",
        "统一社会信用代码913701001234567890",  # all digits, but no birth date inside
        "从业人员86名，面积1200平方米",
    ],
)
def test_mask_text_leaves_other_numbers_alone(text: str) -> None:
    assert mask_text(text) == text


def test_individual_business_name_hides_the_operator() -> None:
    entity = {
        "entity_id": "92370102MA3C4AB12X",
        "uscc": "92370102MA3C4AB12X",
        "name": "历下区张三小吃店",
        "entity_type": "individual",
        "legal_rep": "张三",
        "phone": "13812345678",
        "address": "济南市历下区某路1号（电话0531-86123456）",
        "district": "370102",
        "abnormal_list": False,
    }
    public = mask_entity_for_public(entity)
    assert public == {
        **entity,
        "name": "历下区张*小吃店",
        "legal_rep": "张*",
        "phone": "138****5678",
        "address": "济南市历下区某路1号（电话0531-****3456）",
    }
    assert entity["name"] == "历下区张三小吃店"  # the input is not changed


def test_individual_named_after_a_person_is_masked_whole() -> None:
    public = mask_entity_for_public({"name": "欧阳娜娜", "entity_type": "individual"})
    assert public["name"] == "欧阳**"


def test_enterprise_name_is_public_but_its_legal_rep_is_not() -> None:
    entity = {
        "name": "济南某某餐饮有限公司",
        "entity_type": "enterprise",
        "legal_rep": "欧阳娜娜",
        "phone": None,
    }
    assert mask_entity_for_public(entity) == {**entity, "legal_rep": "欧阳**"}


def test_codes_are_never_scanned_as_free_text() -> None:
    # An all-digit USCC of district 370119 looks like a resident ID born 1990-01-01.
    uscc = "913701199001011234"
    entity = {
        "entity_id": uscc,
        "uscc": uscc,
        "entity_type": "enterprise",
        "name": "某某有限公司",
    }
    assert mask_text(uscc) != uscc
    assert mask_entity_for_public(entity) == entity


mobiles = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
cjk = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)


@given(mobiles)
def test_any_mobile_keeps_only_its_first_3_and_last_4_digits(mobile: str) -> None:
    assert mask_phone(mobile) == mobile[:3] + "****" + mobile[7:]
    assert mask_text(f"电话{mobile}。") == f"电话{mobile[:3]}****{mobile[7:]}。"


@given(st.text(cjk, min_size=2, max_size=6))
def test_masked_name_keeps_length_and_first_character(name: str) -> None:
    masked = mask_name(name)
    assert len(masked) == len(name)
    assert masked[0] == name[0]
    assert masked.endswith("*")
    assert masked.count("*") >= len(name) - 2
