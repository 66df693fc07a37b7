"""The overview: sources and their last runs, quarantine, roster counts."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from hub import appctx
from hub.auth.access import current_principal, public, requires
from hub.reports.overview import overview
from hub.rosters.queries import quarantine_page, roster_sources
from hub.web.pageargs import page_args

bp = Blueprint("overview", __name__)


@bp.route("/")
@public
def index():
    settings = appctx.settings()
    o = overview(appctx.database())
    return render_template(
        "overview.html",
        sources=settings.sources,
        sinks=settings.sinks,
        latest=o.latest,
        runs=o.runs[:15],
        totals=o.totals,
        entity_counts=o.entity_counts,
        inspector_counts=o.inspector_counts,
    )


@bp.route("/quarantine")
@requires("coordinator", "liaison", "auditor")
def quarantine():
    principal = current_principal()
    assert principal is not None
    cursor, limit = page_args((int,))
    source, search = request.args.get("source", ""), request.args.get("q", "").strip()
    db = appctx.database()
    rows = quarantine_page(db, principal, source, search, cursor, limit)
    return render_template("quarantine.html", rows=rows, source=source, q=search, sources=roster_sources(db))
