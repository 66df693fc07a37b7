"""Pages for people: one blueprint per area; CSRF on every form."""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()


def register_web(app: Flask) -> None:
    from hub.web import auth, documents, overview, plans, public, results, taskform, tasks

    csrf.init_app(app)
    for area in (auth, overview, public, plans, taskform, tasks, results, documents):
        app.register_blueprint(area.bp)

    @app.context_processor
    def _principal():
        from flask import current_app

        from hub.auth.access import current_principal

        return {"principal": current_principal(), "has_endpoint": lambda ep: ep in current_app.view_functions}
