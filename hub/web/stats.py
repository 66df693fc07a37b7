"""The statistics dashboard: every figure as a server-side SVG chart with its table, each table
downloadable as CSV and Excel; the figures come from hub.results.stats, like ``GET /api/v1/stats``."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext as _
from markupsafe import Markup

from hub import appctx
from hub.auth.access import current_principal, requires
from hub.auth.principal import Principal
from hub.display import category
from hub.plans.coverage import PLAN_RATIOS
from hub.results.figures import Figure
from hub.results.stats import Dashboard, parse_filter, stats_for
from hub.results.stats_files import figure_csv, figure_xlsx
from hub.web.charts import Bar, hbar

bp = Blueprint("stats", __name__, url_prefix="/stats")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _principal() -> Principal:
    p = current_principal()
    assert p is not None  # @requires let the request in
    return p


def _board() -> Dashboard:
    return stats_for(appctx.database(), _principal(), parse_filter(request.args), date.today(), PLAN_RATIOS)


def chart(f: Figure) -> str:
    """The SVG of one figure (which columns make its bars is the chart's only knowledge of it)."""
    col = f.column
    f = replace(f, title=_(f.title))
    if f.name == "tasks":
        return hbar(f.title, [Bar(_(n), (v,)) for n, v in zip(col("name"), col("tasks"), strict=True)])
    if f.name == "completion":
        return hbar(f.title, [Bar(_("完成率"), (r or 0.0,)) for r in col("completion_rate")], percent=True)
    if f.name == "outcomes":
        bars = [Bar(f"{c} {n}"[:16], (v,)) for c, n, v in zip(col("code"), col("name"), col("results"), strict=True)]
        return hbar(f.title, bars)
    if f.name == "problems":
        return hbar(
            f.title,
            [Bar(category(c), (r or 0.0,)) for c, r in zip(col("category"), col("problem_rate"), strict=True)],
            percent=True,
        )
    if f.name == "follow_ups":
        bars = [
            Bar(_(n), (o - d, d, c))
            for n, o, c, d in zip(col("name"), col("open"), col("closed"), col("overdue"), strict=True)
        ]
        return hbar(f.title, bars, (_("未办结"), _("逾期"), _("已办结")))
    if f.name == "publication":
        return hbar(
            f.title,
            [Bar(_(n), (r or 0.0,)) for n, r in zip(col("name"), col("on_time_rate"), strict=True)],
            percent=True,
        )
    if f.name == "deliveries":
        bars = [
            Bar(s, (d, p, r))
            for s, d, p, r in zip(col("sink"), col("delivered"), col("pending"), col("rejected"), strict=True)
        ]
        return hbar(f.title, bars, (_("已送达"), _("待发"), _("被拒")))
    if f.name == "coverage":
        bars = [
            Bar(category(c), (r or 0.0,), p)
            for c, r, p in zip(col("category"), col("coverage"), col("plan_ratio"), strict=True)
        ]
        return hbar(f.title, bars, (_("覆盖率"),), percent=True, marker_name=_("计划比例"))
    return hbar(f.title, [])


@bp.route("/")
@requires("coordinator", "reviewer", "auditor", "liaison")
def index():
    board = _board()
    charts = {name: Markup(chart(f)) for name, f in board.figures.items()}  # built by hbar, every text escaped
    return render_template("stats.html", board=board, charts=charts, args=request.args.to_dict())


@bp.route("/<name>.<fmt>")
@requires("coordinator", "reviewer", "auditor", "liaison")
def download(name: str, fmt: str):
    board = _board()
    figure = board.figures.get(name)
    if figure is None or fmt not in ("csv", "xlsx"):
        abort(404)
    filename = f"stats-{name}.{fmt}"
    if fmt == "csv":
        body, mimetype = figure_csv(figure), "text/csv; charset=utf-8"
    else:
        body, mimetype = figure_xlsx(figure, board.filters), XLSX
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})
