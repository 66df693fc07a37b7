"""Deterministic, realistic data of one city (Jinan, Shandong) for the sandbox agency systems.

Every record is computed from ``(seed, index)`` alone with its own ``random.Random``, so
entity ``i`` of a million costs as much as entity 0 and a page is served in O(page size).
A configurable share of records carries one realistic defect (a wrong check digit, an
unknown district, a missing name...) so that the hub's quarantine is exercised.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from vocabulary.districts import DISTRICTS
from vocabulary.uscc import ALPHABET, check_char

CST = timezone(timedelta(hours=8))
#: base updated_at of entity 0; entity i was last updated STEP_SECONDS * i later
EPOCH = datetime(2018, 1, 1, tzinfo=CST)
STEP_SECONDS = 30

DISTRICT_CODES = tuple(DISTRICTS)
# a realistic skew: the old urban districts hold most registered entities
DISTRICT_WEIGHTS = (16, 12, 9, 9, 15, 5, 8, 5, 7, 3, 5, 6)
_DISTRICT_CUM = tuple(itertools.accumulate(DISTRICT_WEIGHTS))
ROADS: dict[str, tuple[str, ...]] = {
    "370102": ("泉城路", "解放路", "经十路", "文化东路", "山大路", "历山路", "和平路"),
    "370103": ("经四路", "纬二路", "英雄山路", "舜耕路", "阳光新路", "经七路"),
    "370104": ("经十路", "纬十二路", "张庄路", "青年东路", "道德街"),
    "370105": ("北园大街", "堤口路", "无影山路", "济洛路", "标山路"),
    "370112": ("工业北路", "花园路", "华信路", "山大北路", "二环东路"),
    "370113": ("大学路", "峰山路", "长清大学城路", "清河街"),
    "370114": ("汇泉路", "山泉路", "百脉泉大街", "明水大街"),
    "370115": ("纬二路", "开元大街", "济北路", "正安路"),
    "370116": ("鲁中大街", "汶源大街", "凤城大街", "长勺路"),
    "370117": ("钢都大街", "府前大街", "艾山街"),
    "370124": ("青龙路", "榆山路", "翠屏街", "锦水街"),
    "370126": ("商中路", "彩虹路", "鑫源路", "玉皇庙大街"),
}
TRADE_NAMES = (
    "鲁泉",
    "泉城",
    "舜耕",
    "大明湖",
    "千佛山",
    "趵突",
    "齐鲁",
    "华山",
    "历山",
    "银座",
    "金鼎",
    "鑫源",
    "恒信",
    "福瑞",
    "康宁",
    "瑞祥",
    "宏达",
    "嘉禾",
    "润泽",
    "永盛",
    "和顺",
    "安康",
    "颐和",
    "德润",
    "佳和",
    "明湖",
    "章丘",
    "汇泉",
    "鹊华",
    "玉函",
)
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红玉兰文辉鹏飞宇浩然欣怡晨阳海燕"


@dataclass(frozen=True)
class Industry:
    """A GB/T 4754-2017 class, how its entities are named, and its share of the registry."""

    code: str
    suffixes: tuple[str, ...]
    weight: int


INDUSTRIES = (
    Industry("H6110", ("大酒店有限公司", "酒店管理有限公司", "宾馆有限公司"), 5),
    Industry("H6121", ("快捷酒店", "商务宾馆", "旅馆"), 6),
    Industry("H6210", ("餐饮有限公司", "饭庄", "酒楼有限公司"), 14),
    Industry("H6220", ("快餐店", "小吃店", "餐饮管理有限公司"), 12),
    Industry("H6241", ("奶茶店", "饮品店"), 4),
    Industry("Q8514", ("养老院", "颐养中心", "老年公寓"), 4),
    Industry("P8310", ("幼儿园", "托育中心"), 3),
    Industry("P8391", ("培训学校有限公司", "教育咨询有限公司"), 5),
    Industry("F5211", ("百货有限公司", "商贸有限公司"), 6),
    Industry("F5212", ("超市有限公司", "便利店"), 14),
    Industry("C1419", ("食品有限公司", "糕点坊"), 4),
    Industry("O8051", ("理发店", "美容美发店"), 9),
    Industry("O8052", ("洗浴中心", "足道养生馆"), 4),
    Industry("R9011", ("KTV娱乐有限公司", "歌舞厅"), 3),
    Industry("R8992", ("游泳馆", "健身有限公司"), 2),
    Industry("K7020", ("物业管理有限公司",), 5),
)
_INDUSTRY_CUM = tuple(itertools.accumulate(i.weight for i in INDUSTRIES))

# entity_type -> the USCC's registration authority and type characters (GB 32100 table 1, 2)
ENTITY_TYPES = {"enterprise": "91", "individual": "92", "coop": "93", "institution": "12", "social_org": "52"}
_TYPE_WEIGHTS = {"enterprise": 62, "individual": 30, "coop": 3, "institution": 2, "social_org": 3}
_TYPES, _TYPE_CUM = tuple(_TYPE_WEIGHTS), tuple(itertools.accumulate(_TYPE_WEIGHTS.values()))
STATUSES = ("active", "suspended", "revoked", "deregistered")
ORG_ALPHABET = ALPHABET  # the organization code body must also fit the USCC alphabet
_ORG_SPACE = len(ORG_ALPHABET) ** 8
_ORG_STRIDE = 1_306_021_103  # coprime with 31**8: index -> org code is a bijection


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(CST).isoformat(timespec="seconds")


def parse_rfc3339(text: str) -> datetime:
    """RFC 3339 (``Z`` or an offset) as an aware datetime; ValueError otherwise."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset")
    return moment


