"""The machine API under /api/v1 (bearer tokens), described by /api/v1/openapi.json."""

from __future__ import annotations

from flask import Blueprint, Flask

from hub.errors import HubError, InvalidInput

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def register_api(app: Flask) -> None:
    from hub.api import accounts, meta, plans, results, rosters, stats, tasks  # noqa: F401  (each adds its routes to bp)

    app.register_blueprint(bp)


def json_body() -> dict:
    """The request's JSON object, or a clear 400."""
    from flask import request

    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        what = "not valid JSON (or nested too deeply)" if data is None and request.get_data() else "not a JSON object"
        raise InvalidInput(f"the request body must be a JSON object: it is {what}", where="body")
    return data


__all__ = ["HubError", "bp", "json_body"]
