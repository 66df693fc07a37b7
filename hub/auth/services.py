"""Users, roles and tokens: adding people, checking passwords, issuing bearer tokens."""
from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.auth.models import ROLES, ApiToken, User
from hub.clock import utcnow
from hub.errors import Conflict, InvalidInput, NotFound

_hasher = PasswordHasher()
AGENCY_ROLES = ("liaison",)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def add_user(session: Session, name: str, roles: list[str], agency: str | None = None,
             password: str | None = None, inspector_id: str | None = None) -> User:
    """Create a user; a liaison must name an agency, an inspector may be linked to an officer."""
    if not name or len(name) > 64:
        raise InvalidInput("a user name of 1 to 64 characters is required", where="name")
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise InvalidInput(f"role {unknown[0] if unknown else ''!r} is not one of {', '.join(ROLES)}",
                           where="--role")
    if any(r in AGENCY_ROLES for r in roles) and not agency:
        raise InvalidInput("a liaison belongs to an agency: give --agency", where="--agency")
    if session.scalar(select(User).where(User.name == name)):
        raise Conflict(f"user {name!r} exists already", where="name")
    user = User(name=name, roles=sorted(set(roles)), agency=agency, inspector_id=inspector_id,
                password_hash=_hasher.hash(password) if password else None)
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, name: str, password: str) -> None:
    user = get_user(session, name)
    if len(password) < 8:
        raise InvalidInput("a password needs at least 8 characters", where="password")
    user.password_hash = _hasher.hash(password)


def get_user(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise NotFound(f"no user named {name!r}", where="user")
    return user


def check_password(session: Session, name: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.name == name, User.active))
    if user is None or not user.password_hash:
        _hasher.hash(password)  # spend the same time whether or not the user exists
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    return user


def create_token(session: Session, name: str) -> str:
    """A new bearer token for ``name``; only its hash is stored, so it is shown once."""
    user = get_user(session, name)
    token = "hub_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=hash_token(token)))
    return token


def user_for_token(session: Session, token: str) -> User | None:
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token),
                                                ApiToken.revoked_at.is_(None)))
    if row is None:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    row.last_used_at = utcnow()
    return user
