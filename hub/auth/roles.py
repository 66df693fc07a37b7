"""The one check that a caller holds a role, for queries and services (pages and the API check the
same thing at the door; this is the check behind it, so every way in obeys)."""

from __future__ import annotations

from collections.abc import Iterable

from hub.auth.principal import Principal
from hub.display import role as role_name
from hub.errors import Forbidden


def require_role(principal: Principal | None, roles: Iterable[str], what: str) -> Principal:
    """``principal`` when it holds one of ``roles`` (admin holds all); Forbidden naming ``what`` otherwise."""
    roles = tuple(roles)
    if principal is None or not principal.has(*roles):
        names = "、".join(role_name(r) for r in roles)
        raise Forbidden(f"只有{names}可以查看或操作{what} (needs the role {' or '.join(roles)})", where=what)
    return principal
