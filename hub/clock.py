"""One source of 'now' for the hub: naive UTC datetimes, stored as such everywhere."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def rfc3339(dt: datetime) -> str:
    """A stored naive-UTC datetime as RFC 3339 with a Z."""
    return dt.replace(microsecond=0).isoformat() + "Z"
