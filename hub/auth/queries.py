"""Reading people and their tokens for the administration pages (admins only, checked here)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from hub.auth.models import ROLES, ApiToken, User
from hub.auth.principal import Principal
from hub.auth.roles import require_role
from hub.db import Database
from hub.errors import InvalidInput, NotFound
from hub.keyset import read_page
from hub.paging import Cursor, Page

ADMIN = ("admin",)


def user_page(
    db: Database, principal: Principal, search: str, role: str, cursor: Cursor | None, limit: int
) -> Page[User]:
    """Users by name; ``search`` is a name prefix, ``role`` one of the roles."""
    require_role(principal, ADMIN, "用户")
    if role and role not in ROLES:
        raise InvalidInput(f"{role!r} is not one of {', '.join(ROLES)}", where="role")
    search = search.strip()
    if len(search) > 64:
        raise InvalidInput("用户名最多 64 个字 (name: at most 64 characters)", where="q")
    with db.unit_of_work() as s:
        q = select(User)
        if search:
            q = q.where(User.name >= search, User.name < search[:-1] + chr(ord(search[-1]) + 1))
        page = read_page(s, q, [User.name], cursor, limit, row_key=lambda u: (u.name,))
        if role:  # few users: the role (a JSON list) is filtered on the page's rows
            page = Page(
                [u for u in page.rows if role in (u.roles or ())],
                page.next_cursor,
                page.prev_cursor,
                page.total,
                page.total_capped,
                page.limit,
            )
        return page


def user_detail(db: Database, principal: Principal, name: str) -> tuple[User, list[dict[str, Any]]]:
    """A user and their tokens (never the tokens themselves), for an admin."""
    require_role(principal, ADMIN, "用户")
    with db.unit_of_work() as s:
        user = s.scalar(select(User).where(User.name == name))
        if user is None:
            raise NotFound(f"没有名为 {name!r} 的用户 (no such user)", where="user")
        tokens = [
            {
                "token_id": t.id,
                "created_at": t.created_at,
                "expires_at": t.expires_at,
                "last_used_at": t.last_used_at,
                "revoked_at": t.revoked_at,
            }
            for t in s.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc()))
        ]
        return user, tokens


def user_count(db: Database) -> int:
    with db.unit_of_work() as s:
        return s.scalar(select(func.count()).select_from(User)) or 0
