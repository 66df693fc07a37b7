"""Signing a person in by name and password: the web page asks here, inside one unit of work."""

from __future__ import annotations

from hub.auth.services import SignIn, check_password, end_sessions, sign_in
from hub.db import Database


def user_id_for(db: Database, name: str, password: str) -> int | None:
    """The id of the active user with this name and password, else None (no hint which was wrong)."""
    with db.unit_of_work() as s:
        user = check_password(s, name, password)
        return user.id if user else None


def attempt(db: Database, name: str, password: str, max_failures: int, lock_minutes: int) -> tuple[SignIn, int, int]:
    """A sign-in with the per-account lock (``services.sign_in``): (outcome, user id or 0, session epoch)."""
    with db.unit_of_work() as s:
        outcome = sign_in(s, name, password, max_failures, lock_minutes)
        user = outcome.user
        return outcome, (user.id if user else 0), ((user.session_epoch or 0) if user else 0)


def sign_out(db: Database, user_id: int) -> None:
    """End every session of the user (the cookie alone cannot be taken back)."""
    with db.unit_of_work() as s:
        end_sessions(s, user_id)
