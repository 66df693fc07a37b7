"""Working-day deadlines against the State Council holiday notices for 2025 and 2026.

2025 (国办发明电〔2024〕12号): 春节 1月28日-2月4日, 1月26日(日)、2月8日(六)上班;
国庆中秋 10月1日-8日, 9月28日(日)、10月11日(六)上班.
2026 (国务院办公厅 2025年11月4日): 春节 2月15日-23日, 2月14日(六)、2月28日(六)上班;
中秋 9月25日-27日; 国庆 10月1日-7日, 9月20日(日)、10月10日(六)上班.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.calendar import (
    PENALTY_DEADLINE_DAYS,
    RESULTS_DEADLINE_DAYS,
    Deadline,
    WorkingCalendar,
)

CAL = WorkingCalendar()


@pytest.mark.parametrize(
    ("day", "workday"),
    [
        (date(2025, 1, 26), True),  # Sunday, make-up workday for Spring Festival
        (date(2025, 1, 28), False),  # 除夕
        (date(2025, 2, 4), False),
        (date(2025, 2, 5), True),
        (date(2025, 2, 8), True),  # Saturday, make-up workday
        (date(2025, 9, 28), True),  # Sunday, make-up workday for National Day
        (date(2025, 10, 8), False),
        (date(2025, 10, 11), True),  # Saturday, make-up workday
        (date(2026, 2, 14), True),  # Saturday, make-up workday
        (date(2026, 2, 23), False),  # Monday, last day of Spring Festival
        (date(2026, 2, 28), True),  # Saturday, make-up workday
        (date(2026, 9, 20), True),  # Sunday, make-up workday
        (date(2026, 9, 25), False),  # Friday, Mid-Autumn
        (date(2026, 10, 7), False),
        (date(2026, 10, 8), True),
        (date(2026, 10, 10), True),  # Saturday, make-up workday
        (date(2026, 11, 21), False),  # an ordinary Saturday
    ],
)
def test_is_workday_follows_the_announced_schedule(day: date, workday: bool) -> None:
    assert CAL.is_workday(day) is workday


@pytest.mark.parametrize(
    ("completed", "n", "due"),
    [
        # Spring Festival 2025: Sunday 26 Jan counts, 28 Jan - 4 Feb do not, Saturday 8 Feb counts.
        (date(2025, 1, 24), 1, date(2025, 1, 26)),
        (date(2025, 1, 24), 3, date(2025, 2, 5)),
        (date(2025, 1, 24), PENALTY_DEADLINE_DAYS, date(2025, 2, 10)),
        (date(2025, 1, 24), RESULTS_DEADLINE_DAYS, date(2025, 2, 27)),
        # Spring Festival 2026: Saturday 14 Feb counts, 15-23 Feb do not, Saturday 28 Feb counts.
        (date(2026, 2, 13), 1, date(2026, 2, 14)),
        (date(2026, 2, 13), 2, date(2026, 2, 24)),
        (date(2026, 2, 13), PENALTY_DEADLINE_DAYS, date(2026, 3, 2)),
        (date(2026, 2, 13), RESULTS_DEADLINE_DAYS, date(2026, 3, 19)),
        # National Day 2025: Sunday 28 Sep counts, 1-8 Oct do not, Saturday 11 Oct counts.
        (date(2025, 9, 26), 1, date(2025, 9, 28)),
        (date(2025, 9, 26), 4, date(2025, 10, 9)),
        (date(2025, 9, 26), PENALTY_DEADLINE_DAYS, date(2025, 10, 13)),
        (date(2025, 9, 26), RESULTS_DEADLINE_DAYS, date(2025, 10, 30)),
        # Mid-Autumn and National Day 2026: Sunday 20 Sep counts, 25 Sep and 1-7 Oct do not,
        # Saturday 10 Oct counts.
        (date(2026, 9, 18), 1, date(2026, 9, 20)),
        (date(2026, 9, 18), PENALTY_DEADLINE_DAYS, date(2026, 9, 29)),
        (date(2026, 9, 18), 9, date(2026, 10, 8)),
        (date(2026, 9, 18), RESULTS_DEADLINE_DAYS, date(2026, 10, 22)),
    ],
)
def test_deadline_skips_holidays_and_counts_make_up_workdays(completed: date, n: int, due: date) -> None:
    assert CAL.add_working_days(completed, n) == Deadline(due)
    assert CAL.working_days_between(completed, due) == n


def test_day_of_completion_is_not_counted() -> None:
    # Completed on a working Monday: 1 working day later is Tuesday, not Monday itself.
    assert CAL.add_working_days(date(2025, 11, 17), 1).due == date(2025, 11, 18)
    assert CAL.add_working_days(date(2025, 11, 17), 0).due == date(2025, 11, 17)


def test_negative_count_is_refused() -> None:
    with pytest.raises(ValueError, match="n must be"):
        CAL.add_working_days(date(2025, 11, 17), -1)


def test_library_knows_2026_and_not_2027() -> None:
    assert CAL.known_until() == date(2026, 12, 31)


def test_deadline_beyond_known_calendar_warns(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="hub.calendar"):
        deadline = CAL.add_working_days(date(2026, 12, 15), RESULTS_DEADLINE_DAYS)
    # Weekends only from here on: 1 Jan 2027 is counted although it will be a holiday.
    assert deadline.due == date(2027, 1, 12)
    assert deadline.beyond_known_calendar is True
    assert deadline.warning is not None
    assert "2027 holidays are not known to the calendar; add overrides" in deadline.warning
    assert any(r.levelno == logging.WARNING and "2027" in r.getMessage() for r in caplog.records)


def test_deadline_inside_known_calendar_does_not_warn(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="hub.calendar"):
        deadline = CAL.add_working_days(date(2026, 11, 2), RESULTS_DEADLINE_DAYS)
    assert deadline == Deadline(date(2026, 11, 30), beyond_known_calendar=False, warning=None)
    assert not caplog.records


def test_warning_names_every_unknown_year() -> None:
    deadline = CAL.add_working_days(date(2026, 12, 30), 300)
    assert deadline.warning is not None
    assert deadline.warning.startswith("2027, 2028 holidays are not known")


def test_override_wins_over_library() -> None:
    # A local holiday on Thursday 9 Oct 2025, and the make-up Saturday 11 Oct cancelled.
    cal = WorkingCalendar({date(2025, 10, 9): False, date(2025, 10, 11): False})
    assert not cal.is_workday(date(2025, 10, 9))
    assert not cal.is_workday(date(2025, 10, 11))
    assert cal.add_working_days(date(2025, 9, 30), 1).due == date(2025, 10, 10)
    assert cal.add_working_days(date(2025, 9, 30), 2).due == date(2025, 10, 13)
    assert CAL.add_working_days(date(2025, 9, 30), 2).due == date(2025, 10, 10)


def test_override_can_make_a_weekend_a_workday() -> None:
    cal = WorkingCalendar({date(2025, 11, 22): True})
    assert cal.add_working_days(date(2025, 11, 21), 1).due == date(2025, 11, 22)


def test_overrides_for_a_later_year_extend_the_known_calendar(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The 2027 New Year holiday, entered from a (future) State Council notice.
    cal = WorkingCalendar({date(2027, 1, 1): False})
    assert cal.known_until() == date(2027, 12, 31)
    with caplog.at_level(logging.WARNING, logger="hub.calendar"):
        deadline = cal.add_working_days(date(2026, 12, 15), RESULTS_DEADLINE_DAYS)
    assert deadline == Deadline(date(2027, 1, 13))
    assert not caplog.records


def test_overrides_for_a_distant_year_alone_do_not_extend() -> None:
    cal = WorkingCalendar({date(2028, 1, 1): False})
    assert cal.known_until() == date(2026, 12, 31)
    assert cal.add_working_days(date(2027, 12, 29), 2).beyond_known_calendar


def test_working_days_between_is_antisymmetric() -> None:
    a, b = date(2025, 1, 24), date(2025, 2, 27)
    assert CAL.working_days_between(a, b) == 20
    assert CAL.working_days_between(b, a) == -20
    assert CAL.working_days_between(a, a) == 0


@pytest.mark.parametrize(
    ("today", "status"),
    [
        (date(2025, 2, 28), "overdue"),
        (date(2025, 2, 27), "due_soon"),
        (date(2025, 2, 24), "due_soon"),  # 3 working days left
        (date(2025, 2, 21), "ok"),  # 4 working days left
        (date(2025, 2, 4), "ok"),
    ],
)
def test_due_status_counts_working_days(today: date, status: str) -> None:
    assert CAL.due_status(date(2025, 2, 27), today) == status


def test_due_status_counts_working_days_across_a_holiday() -> None:
    # From Monday 27 Jan 2025 only 5, 6 and 7 Feb are working days up to 7 Feb.
    assert CAL.due_status(date(2025, 2, 7), date(2025, 1, 27)) == "due_soon"
    assert CAL.due_status(date(2025, 2, 7), date(2025, 1, 27), soon_days=2) == "ok"


starts = st.dates(min_value=date(2004, 1, 1), max_value=date(2030, 12, 31))


@settings(max_examples=300, deadline=None)
@given(start=starts, n=st.integers(min_value=1, max_value=80))
def test_deadline_is_a_workday_n_working_days_later(start: date, n: int) -> None:
    deadline = CAL.add_working_days(start, n)
    assert CAL.is_workday(deadline.due)
    assert CAL.working_days_between(start, deadline.due) == n
    assert CAL.working_days_between(start, deadline.due - timedelta(days=1)) == n - 1
    assert deadline.beyond_known_calendar == (deadline.due > CAL.known_until())
    assert (deadline.warning is None) == (not deadline.beyond_known_calendar)


@settings(max_examples=200, deadline=None)
@given(a=starts, span=st.integers(min_value=-400, max_value=400))
def test_working_days_between_adds_up(a: date, span: int) -> None:
    b = a + timedelta(days=span)
    assert CAL.working_days_between(a, b) == -CAL.working_days_between(b, a)
    if a <= b:
        count = sum(CAL.is_workday(a + timedelta(days=i)) for i in range(1, (b - a).days + 1))
        assert CAL.working_days_between(a, b) == count
