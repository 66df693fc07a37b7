"""A year's State Council holiday notice as a file: parsed whole, checked, and agreeing with the library."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import chinese_calendar
import pytest

from hub.calendar import WorkingCalendar, parse_schedule
from hub.errors import InvalidInput

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "holidays-2026.toml"

NOTICE_2027 = """
year = 2027
[[festival]]
name = "春节"
holiday = ["2027-02-05", "2027-02-12"]
workdays = ["2027-02-14"]
"""


def test_the_sample_2026_notice_matches_the_library_day_for_day():
    year, days = parse_schedule(EXAMPLE.read_text(encoding="utf-8"), str(EXAMPLE))
    assert year == 2026
    off = {d.day for d in days if not d.workday}
    made_up = {d.day for d in days if d.workday}
    assert off == {d for d in chinese_calendar.holidays if d.year == 2026}
    assert made_up == {d for d in chinese_calendar.workdays if d.year == 2026}
    assert next(d.note for d in days if d.day == date(2026, 2, 14)).startswith("春节调休上班")


def test_a_loaded_next_year_makes_its_deadlines_known_and_moves_them():
    _, days = parse_schedule(NOTICE_2027, "2027.toml")
    before = WorkingCalendar()
    after = WorkingCalendar({d.day: d.workday for d in days})
    assert after.known_until() == date(2027, 12, 31) > before.known_until()
    due_before = before.add_working_days(date(2027, 2, 4), 1)
    due_after = after.add_working_days(date(2027, 2, 4), 1)
    assert due_before.beyond_known_calendar and due_before.due == date(2027, 2, 5)
    assert not due_after.beyond_known_calendar
    assert due_after.due == date(2027, 2, 14)  # a Sunday worked in exchange for the Spring Festival


@pytest.mark.parametrize(
    ("text", "where", "why"),
    [
        ("year = 27\n[[festival]]\nname='x'\nholiday=[2027-01-01]", "t.toml: year", "must be a year"),
        ("year = 2027", "t.toml: festival", "at least one"),
        ("year = 2027\nyaer = 1\n[[festival]]\nname='x'\nholiday=[2027-01-01]", "t.toml", "yaer"),
        ("year = 2027\n[[festival]]\nname='x'\nholiday=[2027-01-03, 2027-01-01]", "festival[1].holiday", "before"),
        ("year = 2027\n[[festival]]\nname='x'\nholiday=['2027-02-30']", "festival[1].holiday", "not a date"),
        ("year = 2027\n[[festival]]\nname='x'\nholiday=[2029-01-01]", "festival[1].holiday", "not in or next to 2027"),
        (
            "year = 2027\n[[festival]]\nname='x'\nholiday=[2027-05-01, 2027-05-03]\nworkdays=[2027-05-02]",
            "festival[1].workdays",
            "listed twice",
        ),
        (
            "year = 2027\n[[festival]]\nname='x'\nholiday=[2027-01-01]\n[[festival]]\nname='y'\nholiday=[2027-01-01]",
            "festival[2].holiday",
            "also at festival[1].holiday",
        ),
        ("year = 2027\n[[festival]]\nholiday=[2027-01-01]", "festival[1].name", "name is required"),
        ("year = 2027\n[[festival]]\nname='x'\nholidays=[2027-01-01]", "festival[1]", "holidays"),
        ("year = [", "t.toml", "not valid TOML"),
    ],
)
def test_a_bad_notice_file_is_refused_naming_the_key(text, where, why):
    with pytest.raises(InvalidInput) as err:
        parse_schedule(text, "t.toml")
    assert where in str(err.value) and why in str(err.value)


def test_new_year_may_begin_in_the_december_before():
    _, days = parse_schedule("year = 2024\n[[festival]]\nname='元旦'\nholiday=[2023-12-30, 2024-01-01]", "t")
    assert [d.day for d in days] == [date(2023, 12, 30), date(2023, 12, 31), date(2024, 1, 1)]
