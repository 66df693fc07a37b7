"""The OpenAPI document, built from the route table so it never drifts from the code."""
from __future__ import annotations

import re

from flask import current_app, jsonify

from hub.api import bp
from hub.auth.access import public
from hub.version import VERSION


def openapi_document() -> dict:
    paths: dict[str, dict] = {}
    for rule in current_app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        view = current_app.view_functions[rule.endpoint]
        access = getattr(view, "_hub_access", ())
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        params = [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
                  for p in re.findall(r"{([^}]+)}", path)]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            doc = (view.__doc__ or "").strip().splitlines()
            op = {"operationId": f"{rule.endpoint}_{method.lower()}",
                  "summary": doc[0] if doc else rule.endpoint, "parameters": params,
                  "responses": {"200": {"description": "OK"},
                                "4XX": {"description": "A JSON problem saying what is wrong and where"}},
                  "x-roles": list(access)}
            if access != ("public",):
                op["security"] = [{"bearer": []}]
            paths.setdefault(path, {})[method.lower()] = op
    return {"openapi": "3.1.0",
            "info": {"title": "Joint-inspection hub API", "version": VERSION},
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
            "paths": dict(sorted(paths.items()))}


@bp.get("/openapi.json")
@public
def openapi():
    """This document."""
    return jsonify(openapi_document())
