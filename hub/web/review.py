"""Review for people: the reviewer's queue across tasks (filters, keyset pages), approval of one
result or a selection, return with a reason (a confirm page that works without JavaScript), and the
open follow-ups with the forms that end them (复查, 处罚决定, 移送接收).

The results service decides who may review or close what; this module only renders.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from hub import appctx
from hub.auth.access import current_principal, requires
from hub.auth.principal import Principal
from hub.errors import HubError
from hub.results import services as results
from hub.results.worklists import QueueFilter, open_follow_ups, review_queue
from hub.web.entry import FOLLOW_UP_NAMES
from vocabulary.outcomes import TEXTS

bp = Blueprint("review", __name__, url_prefix="/review")


def _principal() -> Principal:
    p = current_principal()
    assert p is not None  # @requires let the request in
    return p


@bp.route("/")
@requires("reviewer")
def index():
    f = QueueFilter(
        request.args.get("task") or None, request.args.get("agency") or None, request.args.get("state") or "entered"
    )
    try:
        page = review_queue(appctx.database(), _principal(), f, request.args.get("cursor"))
    except HubError as exc:
        flash(_("未执行：%(reason)s", reason=exc))
        return redirect(url_for(".index"))
    return render_template("review_queue.html", page=page, f=f, outcomes=TEXTS, kinds=FOLLOW_UP_NAMES)


@bp.route("/approve", methods=["POST"])
@requires("reviewer")
def approve():
    ids = request.form.getlist("result_ids")
    if not ids:
        flash(_("未选择任何结果。"))
        return redirect(url_for(".index"))
    try:
        done = results.approve(appctx.database(), appctx.settings(), None, _principal(), ids)
        flash(_("已审核通过 %(n)s 条结果，已公示并进入推送队列。", n=len(done)))
    except HubError as exc:
        flash(_("未执行：%(reason)s", reason=exc))
    return redirect(url_for(".index"))


@bp.route("/<result_id>/return", methods=["GET", "POST"])
@requires("reviewer")
def return_result(result_id: str):
    """The confirm page of a return: the reason is required, the result goes back to its enterer."""
    error = None
    if request.method == "POST":
        try:
            results.return_result(appctx.database(), result_id, request.form.get("reason", ""), _principal())
            flash(_("已退回，录入人将按退回原因修改。"))
            return redirect(url_for(".index"))
        except HubError as exc:
            error = exc
    return render_template("review_return.html", result_id=result_id, error=error)


@bp.route("/follow-ups")
@requires("coordinator", "reviewer", "auditor", "liaison", "inspector")
def follow_ups():
    overdue = request.args.get("overdue") == "1"
    page = open_follow_ups(appctx.database(), _principal(), date.today(), overdue, request.args.get("cursor"))
    return render_template("follow_ups.html", page=page, overdue=overdue, kinds=FOLLOW_UP_NAMES, today=date.today())


@bp.route("/follow-ups/<result_id>/close", methods=["POST"])
@requires("coordinator", "liaison", "inspector")
def close_follow_up(result_id: str):
    data: dict[str, object] = {k: v for k, v in request.form.items() if k not in ("csrf_token", "follow_up_id") and v}
    chosen = request.form.get("follow_up_id", "")
    if chosen:
        data["follow_up_id"] = int(chosen) if chosen.isdigit() and len(chosen) < 18 else -1
    try:
        results.add_follow_up(appctx.database(), result_id, data, _principal())
        flash(_("已办结。"))
    except HubError as exc:
        flash(_("未执行：%(reason)s", reason=exc))
    return redirect(url_for(".follow_ups"))
