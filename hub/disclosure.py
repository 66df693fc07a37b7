"""Masking of personal data on public pages and exports (pure).

Names keep the surname, phones keep their first 3 (or area code) and last 4 digits, and
resident ID numbers hide the birth date (digits 7-14), as credit-information publication
practice does for natural persons (e.g. 370102********123X).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

# Two-character surnames, so that 欧阳娜娜 becomes 欧阳** and not 欧***.
_COMPOUND_SURNAME_WORDS = (
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 司空 夏侯 轩辕 令狐 钟离 "
    "端木 西门 南宫 独孤 呼延 澹台 公冶 宗政 濮阳 淳于 单于 太叔 申屠 赫连 闻人 万俟 拓跋 "
    "百里 东郭 公羊 左丘 第五 梁丘 闾丘 鲜于 亓官 司寇 子车 颛孙 壤驷 公良 漆雕 乐正 宰父 "
    "谷梁 段干 东门 羊舌 微生 公西 巫马 南门 归海 东里 相里 羊角 况后 有琴 公户"
)
COMPOUND_SURNAMES = frozenset(_COMPOUND_SURNAME_WORDS.split())

# Entity fields that name a natural person, or reach one.
_PERSON_FIELDS = ("legal_rep", "principal", "contact", "operator")
_PHONE_FIELDS = ("phone", "mobile", "contact_phone", "tel")
_ID_FIELDS = ("id_number", "id_no", "resident_id")
# Structured fields never scanned as free text (a USCC may look like a long number).
_CODE_FIELDS = frozenset(
    {
        "entity_id",
        "uscc",
        "entity_type",
        "district",
        "industry",
        "status",
        "credit_class",
        "categories",
        "sources",
        "school_code",
    }
)

_SEPARATORS = " ·•.-"

_ID_18 = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])")
_ID_15 = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{6})(\d{3})(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)((?:\+86|0086)[ -]?)?(1[3-9]\d)[ -]?(\d{4})[ -]?(\d{4})(?!\d)")
_LANDLINE = re.compile(r"(?<![\d*])(\(?0\d{2,3}\)?[ -]?)(\d{3,4})(\d{4})(?:(-|转)(\d{1,6}))?(?!\d)")
# A local number without an area code is only taken for a phone after a phone word.
_LOCAL_AFTER_WORD = re.compile(
    r"((?:电话|联系电话|座机|手机|联系方式|tel|phone)[:：\s]*)(\d{3,4})(\d{4})(?!\d)",
    re.IGNORECASE,
)


def mask_name(name: str | None) -> str:
    """A person's name with the surname kept: 张三 -> 张*, 欧阳娜娜 -> 欧阳**."""
    name = (name or "").strip()
    if not name:
        return ""
    keep = 2 if len(name) > 2 and name[:2] in COMPOUND_SURNAMES else 1
    return name[:keep] + "".join(c if c in _SEPARATORS else "*" for c in name[keep:])


def mask_phone(phone: str | None) -> str:
    """138****5678 for a mobile; 0531-****3456 for a landline; else all but the last 4 digits."""
    value = (phone or "").strip()
    if not value:
        return ""
    if _MOBILE.fullmatch(value):
        return _MOBILE.sub(_mobile, value)
    if _LANDLINE.fullmatch(value):
        return _LANDLINE.sub(_landline, value)
    return _all_but_last_digits(value, 4)


def mask_id_number(number: str | None) -> str:
    """Resident ID with the birth date hidden: 18 digits -> 6 + 8 stars + 4, 15 -> 6 + 6 stars + 3.

    Other identifiers keep only their last 4 characters.
    """
    value = (number or "").strip()
    if not value:
        return ""
    if _ID_18.fullmatch(value):
        return value[:6] + "*" * 8 + value[14:]
    if _ID_15.fullmatch(value):
        return value[:6] + "*" * 6 + value[12:]
    return "*" * max(len(value) - 4, 0) + value[-4:]


def mask_text(text: str | None) -> str:
    """Free text (findings, addresses) with phone and resident ID numbers inside it masked."""
    if not text:
        return ""
    text = _ID_18.sub(lambda m: _id_match(m, 8), text)
    text = _ID_15.sub(lambda m: _id_match(m, 6), text)
    text = _MOBILE.sub(_mobile, text)
    text = _LANDLINE.sub(_landline, text)
    return _LOCAL_AFTER_WORD.sub(lambda m: m.group(1) + "*" * len(m.group(2)) + m.group(3), text)


