"""Fixtures for the security tests: users of every role with bearer tokens."""

from __future__ import annotations

import pytest

from hub.auth.models import ROLES
from hub.auth.services import add_user, create_token

PASSWORD = "correct-horse-battery"


def make_user(
    db,
    name: str,
    roles: list[str],
    agency: str | None = None,  # type: ignore[no-untyped-def]
    password: str | None = None,
) -> str:
    """Add a user (without a password unless given: hashing is slow); returns a bearer token of theirs."""
    with db.unit_of_work() as s:
        add_user(s, name, roles, agency, password)
        return create_token(s, name)


@pytest.fixture
def tokens(db) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A bearer token per role (the liaison of HEALTH)."""
    return {role: make_user(db, f"u-{role}", [role], "HEALTH" if role == "liaison" else None) for role in ROLES}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
