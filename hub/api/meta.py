"""The OpenAPI document, built from the route table so it never drifts from the code."""

from __future__ import annotations

import re

from flask import current_app, jsonify

from hub.api import bp
from hub.auth.access import public
from hub.version import VERSION

# Success statuses other than 200, per endpoint (a test holds this table to the views' code).
SUCCESS: dict[str, tuple[str, ...]] = {
    "api.results_enter": ("201",),
    "api.results_follow_up": ("201",),
    "api.users_add": ("201",),
    "api.users_token": ("201",),
    "api.start_sync": ("202",),
    "api.items_import": ("201",),
    "api.tasks_create": ("201",),
    "api.tasks_add_party": ("201",),
    "api.tasks_commit": ("201",),
    "api.tasks_draw": ("200", "202"),
    "api.verify_record": ("200", "202"),
    "api.draw_offline": ("200", "202"),
}
CSV_BODY = {"api.results_import"}
PROBLEM = {
    "application/problem+json": {
        "schema": {
            "type": "object",
            "required": ["title", "status"],
            "properties": {
                "type": {"type": "string"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
                "where": {"type": "string"},
            },
        }
    }
}


def _responses(endpoint: str, access: tuple, method: str) -> dict:
    """Every status the route answers: its successes, then the problems any route may give."""
    from hub.api.bounds import RATE_LIMITED

    responses: dict[str, dict] = {
        code: {"description": "Accepted: see the status URL" if code == "202" else "OK"}
        for code in SUCCESS.get(endpoint, ("200",))
    }
    problems = {
        "400": "Malformed input: the problem names the field",
        "404": "No such resource",
        "405": "Method not allowed",
        "409": "Conflicts with what is stored",
        "413": "The request body is over the configured limit",
        "422": "Rows refused, with their lines",
        "503": "The database or the broker cannot be reached (Retry-After)",
    }
    if access != ("public",):
        problems["401"] = "No valid bearer token"
        problems["403"] = "The token's user lacks the role"
    if endpoint in RATE_LIMITED:
        problems["429"] = "Rate limit reached (Retry-After)"
    for code, text in sorted(problems.items()):
        responses[code] = {"description": text, "content": PROBLEM}
    return responses


def openapi_document() -> dict:
    paths: dict[str, dict] = {}
    for rule in current_app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        view = current_app.view_functions[rule.endpoint]
        access = getattr(view, "_hub_access", ())
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        ints = set(re.findall(r"<int:([^<>]+)>", rule.rule))
        params = [
            {
                "name": p,
                "in": "path",
                "required": True,
                "schema": {"type": "integer", "minimum": 0} if p in ints else {"type": "string", "minLength": 1},
            }
            for p in re.findall(r"{([^}]+)}", path)
        ]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            doc = (view.__doc__ or "").strip().splitlines()
            op = {
                "operationId": f"{rule.endpoint}_{method.lower()}",
                "summary": doc[0] if doc else rule.endpoint,
                "parameters": params,
                "responses": _responses(rule.endpoint, access, method),
                "x-roles": list(access),
            }
            if method == "POST":
                op["requestBody"] = (
                    {"content": {"text/csv": {"schema": {"type": "string"}}}}
                    if rule.endpoint in CSV_BODY
                    else {"content": {"application/json": {"schema": {"type": "object"}}}}
                )
            if access != ("public",):
                op["security"] = [{"bearer": []}]
            paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "Joint-inspection hub API", "version": VERSION},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "paths": dict(sorted(paths.items())),
    }


@bp.get("/openapi.json")
@public
def openapi():
    """This document."""
    return jsonify(openapi_document())
