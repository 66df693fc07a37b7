"""The overview: sources and their last runs, quarantine, roster counts."""

from __future__ import annotations

from flask import Blueprint, render_template

from hub import appctx
from hub.auth.access import public, requires
from hub.reports.overview import overview
from hub.rosters.queries import quarantined

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
    return render_template("quarantine.html", rows=quarantined(appctx.database(), 500))
