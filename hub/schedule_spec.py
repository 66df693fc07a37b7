"""Cron expressions as written in the config: 5 fields, or 6 with seconds first (pure)."""

from __future__ import annotations

from dataclasses import dataclass

FIELDS5 = ("minute", "hour", "day", "month", "day_of_week")


@dataclass(frozen=True)
class CronSpec:
    second: str
    minute: str
    hour: str
    day: str
    month: str
    day_of_week: str

    def as_kwargs(self) -> dict[str, str]:
        return dict(
            second=self.second,
            minute=self.minute,
            hour=self.hour,
            day=self.day,
            month=self.month,
            day_of_week=self.day_of_week,
        )


def parse_cron(expr: str) -> CronSpec:
    """Split a cron string; day-of-week uses cron numbering (0 or 7 = Sunday)."""
    if not isinstance(expr, str):
        raise ValueError("must be a string")
    parts = expr.split()
    if len(parts) == 5:
        parts = ["0", *parts]
    if len(parts) != 6:
        raise ValueError("expected 5 fields (minute hour day month weekday) or 6 with seconds first")
    allowed = set("0123456789*/,-abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ?")
    for p in parts:
        if not p or set(p) - allowed:
            raise ValueError(f"field {p!r} is not a cron field")
    return CronSpec(*parts)
