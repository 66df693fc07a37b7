"""Loading a year's State Council holiday notice into the calendar overrides in one step."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select

from hub.audit.log import record as audit
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
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("not UTF-8 text", where=str(path)) from None
    year, days = parse_schedule(text, str(path))
    return year, days, data


def load_notice(db: Database, path: str | Path, actor: str, replace: bool = False) -> LoadedNotice:
    """Store every day of the notice as an override (one transaction, one audit entry).

    With ``replace`` the year's earlier overrides go first, so a corrected notice leaves nothing behind.
    """
    year, days, data = read_notice(path)
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
                "file": Path(path).name,
                "sha256": hashlib.sha256(data).hexdigest(),
                "holidays": holidays,
                "workdays": len(days) - holidays,
                "removed": removed,
            },
        )
        known = WorkingCalendar({o.day: o.workday for o in s.scalars(select(CalendarOverride))}).known_until()
    return LoadedNotice(year, holidays, len(days) - holidays, removed, known)
