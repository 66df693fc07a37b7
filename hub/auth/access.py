"""Who may call what: every route is marked ``public`` or ``requires(role, ...)``.

Web pages authenticate by session cookie, the API by bearer token. A test walks
the route table and checks that no route is left unmarked.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import g, request, session

from hub import appctx
from hub.auth.principal import Principal
from hub.display import role as role_name
from hub.errors import Forbidden, Unauthorized

F = TypeVar("F", bound=Callable[..., Any])


def current_principal() -> Principal | None:
    if "principal" in g:
        return g.principal
    principal = None
    from hub.auth.models import User
    from hub.auth.services import user_for_token

    auth = request.headers.get("Authorization", "")
    with appctx.database().unit_of_work() as s:
        user = None
        if auth.startswith("Bearer "):
            user = user_for_token(s, auth[7:].strip())
        elif not request.path.startswith("/api/") and session.get("user_id"):
            user = s.get(User, session["user_id"])
            if user is not None and not session_is_current(user.active, user.session_epoch):
                user = None
        if user is not None:
            principal = Principal(user.name, frozenset(user.roles), user.agency, user.inspector_id)
    g.principal = principal
    return principal


def session_is_current(active: bool, epoch: int | None) -> bool:
    """The signed-in session cookie still counts: the user is active, has not signed out (or
    changed password) since, and the session is younger than ``[security] session_hours``."""
    import time

    hours = appctx.settings().security.session_hours
    started = session.get("at")
    return (
        bool(active)
        and session.get("epoch") == (epoch or 0)
        and isinstance(started, (int, float))
        and (not hours or time.time() - started < hours * 3600)
    )


def public(view: F) -> F:
    """Anyone, signed in or not, may call this view."""
    view._hub_access = ("public",)  # type: ignore[attr-defined]  # a marker on the view, read by the route-table tests
    return view


def requires(*roles: str) -> Callable[[F], F]:
    """The caller must hold one of ``roles`` (admin holds all); 401 when anonymous, 403 otherwise."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            principal = current_principal()
            if principal is None:
                raise Unauthorized("请先登录 (sign in or send a bearer token)", where=request.path)
            if roles and not principal.has(*roles):
                names = "、".join(f"{role_name(r)}（{r}）" for r in roles)
                raise Forbidden(f"需要以下角色之一：{names} (needs the role {' or '.join(roles)})", where=request.path)
            return view(*args, **kwargs)

        wrapper._hub_access = roles or ("signed-in",)  # type: ignore[attr-defined]  # a marker on the view, read by the route-table tests
        return wrapper  # type: ignore[return-value]  # functools.wraps keeps the signature F stands for

    return decorate
