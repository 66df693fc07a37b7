"""The joint-inspection hub: ``create_app()`` builds the Flask application."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

    from hub.config import Settings

from hub.version import VERSION

__version__ = VERSION


def create_app(settings: Settings | None = None) -> Flask:
    # Imported here, not above: `hub draw offline` and `hub verify` import the package without the web stack.
    from hub.config import load_settings
    from hub.db import init_db
    from hub.flask_app import HubFlask

    settings = settings or load_settings()
    sec = settings.security
    app = HubFlask(__name__, template_folder="web/templates", static_folder="web/static")
    app.config.update(
        SECRET_KEY=settings.secret_key.reveal(),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=sec.secure_cookies,
        JSON_AS_ASCII=False,
        MAX_CONTENT_LENGTH=max(sec.max_upload_bytes, sec.max_json_bytes),
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # the default provider has it; app.json is typed as the base class
    app.extensions["hub_settings"] = settings
    app.extensions["hub_db"] = init_db(settings.database_url)
    from hub.auth.limits import make_limiter

    app.extensions["hub_limiter"] = make_limiter(settings.broker_url)
    from hub.worker import celery_init_app

    celery_init_app(app, settings)
    from hub.api import bp as api_bp
    from hub.api import register_api
    from hub.api.bounds import register_bounds
    from hub.failures import register_failures
    from hub.web import csrf, register_web
    from hub.web.headers import register_headers

    register_bounds(app)
    register_headers(app)
    register_web(app)
    register_api(app)
    csrf.exempt(api_bp)  # bearer tokens, not cookies: no cross-site forgery to guard against
    register_failures(app)
    # outermost, so that the layers inside (the public pages' cache, hub.web.caching, then Flask) see the
    # client's address and scheme as the proxies in front report them (rate limits, HSTS, cache keys)
    if sec.proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=sec.proxies, x_proto=sec.proxies)  # type: ignore[method-assign]
    logging.getLogger("hub").setLevel(logging.INFO)
    return app