def _rng(seed: int, kind: int, index: int) -> random.Random:
    return random.Random((seed << 40) ^ (kind << 36) ^ index)


def org_code(n: int) -> str:
    """The 9-character organization code (GB 11714: 8 characters and a check character) of ``n``."""
    value = (n * _ORG_STRIDE + 7_777_777) % _ORG_SPACE
    body = ""
    for _ in range(8):
        value, digit = divmod(value, len(ORG_ALPHABET))
        body = ORG_ALPHABET[digit] + body
    total = sum(int(c, 36) * w for c, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2)))
    check = 11 - total % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def make_uscc(prefix: str, district: str, n: int) -> str:
    first17 = prefix + district + org_code(n)[:9]
    return first17 + check_char(first17)


def wrong_check_digit(code: str) -> str:
    good = code[17]
    return code[:17] + ("0" if good != "0" else "1")


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def phone(rng: random.Random) -> str:
    if rng.random() < 0.6:
        return f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
    return f"0531-8{rng.randrange(10**7):07d}"


def district(rng: random.Random) -> str:
    return rng.choices(DISTRICT_CODES, cum_weights=_DISTRICT_CUM)[0]


def address(rng: random.Random, code: str) -> str:
    return f"济南市{DISTRICTS[code]}{rng.choice(ROADS[code])}{rng.randint(1, 999)}号"


def entity_name(rng: random.Random, industry: Industry, code: str, individual: bool) -> str:
    trade = rng.choice(TRADE_NAMES) + rng.choice(TRADE_NAMES)[0]
    suffix = rng.choice(industry.suffixes)
    if individual:  # 个体工商户: 区名 + 字号 + 店, never 有限公司
        return f"{DISTRICTS[code]}{trade}{suffix.replace('有限公司', '店')}"
    if industry.code.startswith(("Q85", "P83")) and rng.random() < 0.6:
        return f"{DISTRICTS[code]}{trade}{suffix}"
    return f"济南{trade}{suffix}"


