"""Pages for people: one blueprint per area; CSRF on every form."""
from __future__ import annotations

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFProtect

from hub.errors import HubError

csrf = CSRFProtect()


def register_web(app: Flask) -> None:
    from hub.web import auth, overview, public

    csrf.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(overview.bp)
    app.register_blueprint(public.bp)
    _register_optional(app)

    @app.errorhandler(HubError)
    def _hub_error(exc: HubError):  # type: ignore[no-untyped-def]
        if request.path.startswith("/api/"):
            from hub.api.problems import problem

            return problem(exc)
        return render_template("error.html", error=exc), exc.http_status

    @app.context_processor
    def _principal():  # type: ignore[no-untyped-def]
        from flask import current_app

        from hub.auth.access import current_principal

        return {"principal": current_principal(),
                "has_endpoint": lambda ep: ep in current_app.view_functions}


def _register_optional(app: Flask) -> None:
    """Areas that arrive with later flows register here when present."""
    import importlib

    for module in ("hub.web.tasks", "hub.web.results"):
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        app.register_blueprint(mod.bp)
