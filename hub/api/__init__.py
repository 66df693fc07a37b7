"""The machine API under /api/v1 (bearer tokens), described by /api/v1/openapi.json."""
from __future__ import annotations

from flask import Blueprint, Flask

from hub.errors import HubError, InvalidInput, NotFound

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def register_api(app: Flask) -> None:
    from hub.api import meta, results, rosters, tasks  # noqa: F401  (each adds its routes to bp)
    from hub.web import csrf

    csrf.exempt(bp)  # bearer tokens, not cookies: no cross-site forgery to guard against
    app.register_blueprint(bp)

    @app.errorhandler(404)
    def _not_found(exc):  # type: ignore[no-untyped-def]
        from flask import render_template, request

        from hub.api.problems import problem

        if request.path.startswith("/api/"):
            return problem(NotFound(f"no such resource: {request.path}"))
        return render_template("error.html", error=NotFound(f"no page at {request.path}")), 404

    @app.errorhandler(400)
    def _bad_request(exc):  # type: ignore[no-untyped-def]
        from flask import render_template, request

        from hub.api.problems import problem

        err = InvalidInput(getattr(exc, "description", "bad request"))
        if request.path.startswith("/api/"):
            return problem(err)
        return render_template("error.html", error=err), 400


def json_body() -> dict:
    """The request's JSON object, or a clear 400."""
    from flask import request

    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InvalidInput("the request body must be a JSON object", where=request.path)
    return data


__all__ = ["HubError", "bp", "json_body"]
