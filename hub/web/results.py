"""Results for staff: per task with state and deadline status, approval by a reviewer, and the
outbox (what must still reach the provincial platform and the credit system)."""
from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from hub import appctx
from hub.auth.access import current_principal, requires
from hub.errors import HubError, InvalidInput
from hub.outbox.delivery import requeue_rejected
from hub.outbox.models import OutboxMessage
from hub.results.access import Caller
from hub.results.deadlines import open_deadlines
from hub.results.models import Result
from hub.results.services import approve
from hub.results.visibility import outbox_filter, result_filter
from hub.tasks.models import JointTask

bp = Blueprint("results", __name__, url_prefix="/results")

OUTBOX_STATES = ("pending", "delivered", "rejected")
OUTBOX_SHOWN = 1000  # the newest messages; `hub export` and the API page through the rest


@bp.route("/")
@requires("coordinator", "reviewer", "auditor", "liaison")
def index():  # type: ignore[no-untyped-def]
    state = request.args.get("state", "")
    if state and state not in OUTBOX_STATES:
        raise InvalidInput(f"{state!r} is not one of {', '.join(OUTBOX_STATES)}", where="state")
    principal = current_principal()
    assert principal is not None
    caller = Caller.of(principal)
    seen_results, seen_messages = result_filter(caller), outbox_filter(caller)  # a liaison: their agency's
    deadlines = open_deadlines(appctx.database(), date.today(), caller=caller)
    status = {d["subject"]: d for d in deadlines if d["kind"] == "result"}
    with appctx.database().unit_of_work() as s:
        titles = dict(s.execute(select(JointTask.id, JointTask.title)).all())
        by_task: dict[str, list[dict[str, Any]]] = {}
        rows = select(Result).order_by(Result.task_id, Result.entity_id, Result.agency)
        for r in s.scalars(rows if seen_results is None else rows.where(seen_results)):
            by_task.setdefault(r.task_id, []).append(
                {"r": r, "deadline": status.get(_deadline_subject(r))})
        entered = {t: sum(1 for row in rows if row["r"].state == "entered") for t, rows in by_task.items()}
        counted = select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
        q = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(OUTBOX_SHOWN)
        if seen_messages is not None:
            counted, q = counted.where(seen_messages), q.where(seen_messages)
        counts = Counter(dict(s.execute(counted).all()))
        if state:
            q = q.where(OutboxMessage.state == state)
        messages = list(s.scalars(q))
        return render_template("results.html", by_task=by_task, titles=titles, entered=entered,
                               deadlines=deadlines, messages=messages, counts=counts, state=state,
                               states=OUTBOX_STATES, shown=OUTBOX_SHOWN,
                               may_approve=principal.has("reviewer"),
                               may_requeue=principal.has("coordinator"))


def _deadline_subject(r: Result) -> str:
    # open_deadlines names a result by this subject only (no result_id); keep the two in step.
    return f"{r.task_id} {r.entity_id} {r.agency} ({r.state})"


@bp.route("/tasks/<task_id>/approve", methods=["POST"])
@requires("reviewer")
def approve_task(task_id: str):  # type: ignore[no-untyped-def]
    principal = current_principal()
    assert principal is not None
    try:
        approved = approve(appctx.database(), appctx.settings(), task_id, principal)
        flash(f"Approved 已审核: {len(approved)} results of {task_id}; they are published and queued.")
    except HubError as exc:
        flash(f"Refused 未执行 — {exc}")
    return redirect(url_for(".index"))


@bp.route("/outbox/requeue", methods=["POST"])
@requires("coordinator")
def requeue():  # type: ignore[no-untyped-def]
    principal = current_principal()
    n = requeue_rejected(appctx.database(), actor=principal.name if principal else "web")
    flash(f"Requeued 已重新排队: {n} rejected messages will be sent again.")
    return redirect(url_for(".index", state="pending"))
