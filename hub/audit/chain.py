"""Checking the audit hash chain, as `hub audit verify` and `GET /audit/verify` both do, and its
published head."""

from __future__ import annotations

from typing import Any

from hub.audit.log import head, verify
from hub.db import Database


def verify_chain(db: Database) -> tuple[int, list[str]]:
    """(entries, problems): an empty list when no entry was edited, removed or reordered and every
    result and task matches what the chain vouches for (hub.audit.state)."""
    with db.unit_of_work() as s:
        return verify(s)


def published_head(db: Database) -> dict[str, Any] | None:
    """The chain's head as the public page shows it: entries, the newest entry's hash, its time."""
    with db.unit_of_work() as s:
        return head(s)
