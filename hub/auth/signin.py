"""Signing a person in by name and password: the web page asks here, inside one unit of work."""
from __future__ import annotations

from hub.auth.services import check_password
from hub.db import Database


def user_id_for(db: Database, name: str, password: str) -> int | None:
    """The id of the active user with this name and password, else None (no hint which was wrong)."""
    with db.unit_of_work() as s:
        user = check_password(s, name, password)
        return user.id if user else None