def samr_entity(seed: int, index: int, invalid_share: float = 0.0) -> dict[str, Any]:
    """Entity ``index`` of the market-regulation registry, as an item of interfaces.md."""
    rng = _rng(seed, 1, index)
    entity_type = rng.choices(_TYPES, cum_weights=_TYPE_CUM)[0]
    industry = rng.choices(INDUSTRIES, cum_weights=_INDUSTRY_CUM)[0]
    code = district(rng)
    updated = EPOCH + timedelta(seconds=STEP_SECONDS * index)
    established = updated.date() - timedelta(days=rng.randint(30, 9000))
    status = rng.choices(STATUSES, (90, 4, 3, 3))[0]
    item: dict[str, Any] = {
        "uscc": make_uscc(ENTITY_TYPES[entity_type], code, index),
        "name": entity_name(rng, industry, code, entity_type == "individual"),
        "entity_type": entity_type,
        "legal_rep": person_name(rng),
        "address": address(rng, code),
        "district": code,
        "industry": industry.code,
        "status": status,
        "established": established.isoformat(),
        "updated_at": rfc3339(updated),
        "abnormal_list": rng.random() < 0.04,
        "serious_violation": rng.random() < 0.01,
        "credit_class": rng.choices(("A", "B", "C", "D", None), (30, 45, 10, 3, 12))[0],
    }
    if rng.random() < invalid_share:
        _spoil_entity(rng, item)
    return item


def _spoil_entity(rng: random.Random, item: dict[str, Any]) -> None:
    """One defect a real registry export shows now and then (the hub must quarantine it)."""
    defect = rng.choice(("check_digit", "district", "name", "status", "entity_type", "established", "credit_class"))
    if defect == "check_digit":
        item["uscc"] = wrong_check_digit(item["uscc"])
    elif defect == "district":
        item["district"] = rng.choice(("999999", "3701", "历下区"))
    elif defect == "name":
        item["name"] = rng.choice(("", None))
    elif defect == "status":
        item["status"] = rng.choice(("存续", "unknown"))
    elif defect == "entity_type":
        item["entity_type"] = "company"
    elif defect == "established":
        item["established"] = "2019-13-45"
    else:
        item["credit_class"] = "E"


# --- schools ------------------------------------------------------------------
SCHOOL_TYPES = {
    "kindergarten": ("幼儿园", 30),
    "primary": ("小学", 30),
    "middle": ("中学", 15),
    "high": ("高级中学", 8),
    "vocational": ("职业中等专业学校", 6),
    "special": ("特殊教育学校", 2),
    "higher": ("职业学院", 2),
}


def school(seed: int, index: int, invalid_share: float = 0.0) -> dict[str, Any]:
    """School ``index`` of the education registry, with ``invalid`` naming a schema defect if any."""
    rng = _rng(seed, 2, index)
    kind = rng.choices(tuple(SCHOOL_TYPES), tuple(w for _, w in SCHOOL_TYPES.values()))[0]
    code = district(rng)
    private = kind == "kindergarten" and rng.random() < 0.5
    with_uscc = rng.random() < 0.7
    record: dict[str, Any] = {
        "code": f"{rng.choice('123')}137{index % 10**6:06d}",
        "uscc": make_uscc("52" if private else "12", code, 5_000_000 + index) if with_uscc else None,
        "name": f"济南市{DISTRICTS[code]}{rng.choice(TRADE_NAMES)}{SCHOOL_TYPES[kind][0]}",
        "type": kind,
        "district": code,
        "address": address(rng, code),
        "principal": person_name(rng),
        "phone": phone(rng),
        "students": rng.randint(60, 3000),
        "boarding": kind in ("high", "vocational", "higher") and rng.random() < 0.6,
        "invalid": None,
    }
    if rng.random() < invalid_share:
        defect = rng.choice(("type", "name", "district", "students"))
        record["invalid"] = defect
        if defect == "type":
            record["type"] = "university"
        elif defect == "name":
            record["name"] = None
        elif defect == "district":
            record["district"] = DISTRICTS[code]
        else:
            record["students"] = "约300"
    return record