def mask_entity_for_public(entity: Mapping[str, Any]) -> dict[str, Any]:
    """A copy fit for publication: people's names, phones and ID numbers masked.

    ``name`` is masked only for an individual business (个体工商户), whose name is often
    its operator's: the operator's name inside it is masked where known, else all of it.
    """
    public = dict(entity)
    for key, value in entity.items():
        if not isinstance(value, str) or key in _CODE_FIELDS:
            continue
        if key in _PERSON_FIELDS:
            public[key] = mask_name(value)
        elif key in _PHONE_FIELDS:
            public[key] = mask_phone(value)
        elif key in _ID_FIELDS:
            public[key] = mask_id_number(value)
        elif key != "name":
            public[key] = mask_text(value)
    if entity.get("entity_type") == "individual" and isinstance(entity.get("name"), str):
        public["name"] = _mask_individual_name(entity["name"], entity.get("legal_rep"))
    return public


def _mask_individual_name(name: str, operator: object) -> str:
    if isinstance(operator, str) and len(operator.strip()) >= 2 and operator.strip() in name:
        return name.replace(operator.strip(), mask_name(operator))
    return mask_name(name)


def _mobile(m: re.Match[str]) -> str:
    return (m.group(1) or "") + m.group(2) + "****" + m.group(4)


def _landline(m: re.Match[str]) -> str:
    masked = m.group(1) + "*" * len(m.group(2)) + m.group(3)
    if m.group(4):
        masked += m.group(4) + "*" * len(m.group(5))
    return masked


def _id_match(m: re.Match[str], birth_len: int) -> str:
    if not _is_birth_date(m.group(2)):
        # A long number without a birth date inside: an account or a code, not a resident ID.
        return m.group(0)
    return m.group(1) + "*" * birth_len + m.group(3)


def _is_birth_date(digits: str) -> bool:
    if len(digits) == 6:
        digits = "19" + digits  # 15-digit IDs (issued before 1999) carry YYMMDD
    try:
        born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return False
    return born.year >= 1850


def _all_but_last_digits(value: str, keep: int) -> str:
    total = sum(c.isdigit() for c in value)
    seen = 0
    out = []
    for c in value:
        if c.isdigit():
            seen += 1
            out.append(c if seen > total - keep else "*")
        else:
            out.append(c)
    return "".join(out)


# Inspectors on published results (the ``[portal] inspector_names`` setting): enforcement is done in
# the open, so some bureaus name their officers; the default shows the surname only, like any person.
INSPECTOR_NAME_POLICIES = ("masked", "full", "hidden")


def public_inspector_name(name: str | None, policy: str = "masked") -> str:
    """An inspector's name as a public page shows it under ``policy`` (masked | full | hidden)."""
    if policy not in INSPECTOR_NAME_POLICIES:
        raise ValueError(f"inspector name policy {policy!r} is not one of {', '.join(INSPECTOR_NAME_POLICIES)}")
    if policy == "hidden":
        return ""
    return (name or "").strip() if policy == "full" else mask_name(name)


def mask_findings(findings: str | None, people: tuple[str | None, ...] = ()) -> str:
    """Findings as published: phones and ID numbers masked, and the named people (the entity's
    legal representative, its operator) only by their masked names."""
    text_ = mask_text(findings)
    for person in people:
        person = (person or "").strip()
        if len(person) >= 2 and person in text_:
            text_ = text_.replace(person, mask_name(person))
    return text_


def public_entity_name(name: str, entity_type: str | None, legal_rep: str | None) -> str:
    """An entity's name as published: an individual business's is masked (its operator's name)."""
    return str(mask_entity_for_public({"name": name, "entity_type": entity_type, "legal_rep": legal_rep})["name"])


#: The rule as the portal states it (one row per kind of data: what, how, example). Kept beside the
#: code that applies it, so the page cannot say one thing while the code does another (a test checks
#: each example against the functions above).
MASKING_RULES: tuple[tuple[str, str, str, str], ...] = (
    ("个体工商户名称", "名称中经营者姓名只保留姓氏；不知经营者时整体按姓名处理", "王建国托管班", "王**托管班"),
    ("自然人姓名（法定代表人、负责人、经营者）", "只保留姓氏（复姓保留两字）", "欧阳娜娜", "欧阳**"),
    ("手机号码", "保留前 3 位和后 4 位", "13912345678", "139****5678"),
    ("固定电话", "保留区号和后 4 位", "0531-86001234", "0531-****1234"),
    ("居民身份证号码", "隐去出生日期（第 7–14 位）", "370102199001011234", "370102********1234"),
    ("检查人员姓名", "按本平台设置：只保留姓氏（默认）、全名或不显示", "张伟", "张*"),
    ("检查发现中的上述信息", "同上规则逐项遮蔽", "联系电话13912345678", "联系电话139****5678"),
)
