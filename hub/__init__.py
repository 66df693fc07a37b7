"""The joint-inspection hub: ``create_app()`` builds the Flask application."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

    from hub.config import Settings

from hub.errors import HubError, InvalidInput, NotFound
from hub.version import VERSION

__version__ = VERSION


def create_app(settings: Settings | None = None) -> Flask:
    # Imported here, not above: `hub draw offline` and `hub verify` import the package without the web stack.
    from flask import Flask

    from hub.config import load_settings
    from hub.db import init_db

    settings = settings or load_settings()
    app = Flask(__name__, template_folder="web/templates", static_folder="web/static")
    app.config.update(SECRET_KEY=settings.secret_key.reveal(), SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax", JSON_AS_ASCII=False)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # the default provider has it; app.json is typed as the base class
    app.extensions["hub_settings"] = settings
    app.extensions["hub_db"] = init_db(settings.database_url)
    from hub.worker import celery_init_app

    celery_init_app(app, settings)
    from hub.api import bp as api_bp
    from hub.api import register_api
    from hub.web import csrf, register_web

    register_web(app)
    register_api(app)
    csrf.exempt(api_bp)  # bearer tokens, not cookies: no cross-site forgery to guard against
    _register_error_answers(app)
    logging.getLogger("hub").setLevel(logging.INFO)
    return app


def _register_error_answers(app: Flask) -> None:
    """Errors as a JSON problem under /api/, as a page elsewhere (the one place that knows both)."""
    from flask import render_template, request

    from hub.api.problems import problem

    def answer(err: HubError):
        if request.path.startswith("/api/"):
            return problem(err)
        return render_template("error.html", error=err), err.http_status

    app.register_error_handler(HubError, answer)
    app.register_error_handler(404, lambda exc: answer(NotFound(f"no such resource: {request.path}")
                                                       if request.path.startswith("/api/")
                                                       else NotFound(f"no page at {request.path}")))
    app.register_error_handler(400, lambda exc: answer(InvalidInput(getattr(exc, "description", "bad request"))))
