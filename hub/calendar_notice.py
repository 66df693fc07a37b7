"""Loading a year's State Council holiday notice into the calendar overrides in one step."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select

from hub.audit.log import record as audit
from hub.auth.principal import Principal
from hub.auth.roles import require_role
from hub.calendar import ScheduleDay, WorkingCalendar, parse_schedule
from hub.db import Database
from hub.errors import InvalidInput
from hub.results.models import CalendarOverride

NOTE_LENGTH = 128  # calendar_overrides.note


@dataclass(frozen=True)
class LoadedNotice:
    year: int
    holidays: int
    workdays: int
    removed: int
    known_until: date


def read_notice(path: str | Path) -> tuple[int, list[ScheduleDay], bytes]:
    """The notice file's year and days, and its bytes (for the audit digest)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read the notice file: {exc.strerror}", where=str(path)) from None
    year, days = parse_notice(data, str(path))
    return year, days, data


def parse_notice(data: bytes, where: str) -> tuple[int, list[ScheduleDay]]:
    """The year and days of a notice's bytes (a file or an upload)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("not UTF-8 text", where=where) from None
    return parse_schedule(text, where)


def load_notice(db: Database, path: str | Path, actor: str, replace: bool = False) -> LoadedNotice:
    """Store every day of the notice as an override (one transaction, one audit entry).

    With ``replace`` the year's earlier overrides go first, so a corrected notice leaves nothing behind.
    """
    year, days, data = read_notice(path)
    return _store(db, year, days, data, Path(path).name, actor, replace)


def load_notice_upload(db: Database, principal: Principal, data: bytes, name: str, replace: bool) -> LoadedNotice:
    """The same load from a file an admin uploaded in the browser (admins only)."""
    require_role(principal, ("admin",), "工作日历")
    year, days = parse_notice(data, name or "upload")
    return _store(db, year, days, data, name, principal.name, replace)


def _store(
    db: Database, year: int, days: list[ScheduleDay], data: bytes, name: str, actor: str, replace: bool
) -> LoadedNotice:
    with db.unit_of_work() as s:
        removed = 0
        if replace:
            earlier = list(
                s.scalars(
                    select(CalendarOverride).where(
                        CalendarOverride.day >= date(year, 1, 1), CalendarOverride.day <= date(year, 12, 31)
                    )
                )
            )
            for row in earlier:
                s.delete(row)
            s.flush()
            removed = len(earlier)
        for d in days:
            row = s.get(CalendarOverride, d.day) or CalendarOverride(day=d.day)
            row.workday, row.note = d.workday, d.note[:NOTE_LENGTH]
            s.add(row)
        s.flush()
        holidays = sum(not d.workday for d in days)
        audit(
            s,
            actor,
            "calendar.load",
            f"calendar:{year}",
            details={
                "file": name,
                "sha256": hashlib.sha256(data).hexdigest(),
                "holidays": holidays,
                "workdays": len(days) - holidays,
                "removed": removed,
            },
        )
        known = WorkingCalendar({o.day: o.workday for o in s.scalars(select(CalendarOverride))}).known_until()
    return LoadedNotice(year, holidays, len(days) - holidays, removed, known)


def year_view(db: Database, year: int) -> list[list[tuple[date, bool, str]]]:
    """The year's days by month: (day, is a workday, the override's note or "")."""
    if not 2000 <= year <= 2100:
        raise InvalidInput("年份须在 2000 至 2100 之间 (year: 2000..2100)", where="year")
    with db.unit_of_work() as s:
        rows = list(s.scalars(select(CalendarOverride)))
    cal = WorkingCalendar({o.day: o.workday for o in rows})
    notes = {o.day: o.note or "" for o in rows if o.day.year == year}
    months: list[list[tuple[date, bool, str]]] = []
    for month in range(1, 13):
        day, days = date(year, month, 1), []
        while day.month == month:
            days.append((day, cal.is_workday(day), notes.get(day, "")))
            day = date.fromordinal(day.toordinal() + 1)
        months.append(days)
    return months
