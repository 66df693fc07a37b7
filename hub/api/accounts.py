"""API: people, their machine tokens, and the audit chain check (services in hub.auth and hub.audit)."""
from __future__ import annotations

from flask import jsonify

from hub import appctx
from hub.api import bp, json_body
from hub.audit.chain import verify_chain
from hub.auth.access import current_principal, requires
from hub.auth.accounts import add_person, issue_token


def _actor() -> str:
    p = current_principal()
    return p.name if p else "anonymous"


@bp.post("/users")
@requires("admin")
def users_add():
    """Add a user: {name, roles: [...], agency?, password?, inspector_id?}."""
    b = json_body()
    add_person(appctx.database(), _actor(), str(b.get("name", "")), list(b.get("roles") or []), b.get("agency"),
               b.get("password"), b.get("inspector_id"))
    return jsonify({"name": b.get("name"), "roles": b.get("roles")}), 201


@bp.post("/users/<name>/tokens")
@requires("admin")
def users_token(name: str):
    """Issue a bearer token for a user (shown once)."""
    return jsonify({"token": issue_token(appctx.database(), _actor(), name)}), 201


@bp.get("/audit/verify")
@requires("auditor")
def audit_verify():
    """Check the audit hash chain."""
    n, problems = verify_chain(appctx.database())
    return jsonify({"entries": n, "intact": not problems, "problems": problems[:50]})