# --- inspectors ---------------------------------------------------------------
AGENCIES = ("HEALTH", "SAMR", "EDU", "CIVIL", "CULTURE")
_AGENCY_NUMBER = {a: i + 1 for i, a in enumerate(AGENCIES)}
EXPERTISE_BY_AGENCY = {
    "HEALTH": ("water", "disinfection", "school", "hotel", "food"),
    "SAMR": ("food", "hotel", "fire"),
    "EDU": ("school", "food"),
    "CIVIL": ("eldercare", "fire"),
    "CULTURE": ("hotel", "fire"),
}
#: certificates are issued for five years; this reference date puts about one in six expired
#: by the end of 2026
CERT_REFERENCE = date(2026, 12, 31)


def inspector(seed: int, agency: str, number: int) -> dict[str, Any]:
    """Officer ``number`` (1-based) of ``agency``, as an item of the inspectors interface."""
    rng = _rng(seed, 3, _AGENCY_NUMBER.get(agency, 9) * 1_000_000 + number)
    tags = EXPERTISE_BY_AGENCY.get(agency, ("food",))
    item: dict[str, Any] = {
        "id": f"{agency}-{number:05d}",
        "name": person_name(rng),
        "agency": agency,
        "cert_no": f"鲁济{_AGENCY_NUMBER.get(agency, 9):02d}{rng.randint(2019, 2026)}{number:05d}",
        "cert_valid_until": (CERT_REFERENCE + timedelta(days=rng.randint(-300, 1500))).isoformat(),
        "expertise": sorted(rng.sample(tags, rng.randint(1, len(tags)))),
        "home_districts": sorted(rng.sample(DISTRICT_CODES, rng.choice((1, 1, 1, 2)))),
        "active": rng.random() < 0.92,
    }
    if rng.random() < 0.05:  # a declared conflict: a relative runs a registered business
        item["conflicts"] = [make_uscc("91", district(rng), rng.randrange(100_000))]
    return item


# --- csv-drop rows ------------------------------------------------------------
CSV_HEADER = ("机构名称", "统一社会信用代码", "所在区县", "地址", "负责人", "联系电话", "类别")
SCHOOL_CODE_COLUMN = "学校标识码"
CSV_KINDS = {  # 类别 -> (name suffixes, USCC prefix)
    "养老机构": (("养老院", "颐养中心", "老年公寓"), "52"),
    "旅行社": (("旅行社有限公司",), "91"),
    "网吧": (("网络会所", "网咖"), "91"),
    "歌舞娱乐场所": (("KTV", "歌舞厅"), "91"),
    "游泳场所": (("游泳馆", "游泳健身中心"), "91"),
    "托育机构": (("托育中心", "幼儿园"), "52"),
}


def csv_row(
    seed: int, index: int, invalid_share: float = 0.0, kinds: tuple[str, ...] = tuple(CSV_KINDS)
) -> dict[str, str]:
    """Row ``index`` of a small agency's export, keyed by the Chinese header (plus 学校标识码)."""
    rng = _rng(seed, 4, index)
    kind = rng.choice(kinds)
    suffixes, prefix = CSV_KINDS.get(kind, (("服务中心",), "91"))
    code = district(rng)
    school_code = kind == "托育机构" and rng.random() < 0.4  # no USCC, only a school code
    row = {
        "机构名称": f"{DISTRICTS[code]}{rng.choice(TRADE_NAMES)}{rng.choice(suffixes)}",
        "统一社会信用代码": "" if school_code else make_uscc(prefix, code, 8_000_000 + index),
        "所在区县": code,
        "地址": address(rng, code),
        "负责人": person_name(rng),
        "联系电话": phone(rng),
        "类别": kind,
        SCHOOL_CODE_COLUMN: f"2137{index:06d}" if school_code else "",
    }
    if rng.random() < invalid_share:
        defect = rng.choice(("check_digit", "name", "district"))
        if defect == "check_digit" and row["统一社会信用代码"]:
            row["统一社会信用代码"] = wrong_check_digit(row["统一社会信用代码"])
        elif defect == "name":
            row["机构名称"] = ""
        else:
            row["所在区县"] = DISTRICTS[code]  # a name where the code belongs
    return row
