"""Users, roles and tokens: adding people, checking passwords, issuing bearer tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.auth.models import ROLES, ApiToken, User
from hub.auth.passwords import password_problems
from hub.clock import utcnow
from hub.errors import Conflict, InvalidInput, NotFound

_hasher = PasswordHasher()
AGENCY_ROLES = ("liaison",)
# A token's last use is written at most this often: on SQLite every write waits behind a running
# sync's transaction, so writing it on each authenticated read made reads wait seconds.
LAST_USED_EVERY = timedelta(minutes=10)
MAX_LOCK = timedelta(hours=24)


def check_policy(password: str, name: str) -> None:
    """Refuse a password that breaks the policy (hub/auth/passwords.py), naming every reason."""
    problems = password_problems(password, name)
    if problems:
        raise InvalidInput("; ".join(problems), where="password")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def add_user(
    session: Session,
    name: str,
    roles: list[str],
    agency: str | None = None,
    password: str | None = None,
    inspector_id: str | None = None,
) -> User:
    """Create a user; a liaison must name an agency, an inspector may be linked to an officer."""
    if not name or len(name) > 64:
        raise InvalidInput("a user name of 1 to 64 characters is required", where="name")
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise InvalidInput(f"role {unknown[0] if unknown else ''!r} is not one of {', '.join(ROLES)}", where="--role")
    if any(r in AGENCY_ROLES for r in roles) and not agency:
        raise InvalidInput("a liaison belongs to an agency: give --agency", where="--agency")
    if session.scalar(select(User).where(User.name == name)):
        raise Conflict(f"user {name!r} exists already", where="name")
    if password is not None:
        check_policy(password, name)
    user = User(
        name=name,
        roles=sorted(set(roles)),
        agency=agency,
        inspector_id=inspector_id,
        password_hash=_hasher.hash(password) if password else None,
        password_changed_at=utcnow() if password else None,
    )
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, name: str, password: str) -> User:
    """A new password under the policy; the user's open sessions end and a login lock is lifted."""
    user = get_user(session, name)
    check_policy(password, name)
    user.password_hash = _hasher.hash(password)
    user.password_changed_at = utcnow()
    user.session_epoch = (user.session_epoch or 0) + 1
    user.failed_logins, user.locked_until = 0, None
    return user


def deactivate_user(session: Session, name: str) -> int:
    """The user can no longer sign in; their sessions end and their tokens are revoked (returns how many)."""
    user = get_user(session, name)
    user.active = False
    user.session_epoch = (user.session_epoch or 0) + 1
    now = utcnow()
    tokens = list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))))
    for t in tokens:
        t.revoked_at = now
    return len(tokens)


def end_sessions(session: Session, user_id: int) -> None:
    """Every session cookie of this user stops working (sign-out is server-side)."""
    user = session.get(User, user_id)
    if user is not None:
        user.session_epoch = (user.session_epoch or 0) + 1


def get_user(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise NotFound(f"no user named {name!r}", where="user")
    return user


def _verified(user: User | None, password: str) -> bool:
    if user is None or not user.password_hash or len(password) > 1024:
        _hasher.hash(password[:1024])  # spend the same time whether or not the user exists
        return False
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_password(session: Session, name: str, password: str) -> User | None:
    """The active user when the password is theirs (no lock bookkeeping: see ``sign_in``)."""
    user = session.scalar(select(User).where(User.name == name, User.active))
    return user if _verified(user, password) else None


@dataclass(frozen=True)
class SignIn:
    """A sign-in attempt's outcome: the user, or why not (``locked_for`` seconds when locked)."""

    user: User | None
    locked_for: int = 0


def sign_in(
    session: Session, name: str, password: str, max_failures: int, lock_minutes: int, now: datetime | None = None
) -> SignIn:
    """Check a password with a per-account lock: ``max_failures`` wrong passwords in a row lock the
    account for ``lock_minutes``, doubled for each further failure (at most a day); while locked
    the password is not even tried."""
    now = now or utcnow()
    user = session.scalar(select(User).where(User.name == name, User.active))
    if user is not None and user.locked_until is not None and user.locked_until > now:
        _hasher.hash(password[:1024])
        return SignIn(None, int((user.locked_until - now).total_seconds()) + 1)
    if _verified(user, password):
        assert user is not None
        user.failed_logins, user.locked_until = 0, None
        return SignIn(user)
    if user is None:
        return SignIn(None)
    user.failed_logins = (user.failed_logins or 0) + 1
    if max_failures and user.failed_logins >= max_failures:
        lock = min(timedelta(minutes=lock_minutes) * 2 ** (user.failed_logins - max_failures), MAX_LOCK)
        user.locked_until = now + lock
        return SignIn(None, int(lock.total_seconds()))
    return SignIn(None)


def create_token(session: Session, name: str, days: int | None = None) -> str:
    """A new bearer token for ``name`` valid for ``days`` (None or 0: no expiry); only its hash is
    stored, so it is shown once."""
    user = get_user(session, name)
    if days is not None and days < 0:
        raise InvalidInput(f"{days} is not a number of days >= 0", where="days")
    token = "hub_" + secrets.token_urlsafe(32)
    expires = utcnow() + timedelta(days=days) if days else None
    session.add(ApiToken(user_id=user.id, token_hash=hash_token(token), expires_at=expires))
    session.flush()
    return token


def token_id(session: Session, token: str) -> int:
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None:
        raise NotFound("no such token", where="token")
    return row.id


def list_tokens(session: Session, name: str) -> list[ApiToken]:
    user = get_user(session, name)
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)))


def revoke_token(session: Session, token_id: int) -> ApiToken:
    """Revoke a token by its id (``hub token list``); revoking twice is harmless."""
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(f"no token with id {token_id}", where="token")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    return row


def user_for_token(session: Session, token: str, now: datetime | None = None) -> User | None:
    """The active user a valid (not revoked, not expired) token belongs to."""
    now = now or utcnow()
    row = session.scalar(
        select(ApiToken).where(ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None))
    )
    if row is None or (row.expires_at is not None and row.expires_at <= now):
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_EVERY:
        row.last_used_at = now
    return user
