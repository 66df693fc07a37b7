"""The overview: sources and their last runs, quarantine, roster counts."""
from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select

from hub import appctx
from hub.auth.access import public, requires
from hub.reports.rosters import entity_counts, inspector_counts, totals
from hub.rosters.models import QuarantineRecord
from hub.rosters.sync import last_runs

bp = Blueprint("overview", __name__)


@bp.route("/")
@public
def index():  # type: ignore[no-untyped-def]
    settings = appctx.settings()
    with appctx.database().unit_of_work() as s:
        runs = last_runs(s, 50)
        latest = {}
        for run in runs:
            latest.setdefault(run.source, run)
        return render_template("overview.html", sources=settings.sources, sinks=settings.sinks,
                               latest=latest, runs=runs[:15], totals=totals(s),
                               entity_counts=entity_counts(s), inspector_counts=inspector_counts(s))


@bp.route("/quarantine")
@requires("coordinator", "liaison", "auditor")
def quarantine():  # type: ignore[no-untyped-def]
    with appctx.database().unit_of_work() as s:
        rows = list(s.scalars(select(QuarantineRecord).order_by(QuarantineRecord.received_at.desc())
                              .limit(500)))
        return render_template("quarantine.html", rows=rows)
