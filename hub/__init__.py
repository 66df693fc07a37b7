"""The joint-inspection hub: ``create_app()`` builds the Flask application."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

    from hub.config import Settings

__version__ = "0.1.0"


def create_app(settings: Settings | None = None) -> Flask:
    # Imported here, not above: `hub draw offline` and `hub verify` import the package without the web stack.
    from flask import Flask

    from hub.config import load_settings
    from hub.db import init_db

    settings = settings or load_settings()
    app = Flask(__name__, template_folder="web/templates", static_folder="web/static")
    app.config.update(SECRET_KEY=settings.secret_key.reveal(), SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax", JSON_AS_ASCII=False)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["hub_settings"] = settings
    app.extensions["hub_db"] = init_db(settings.database_url)
    from hub.worker import celery_init_app

    celery_init_app(app, settings)
    from hub.api import register_api
    from hub.web import register_web

    register_web(app)
    register_api(app)
    logging.getLogger("hub").setLevel(logging.INFO)
    return app
