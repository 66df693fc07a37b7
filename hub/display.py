"""How codes, states and times are shown to people (pure): names for district, agency and category
codes, lifecycle states and outcome codes, and times in Asia/Shanghai.

A code with no known name is shown as the code itself, never an error: a source may send a new
category before anyone names it. Pages use these through the Jinja filters of the same name
(hub/web/filters.py); PDFs and exports may call them directly. Tables and files keep ISO dates.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from vocabulary.districts import CITY
from vocabulary.districts import DISTRICTS as _DISTRICTS
from vocabulary.outcomes import TEXTS as OUTCOME_TEXTS

#: the hub's time zone on every page (the city's; stored times are UTC)
LOCAL_ZONE = ZoneInfo("Asia/Shanghai")

# GB/T 2260 codes of Jinan's districts and counties, and the city itself.
DISTRICTS: dict[str, str] = {CITY[0]: CITY[1], **_DISTRICTS}

# Agency codes as the hub uses them, by the short names the city's documents use
# (the full authority names the credit system shows are in hub/agencies.py).
AGENCIES: dict[str, str] = {
    "HEALTH": "市卫生健康委",
    "SAMR": "市市场监管局",
    "EDU": "市教育局",
    "CIVIL": "市民政局",
    "CULTURE": "市文化和旅游局",
    "SPORT": "市体育局",
    "FIRE": "市消防救援支队",
}

# Entity categories as the sources assign them (connectors' category maps, the demo's config)
# and the inspectors' expertise tags, which share the words.
CATEGORIES: dict[str, str] = {
    "hotel": "住宿业",
    "catering": "餐饮业",
    "eldercare": "养老机构",
    "childcare": "托育机构",
    "school": "学校",
    "travel_agency": "旅行社",
    "internet_cafe": "网吧",
    "entertainment": "歌舞娱乐场所",
    "swimming": "游泳场所",
    "food": "食品经营",
    "water": "生活饮用水",
    "disinfection": "消毒产品",
    "fire": "消防安全",
}


def N_(text: str) -> str:
    """Marks a Chinese text for the message catalogue (``make translations``); pages translate it."""
    return text


# Every lifecycle's states (hub/*/states.py) by kind; tests/unit/test_display.py checks that
# every state of every table has its name here.
STATES: dict[str, dict[str, str]] = {
    "task": {
        "draft": N_("草稿"),
        "committing": N_("承诺中"),
        "frozen": N_("已冻结"),
        "drawn": N_("已抽取"),
        "void": N_("已作废"),
    },
    "draw": {
        "not_requested": N_("未申请"),
        "queued": N_("排队中"),
        "running": N_("抽取中"),
        "failed": N_("失败"),
        "done": N_("已完成"),
    },
    "result": {"draft": N_("草稿"), "entered": N_("已录入"), "returned": N_("已退回"), "approved": N_("已审核")},
    "message": {"pending": N_("待发送"), "delivered": N_("已送达"), "rejected": N_("被拒收")},
    "run": {"running": N_("运行中"), "ok": N_("成功"), "failed": N_("失败"), "interrupted": N_("中断")},
    "plan": {"draft": N_("草稿"), "approved": N_("已批准"), "filed": N_("已上报")},
    "deadline": {"ok": N_("正常"), "due_soon": N_("即将到期"), "overdue": N_("已逾期")},
    "user": {"active": N_("启用"), "disabled": N_("停用")},
    "entity": {"active": N_("存续"), "inactive": N_("非存续")},
}


ROLES: dict[str, str] = {
    "admin": N_("系统管理员"),
    "coordinator": N_("牵头协调人"),
    "liaison": N_("部门联络员"),
    "inspector": N_("执法检查人员"),
    "reviewer": N_("审核人"),
    "auditor": N_("监督审计人"),
}


def role(code: str | None) -> str:
    """牵头协调人 for coordinator; the code itself when unknown."""
    return ROLES.get(code, code) if code else ""


def district(code: str | None) -> str:
    """历下区 for 370102; the code itself when it has no known name; empty for None."""
    return DISTRICTS.get(code, code) if code else ""


def agency(code: str | None) -> str:
    """市卫生健康委 for HEALTH; the code itself when it has no known name."""
    return AGENCIES.get(code, code) if code else ""


def category(code: str | None) -> str:
    """住宿业 for hotel; the code itself when it has no known name."""
    return CATEGORIES.get(code, code) if code else ""


def state(value: str | None, kind: str = "task") -> str:
    """The Chinese name of a lifecycle state of ``kind`` (task, draw, result, message, run, plan ...);
    the value itself when the kind or the state is unknown."""
    if not value:
        return STATES["draw"]["not_requested"] if kind == "draw" else "—"
    return STATES.get(kind, {}).get(str(value), str(value))


def outcome(codes: str | Iterable[str] | None) -> str:
    """Outcome codes with their names: ``1 未发现问题；5 发现问题经责令已改正``."""
    if codes is None:
        return ""
    if isinstance(codes, str):
        codes = [codes]
    return "；".join(f"{c} {OUTCOME_TEXTS[c]}" if c in OUTCOME_TEXTS else str(c) for c in codes)


def to_local(moment: datetime) -> datetime:
    """``moment`` in Asia/Shanghai; a naive datetime is taken as UTC (how the database stores them)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LOCAL_ZONE)


def local_time(moment: datetime | str | None, seconds: bool = False) -> str:
    """``2026-12-03 20:55`` in Asia/Shanghai for an aware or UTC datetime (or its ISO text)."""
    if moment is None or moment == "":
        return ""
    if isinstance(moment, str):
        try:
            parsed = datetime.fromisoformat(moment.replace("Z", "+00:00"))
        except ValueError:
            return moment
    else:
        parsed = moment
    return to_local(parsed).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def zh_date(day: date | datetime | str | None) -> str:
    """``2026年12月3日`` for prose; a datetime is first taken to Asia/Shanghai."""
    if day is None or day == "":
        return ""
    if isinstance(day, str):
        try:
            day = date.fromisoformat(day[:10])
        except ValueError:
            return str(day)
    if isinstance(day, datetime):
        day = to_local(day).date()
    return f"{day.year}年{day.month}月{day.day}日"


def local_today(now: datetime) -> date:
    """The calendar day in Asia/Shanghai at ``now`` (deadlines count the city's days, not UTC's)."""
    return to_local(now).date()
