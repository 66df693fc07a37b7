"""Pages for people: one blueprint per area; CSRF on every form; Chinese first (hub/web/i18n.py),
names for codes (hub/web/filters.py), one navigation table (hub/web/nav.py)."""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()


def register_web(app: Flask) -> None:
    from hub.web import (
        admin,
        auth,
        documents,
        entities,
        entry,
        outbox,
        overview,
        plans,
        portal,
        public,
        results,
        review,
        stats,
        taskform,
        tasks,
    )
    from hub.web.caching import register_public_cache
    from hub.web.filters import register_filters
    from hub.web.i18n import register_i18n

    csrf.init_app(app)
    register_i18n(app)
    register_filters(app)
    areas = (auth, overview, public, portal, plans, taskform, tasks, results, entry, review, stats, documents)
    for area in (*areas, entities, outbox, admin):
        app.register_blueprint(area.bp)
    register_public_cache(app, public.bp.name, portal.bp.name)  # public pages only: never a signed-in one

    @app.context_processor
    def _principal():
        from flask import current_app

        from hub.auth.access import current_principal
        from hub.web.nav import can_open, visible_entries

        principal = current_principal()
        return {
            "principal": principal,
            "has_endpoint": lambda ep: ep in current_app.view_functions,
            "nav_entries": visible_entries(principal),
            "can_open": lambda endpoint: can_open(endpoint, principal),
        }
