"""API: people, their machine tokens, and the audit chain check (services in hub.auth and hub.audit)."""

from __future__ import annotations

from datetime import datetime

from flask import jsonify

from hub import appctx
from hub.api import bp, json_body
from hub.api.bounds import optional_json_body, str_list_field
from hub.audit.chain import published_head, verify_chain
from hub.auth import admin
from hub.auth.access import current_principal, requires
from hub.auth.accounts import tokens_of
from hub.auth.principal import Principal
from hub.errors import InvalidInput, NotFound


def _principal() -> Principal:
    p = current_principal()
    assert p is not None  # @requires let the request through
    return p


def _when(value: datetime | None) -> str | None:
    return value.isoformat() + "Z" if value else None


@bp.post("/users")
@requires("admin")
def users_add():
    """Add a user: {name, roles: [...], agency?, password?, inspector_id?}."""
    b = json_body()
    for key in ("name", "agency", "password", "inspector_id"):
        if b.get(key) is not None and not isinstance(b[key], str):
            raise InvalidInput("must be text", where=key)
    roles = str_list_field(b, "roles", max_items=10) or []
    admin.create_user(
        appctx.database(),
        _principal(),
        str(b.get("name", "")),
        roles,
        b.get("agency"),
        b.get("password"),
        b.get("inspector_id"),
    )
    return jsonify({"name": b.get("name"), "roles": roles}), 201


@bp.post("/users/<name>:deactivate")
@requires("admin")
def users_deactivate(name: str):
    """Deactivate a user: no more sign-ins, their sessions end and their tokens are revoked."""
    revoked = admin.disable_user(appctx.database(), _principal(), name)
    return jsonify({"name": name, "active": False, "tokens_revoked": revoked})


@bp.post("/users/<name>/password")
@requires("admin")
def users_password(name: str):
    """Set a user's password: {"password"} (the policy applies; their sessions end)."""
    password = json_body().get("password")
    if not isinstance(password, str):
        raise InvalidInput("must be text", where="password")
    admin.reset_password(appctx.database(), _principal(), name, password)
    return jsonify({"name": name, "password_changed": True})


@bp.post("/users/<name>/tokens")
@requires("admin")
def users_token(name: str):
    """Issue a bearer token for a user (shown once): {"days": N} optional, 0 for no expiry."""
    days = optional_json_body().get("days", appctx.settings().security.token_days)
    if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= 3650:
        raise InvalidInput("must be a whole number of days from 0 (no expiry) to 3650", where="days")
    token, token_id = admin.issue_token(appctx.database(), _principal(), name, days)
    return jsonify({"token": token, "token_id": token_id, "days": days}), 201


@bp.get("/users/<name>/tokens")
@requires("admin")
def users_tokens(name: str):
    """A user's tokens (never the tokens themselves): id, created, expiry, last use, revocation."""
    return jsonify(
        [{k: (_when(v) if k != "token_id" else v) for k, v in t.items()} for t in tokens_of(appctx.database(), name)]
    )


@bp.post("/tokens/<token_id>:revoke")
@requires("admin")
def tokens_revoke(token_id: str):
    """Revoke a bearer token by its id (GET /users/{name}/tokens lists them); it stops working at once."""
    if not token_id.isdecimal() or len(token_id) > 18:
        raise NotFound(f"no token with id {token_id[:40]!r}", where="token")
    admin.revoke_token(appctx.database(), _principal(), int(token_id))
    return jsonify({"token_id": int(token_id), "revoked": True})


@bp.get("/audit/verify")
@requires("auditor")
def audit_verify():
    """Check the audit hash chain and that results and tasks match it; the chain's head as published."""
    n, problems = verify_chain(appctx.database())
    return jsonify(
        {"entries": n, "intact": not problems, "problems": problems[:50], "head": published_head(appctx.database())}
    )
