"""Adding people and issuing machine tokens, each recorded in the audit log in the same unit of work.

The CLI (`hub user add`, `hub token create`) and the API (`POST /users`, `/users/NAME/tokens`)
both call these.
"""
from __future__ import annotations

from collections.abc import Sequence

from hub.audit.log import record
from hub.auth.models import User
from hub.auth.services import add_user, create_token
from hub.db import Database


def add_person(db: Database, actor: str, name: str, roles: Sequence[str], agency: str | None = None,
               password: str | None = None, inspector_id: str | None = None) -> User:
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
