"""Results for staff: per task with state and deadline status, approval by a reviewer, and the
outbox (what must still reach the provincial platform and the credit system)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from hub import appctx
from hub.auth.access import current_principal, requires
from hub.errors import HubError
from hub.outbox.delivery import requeue_rejected
from hub.outbox.queries import MESSAGE_STATES, check_state, counts_by_state, newest_messages
from hub.results.deadlines import open_deadlines
from hub.results.models import Result
from hub.results.queries import entity_names, results_by_task
from hub.results.services import approve
from hub.results.visibility import outbox_filter
from hub.tasks.queries import task_titles

bp = Blueprint("results", __name__, url_prefix="/results")

OUTBOX_SHOWN = 1000  # the newest messages; `hub export` and the API page through the rest


@bp.route("/")
@requires("coordinator", "reviewer", "auditor", "liaison")
def index():
    db = appctx.database()
    state = check_state(request.args.get("state", "")) or ""
    principal = current_principal()
    assert principal is not None
    deadlines = open_deadlines(db, date.today(), caller=principal)
    status = {d["subject"]: d for d in deadlines if d["kind"] == "result"}
    by_task: dict[str, list[dict[str, Any]]] = {
        task_id: [{"r": r, "deadline": status.get(_deadline_subject(r))} for r in rows]
        for task_id, rows in results_by_task(db, principal).items()
    }
    entered = {t: sum(1 for row in rows if row["r"].state == "entered") for t, rows in by_task.items()}
    names = entity_names(db, {row["r"].entity_id for rows in by_task.values() for row in rows})
    seen = outbox_filter(principal)  # a liaison: their agency's results' messages only
    return render_template(
        "results.html",
        by_task=by_task,
        titles=task_titles(db),
        entered=entered,
        names=names,
        deadlines=deadlines,
        messages=newest_messages(db, state, OUTBOX_SHOWN, seen),
        counts=counts_by_state(db, seen),
        state=state,
        states=MESSAGE_STATES,
        shown=OUTBOX_SHOWN,
        may_approve=principal.has("reviewer"),
        may_requeue=principal.has("coordinator"),
    )


def _deadline_subject(r: Result) -> str:
    # open_deadlines names a result by this subject only (no result_id); keep the two in step.
    return f"{r.task_id} {r.entity_id} {r.agency} ({r.state})"


@bp.route("/tasks/<task_id>/approve", methods=["POST"])
@requires("reviewer")
def approve_task(task_id: str):
    principal = current_principal()
    assert principal is not None
    try:
        approved = approve(appctx.database(), appctx.settings(), task_id, principal)
        flash(_("已审核：%(task)s 的 %(n)s 条结果已公示并排队推送。", task=task_id, n=len(approved)))
    except HubError as exc:
        flash(_("未执行：%(reason)s", reason=exc))
    return redirect(url_for(".index"))


@bp.route("/outbox/requeue", methods=["POST"])
@requires("coordinator")
def requeue():
    principal = current_principal()
    n = requeue_rejected(appctx.database(), actor=principal.name if principal else "web")
    flash(_("已重新排队：%(n)s 条被拒收的消息将再次发送。", n=n))
    return redirect(url_for(".index", state="pending"))
