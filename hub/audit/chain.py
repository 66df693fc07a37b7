"""Checking the audit hash chain, as `hub audit verify` and `GET /audit/verify` both do."""
from __future__ import annotations

from hub.audit.log import verify
from hub.db import Database


def verify_chain(db: Database) -> tuple[int, list[str]]:
    """(entries, problems): an empty list when no entry was edited, removed or reordered."""
    with db.unit_of_work() as s:
        return verify(s)
