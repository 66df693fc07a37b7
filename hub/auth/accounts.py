"""Adding people and issuing machine tokens, each recorded in the audit log in the same unit of work.

The CLI (`hub user ...`, `hub token ...`), the API (`/users...`, `/tokens...`) and the password page
all call these.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hub.audit.log import record
from hub.auth.models import User
from hub.auth.services import (
    add_user,
    check_password,
    create_token,
    deactivate_user,
    list_tokens,
    revoke_token,
    set_password,
    token_id,
)
from hub.db import Database
from hub.errors import InvalidInput


def add_person(
    db: Database,
    actor: str,
    name: str,
    roles: Sequence[str],
    agency: str | None = None,
    password: str | None = None,
    inspector_id: str | None = None,
) -> User:
    """Add a user with ``roles``; audited as ``user.add``."""
    with db.unit_of_work() as s:
        user = add_user(s, name, list(roles), agency, password, inspector_id)
        record(s, actor, "user.add", f"user:{user.name}", details={"roles": user.roles, "agency": agency})
        return user


def issue_token(db: Database, actor: str, name: str) -> str:
    """A new bearer token for ``name`` (shown once, stored as a hash); audited as ``token.create``."""
    with db.unit_of_work() as s:
        token = create_token(s, name)
        record(s, actor, "token.create", f"user:{name}")
        return token


def issue_token_for(db: Database, actor: str, name: str, days: int | None) -> tuple[str, int]:
    """A new bearer token valid ``days`` (0 or None: no expiry) and its id; audited as ``token.create``."""
    with db.unit_of_work() as s:
        token = create_token(s, name, days)
        tid = token_id(s, token)
        record(s, actor, "token.create", f"user:{name}", details={"token_id": tid, "days": days})
        return token, tid


def tokens_of(db: Database, name: str) -> list[dict[str, Any]]:
    """A user's tokens without the tokens themselves: id, creation, expiry, last use, revocation."""
    with db.unit_of_work() as s:
        return [
            {
                "token_id": t.id,
                "created_at": t.created_at,
                "expires_at": t.expires_at,
                "last_used_at": t.last_used_at,
                "revoked_at": t.revoked_at,
            }
            for t in list_tokens(s, name)
        ]


def revoke(db: Database, actor: str, token_id: int) -> None:
    """Revoke a token by id; audited as ``token.revoke``."""
    with db.unit_of_work() as s:
        revoke_token(s, token_id)
        record(s, actor, "token.revoke", f"token:{token_id}")


def deactivate(db: Database, actor: str, name: str) -> int:
    """Deactivate a user (sessions end, tokens revoked: how many); audited as ``user.deactivate``."""
    with db.unit_of_work() as s:
        revoked = deactivate_user(s, name)
        record(s, actor, "user.deactivate", f"user:{name}", details={"tokens_revoked": revoked})
        return revoked


def change_password(db: Database, actor: str, name: str, password: str, current: str | None = None) -> int:
    """Set a password under the policy, after checking ``current`` when given (self-service); every
    session of the user ends. Returns the user's new session epoch; audited as ``user.password``."""
    with db.unit_of_work() as s:
        if current is not None and check_password(s, name, current) is None:
            raise InvalidInput("当前密码不正确 (the current password is wrong)", where="current_password")
        user = set_password(s, name, password)
        record(s, actor, "user.password", f"user:{name}")
        return user.session_epoch
