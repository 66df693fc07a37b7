"""Names for codes and states, and times in Asia/Shanghai (hub/display.py, pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from hub import display
from hub.outbox.states import MessageState
from hub.results.states import ResultState
from hub.rosters.states import RunState
from hub.tasks.states import DrawStatus, TaskState


def test_codes_are_shown_by_their_names() -> None:
    assert display.district("370102") == "历下区"
    assert display.agency("HEALTH") == "市卫生健康委"
    assert display.category("hotel") == "住宿业"
    assert display.role("coordinator") == "牵头协调人"


@pytest.mark.parametrize("show", [display.district, display.agency, display.category, display.role])
def test_a_code_without_a_name_is_shown_as_itself(show) -> None:  # type: ignore[no-untyped-def]
    assert show("X-NEW-9") == "X-NEW-9"
    assert show(None) == ""
    assert show("") == ""


@pytest.mark.parametrize(
    ("kind", "states"),
    [("task", TaskState), ("draw", DrawStatus), ("result", ResultState), ("message", MessageState), ("run", RunState)],
)
def test_every_state_of_every_lifecycle_has_a_chinese_name(kind, states) -> None:  # type: ignore[no-untyped-def]
    for s in states:
        name = display.state(s.value, kind)
        assert name != s.value and not name.isascii(), (kind, s)


def test_state_names_and_their_fallbacks() -> None:
    assert display.state("drawn", "task") == "已抽取"
    assert display.state(None, "draw") == "未申请"
    assert display.state(None, "task") == "—"
    assert display.state("someday", "task") == "someday"
    assert display.state("drawn", "no-such-kind") == "drawn"


def test_outcome_codes_carry_their_names() -> None:
    assert display.outcome(["1"]) == "1 未发现问题"
    assert display.outcome(["5", "8"]) == "5 发现问题经责令已改正；8 发现问题待后续处理"
    assert display.outcome("3") == "3 公示信息隐瞒真实情况弄虚作假"
    assert display.outcome(["99"]) == "99"
    assert display.outcome(None) == ""


def test_times_are_shown_in_shanghai() -> None:
    assert display.local_time(datetime(2026, 12, 3, 12, 55)) == "2026-12-03 20:55"  # naive: UTC
    assert display.local_time(datetime(2026, 12, 3, 12, 55, tzinfo=UTC)) == "2026-12-03 20:55"
    tokyo = timezone(timedelta(hours=9))
    assert display.local_time(datetime(2026, 12, 3, 21, 55, 7, tzinfo=tokyo), seconds=True) == "2026-12-03 20:55:07"
    assert display.local_time("2026-12-03T16:30:00Z") == "2026-12-04 00:30"
    assert display.local_time("not a time") == "not a time"
    assert display.local_time(None) == ""


def test_prose_dates_are_chinese() -> None:
    assert display.zh_date(date(2026, 12, 3)) == "2026年12月3日"
    assert display.zh_date("2026-01-09") == "2026年1月9日"
    assert display.zh_date(datetime(2026, 12, 31, 17, 0)) == "2027年1月1日"  # 01:00 the next day in Shanghai
    assert display.zh_date("soon") == "soon"
    assert display.zh_date(None) == ""


def test_local_today_is_the_city_day() -> None:
    assert display.local_today(datetime(2026, 12, 31, 16, 30, tzinfo=UTC)) == date(2027, 1, 1)
