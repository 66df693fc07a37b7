"""Chinese working days: statutory holidays and make-up workdays (调休), plus local overrides.

Pure: the overrides come from the ``calendar_overrides`` table, read by the caller.
The day a period starts from is never counted: "within 20 working days of completion"
is due on the 20th working day *after* the completion date.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

import chinese_calendar

log = logging.getLogger(__name__)

# Results public and pushed to the credit system within 20 working days of the
# inspection's completion; penalty decisions within 7 working days (product.md, interfaces.md).
RESULTS_DEADLINE_DAYS = 20
PENALTY_DEADLINE_DAYS = 7

DueStatus = Literal["overdue", "due_soon", "ok"]

_LIBRARY_FIRST = date(min(chinese_calendar.holidays).year, 1, 1)
_LIBRARY_LAST = date(max(chinese_calendar.holidays).year, 12, 31)
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Deadline:
    """A due date; ``warning`` is set when it was counted past the known calendar."""

    due: date
    beyond_known_calendar: bool = False
    warning: str | None = None


@functools.lru_cache(maxsize=8192)
def _library_is_workday(d: date) -> bool:
    return bool(chinese_calendar.is_workday(d))


class WorkingCalendar:
    """Working days after ``chinese_calendar``, where ``overrides`` (day -> is workday) win.

    A year after the library's last one counts as known once the overrides hold any day
    of it (and of every year between): enter a new year's State Council notice whole.
    Days outside the known calendar count Monday-Friday only, and deadlines say so.
    """

    def __init__(self, overrides: Mapping[date, bool] | None = None) -> None:
        self._overrides: dict[date, bool] = dict(overrides or {})
        last = _LIBRARY_LAST
        override_years = {d.year for d in self._overrides}
        while last.year + 1 in override_years:
            last = date(last.year + 1, 12, 31)
        self._known_until = last

    def known_until(self) -> date:
        """The last day whose holidays are known (library tables, extended by overrides)."""
        return self._known_until

    def is_known(self, d: date) -> bool:
        return _LIBRARY_FIRST <= d <= self._known_until

    def is_workday(self, d: date) -> bool:
        if d in self._overrides:
            return self._overrides[d]
        if _LIBRARY_FIRST <= d <= _LIBRARY_LAST:
            return _library_is_workday(d)
        return d.weekday() < 5

    def add_working_days(self, start: date, n: int) -> Deadline:
        """The n-th working day after ``start`` (``start`` itself not counted; n=0 gives start).

        E.g. an inspection completed on a Friday with 1 working day to go is due the next
        working Monday. Past the known calendar the count is weekends-only and warns.
        """
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        day = start
        remaining = n
        while remaining:
            day += _ONE_DAY
            if self.is_workday(day):
                remaining -= 1
        return self._deadline(start, day)

    def working_days_between(self, a: date, b: date) -> int:
        """Working days in (a, b]; negative when b is before a. Inverse of add_working_days."""
        if b < a:
            return -self.working_days_between(b, a)
        count = 0
        day = a
        while day < b:
            day += _ONE_DAY
            count += self.is_workday(day)
        if b > self._known_until:
            self._deadline(a, b)  # logs the warning
        return count

    def due_status(self, due: date, today: date, soon_days: int = 3) -> DueStatus:
        """Overdue once today is past ``due``; due soon with ``soon_days`` working days or fewer left."""
        if today > due:
            return "overdue"
        if self.working_days_between(today, due) <= soon_days:
            return "due_soon"
        return "ok"

    def _deadline(self, start: date, due: date) -> Deadline:
        if due <= self._known_until:
            return Deadline(due)
        first_unknown = max(start + _ONE_DAY, self._known_until + _ONE_DAY)
        years = ", ".join(str(y) for y in range(first_unknown.year, due.year + 1))
        warning = (
            f"{years} holidays are not known to the calendar; add overrides "
            f"(due {due.isoformat()} was counted on weekends only and may be wrong)"
        )
        log.warning("deadline from %s: %s", start.isoformat(), warning)
        return Deadline(due, beyond_known_calendar=True, warning=warning)


# --- a year's State Council notice, as a file -------------------------------------------------


@dataclass(frozen=True)
class ScheduleDay:
    """One day of a holiday notice: a day off (``workday`` False) or a make-up workday (调休上班)."""

    day: date
    workday: bool
    note: str


_FESTIVAL_KEYS = {"name", "holiday", "workdays"}


def parse_schedule(text: str, source: str) -> tuple[int, list[ScheduleDay]]:
    """The year and days of a notice file (TOML: ``year``, ``[[festival]]`` with ``name``,
    ``holiday = [first, last]`` and ``workdays = [...]``); see examples/holidays-2026.toml.

    Raises ``InvalidInput`` naming the file and key. A festival may reach into the
    neighbouring December or January (元旦 2024 began on 2023-12-30), no further.
    """
    import tomllib

    from hub.errors import InvalidInput

    def bad(message: str, key: str = "") -> InvalidInput:
        return InvalidInput(message, where=f"{source}: {key}" if key else source)

    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise bad(f"not valid TOML: {exc}") from None
    unknown = set(raw) - {"year", "notice", "festival"}
    if unknown:
        raise bad(f"unknown key(s) {', '.join(sorted(unknown))}; expected year, notice, [[festival]]")
    year = raw.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2100:
        raise bad(f"must be a year such as 2027, got {year!r}", "year")
    notice = raw.get("notice", "")
    if not isinstance(notice, str):
        raise bad("must be text (the notice's title or number)", "notice")
    festivals = raw.get("festival")
    if not isinstance(festivals, list) or not festivals:
        raise bad("at least one [[festival]] is needed", "festival")
    earliest, latest = date(year - 1, 12, 1), date(year + 1, 1, 31)

    def day_of(value: object, key: str) -> date:
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value)
            except ValueError:
                raise bad(f"{value!r} is not a date (YYYY-MM-DD)", key) from None
        if not isinstance(value, date) or isinstance(value, datetime):
            raise bad(f"{value!r} is not a date (YYYY-MM-DD)", key)
        if not earliest <= value <= latest:
            raise bad(f"{value.isoformat()} is not in or next to {year}", key)
        return value

    seen: dict[date, str] = {}
    days: list[ScheduleDay] = []

    def add(day: date, workday: bool, note: str, key: str) -> None:
        if day in seen:
            raise bad(f"{day.isoformat()} is listed twice (also at {seen[day]})", key)
        seen[day] = key
        days.append(ScheduleDay(day, workday, note))

    for i, fest in enumerate(festivals, 1):
        where = f"festival[{i}]"
        if not isinstance(fest, dict):
            raise bad("must be a table with name, holiday and workdays", where)
        extra = set(fest) - _FESTIVAL_KEYS
        if extra:
            raise bad(f"unknown key(s) {', '.join(sorted(extra))}; expected name, holiday, workdays", where)
        name = fest.get("name")
        if not isinstance(name, str) or not name.strip():
            raise bad('name is required (e.g. "春节")', f"{where}.name")
        span = fest.get("holiday")
        if not isinstance(span, list) or len(span) not in (1, 2):
            raise bad("must be [first day off, last day off] (or one day)", f"{where}.holiday")
        first = day_of(span[0], f"{where}.holiday")
        last = day_of(span[-1], f"{where}.holiday")
        if last < first:
            raise bad(f"ends ({last.isoformat()}) before it begins ({first.isoformat()})", f"{where}.holiday")
        label = f"{name.strip()} {notice}".strip()
        day = first
        while day <= last:
            add(day, False, label, f"{where}.holiday")
            day += _ONE_DAY
        workdays = fest.get("workdays", [])
        if not isinstance(workdays, list):
            raise bad("must be a list of dates", f"{where}.workdays")
        for value in workdays:
            add(
                day_of(value, f"{where}.workdays"),
                True,
                f"{name.strip()}调休上班 {notice}".strip(),
                f"{where}.workdays",
            )
    return year, sorted(days, key=lambda d: d.day)
