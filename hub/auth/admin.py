"""User administration as an admin does it from the browser or the API: each step checks that the
caller is an admin (here, so every way in obeys), then calls the audited account services."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from hub.audit.log import record
from hub.auth import accounts
from hub.auth.models import ROLES, User
from hub.auth.principal import Principal
from hub.auth.roles import require_role
from hub.auth.services import AGENCY_ROLES
from hub.db import Database
from hub.errors import Conflict, InvalidInput, NotFound

ADMIN = ("admin",)
MAX_TOKEN_DAYS = 3650


def create_user(
    db: Database,
    principal: Principal,
    name: str,
    roles: Sequence[str],
    agency: str | None = None,
    password: str | None = None,
    inspector_id: str | None = None,
) -> User:
    require_role(principal, ADMIN, "用户")
    return accounts.add_person(
        db, principal.name, name.strip(), roles, agency or None, password or None, inspector_id or None
    )


def disable_user(db: Database, principal: Principal, name: str) -> int:
    """Disable a user (sessions end, tokens revoked); an admin cannot disable themself."""
    require_role(principal, ADMIN, "用户")
    if name == principal.name:
        raise Conflict("不能停用自己的账户 (you cannot disable your own account)", where="user")
    return accounts.deactivate(db, principal.name, name)


def reset_password(db: Database, principal: Principal, name: str, password: str) -> None:
    require_role(principal, ADMIN, "用户")
    accounts.change_password(db, principal.name, name, password)


def set_roles(
    db: Database, principal: Principal, name: str, roles: Sequence[str], agency: str | None, inspector_id: str | None
) -> User:
    """Replace a user's roles, agency and officer link; audited as ``user.roles``. An admin keeps
    their own admin role (no one locks the last door from inside)."""
    require_role(principal, ADMIN, "用户")
    roles = sorted(set(roles))
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise InvalidInput(f"角色须为 {', '.join(ROLES)} 之一 (role {unknown[0] if unknown else ''!r})", where="roles")
    if any(r in AGENCY_ROLES for r in roles) and not agency:
        raise InvalidInput("部门联络员须属于一个部门 (a liaison belongs to an agency)", where="agency")
    if name == principal.name and "admin" not in roles:
        raise Conflict("不能去掉自己的系统管理员角色 (you cannot drop your own admin role)", where="roles")
    with db.unit_of_work() as s:
        user = s.scalar(select(User).where(User.name == name))
        if user is None:
            raise NotFound(f"没有名为 {name!r} 的用户 (no such user)", where="user")
        before = {"roles": list(user.roles or ()), "agency": user.agency, "inspector_id": user.inspector_id}
        user.roles, user.agency, user.inspector_id = roles, agency or None, inspector_id or None
        user.session_epoch = (user.session_epoch or 0) + 1  # new rights take effect on the next sign-in
        record(
            s,
            principal.name,
            "user.roles",
            f"user:{name}",
            details={"before": before, "after": {"roles": roles, "agency": agency, "inspector_id": inspector_id}},
        )
        return user


def issue_token(db: Database, principal: Principal, name: str, days: int | None) -> tuple[str, int]:
    """A new bearer token for ``name`` (shown once) and its id."""
    require_role(principal, ADMIN, "令牌")
    if days is not None and not 0 <= days <= MAX_TOKEN_DAYS:
        raise InvalidInput(f"有效天数须为 0（不过期）至 {MAX_TOKEN_DAYS} (days: 0..{MAX_TOKEN_DAYS})", where="days")
    return accounts.issue_token_for(db, principal.name, name, days)


def revoke_token(db: Database, principal: Principal, token_id: int) -> None:
    require_role(principal, ADMIN, "令牌")
    accounts.revoke(db, principal.name, token_id)
