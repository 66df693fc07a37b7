"""Joint tasks for staff: the list, one task's lifecycle and assignments, and the coordinator's
freeze / draw / void forms.

Assignments exist only after the draw, and each person sees only their share: coordinators,
auditors and admins all rows, a liaison their agency's, an inspector the teams they are on.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from kombu.exceptions import OperationalError
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from hub import appctx
from hub.auth.access import Principal, current_principal, requires
from hub.draw.models import Assignment, AssignmentInspector
from hub.errors import HubError, NotFound
from hub.rosters.models import Entity, Inspector
from hub.tasks import services as lifecycle
from hub.tasks.models import JointTask, TaskParty

bp = Blueprint("tasks", __name__, url_prefix="/tasks")

STAFF = ("coordinator", "auditor", "liaison", "inspector")


@bp.route("/")
@requires(*STAFF)
def index():  # type: ignore[no-untyped-def]
    with appctx.database().unit_of_work() as s:
        tasks = list(s.scalars(select(JointTask).order_by(JointTask.created_at.desc())))
        return render_template("tasks.html", tasks=tasks)


@bp.route("/<task_id>")
@requires(*STAFF)
def detail(task_id: str):  # type: ignore[no-untyped-def]
    principal = _principal()
    with appctx.database().unit_of_work() as s:
        task = s.get(JointTask, task_id)
        if task is None:
            raise NotFound(f"no joint task {task_id!r}", where="task")
        parties = list(s.scalars(select(TaskParty).where(TaskParty.task_id == task_id)
                                 .order_by(TaskParty.party)))
        rows = visible_assignments(s, task_id, principal)
        entities = {e.entity_id: e for e in s.scalars(select(Entity).where(
            Entity.entity_id.in_([a.entity_id for a in rows])))} if rows else {}
        team_ids = {i for a in rows for i in a.team}
        inspectors = {i.inspector_id: i for i in s.scalars(select(Inspector).where(
            Inspector.inspector_id.in_(team_ids)))} if team_ids else {}
        own = [p.party for p in parties if p.account == principal.name
               or (p.party in task.agencies and p.party == principal.agency and "liaison" in principal.roles)]
        return render_template("task_detail.html", task=task, parties=parties, assignments=rows,
                               entities=entities, inspectors=inspectors,
                               sees_all=principal.has("coordinator", "auditor"),
                               may_act=principal.has("coordinator"), own_parties=own)


def visible_assignments(s: Session, task_id: str, principal: Principal) -> list[Assignment]:
    """The drawn rows this person may see, in draw order."""
    q = select(Assignment).where(Assignment.task_id == task_id).order_by(Assignment.position)
    if not principal.has("coordinator", "auditor"):
        mine = []
        if "liaison" in principal.roles and principal.agency:
            mine.append(AssignmentInspector.agency == principal.agency)
        if "inspector" in principal.roles and principal.inspector_id:
            mine.append(AssignmentInspector.inspector_id == principal.inspector_id)
        if not mine:
            return []
        q = q.where(Assignment.entity_id.in_(select(AssignmentInspector.entity_id).where(
            AssignmentInspector.task_id == task_id, or_(*mine))))
    return list(s.scalars(q))


@bp.route("/<task_id>/freeze", methods=["POST"])
@requires("coordinator")
def freeze(task_id: str):  # type: ignore[no-untyped-def]
    def act() -> str:
        task = lifecycle.freeze(appctx.database(), appctx.settings(), task_id, _principal().name)
        return f"Frozen 已冻结: {task.roster_size} entities in the roster, {task.pool_size} inspectors in the pool."

    return _act(task_id, act)


@bp.route("/<task_id>/draw", methods=["POST"])
@requires("coordinator")
def draw(task_id: str):  # type: ignore[no-untyped-def]
    from hub.draw.jobs import draw_task

    def act() -> str:
        actor = _principal().name
        lifecycle.request_draw(appctx.database(), task_id, request.form.get("entropy", ""), actor)
        try:
            outcome = draw_task.delay(task_id, actor)
        except OperationalError as exc:
            # The queue is unreachable: mark the draw failed so that it can be requested again.
            lifecycle.mark_draw_unqueued(appctx.database(), task_id, f"the worker queue is unreachable: {exc}",
                                         actor)
            raise HubError("the draw could not be queued (worker queue unreachable); try again") from exc
        if appctx.settings().embedded and isinstance(outcome.result, dict):
            return f"Drawn 已抽取: seed {outcome.result.get('seed', '')}."
        return "The draw is queued 已排队; this page shows its progress."

    return _act(task_id, act)


@bp.route("/<task_id>/commit", methods=["POST"])
@requires(*STAFF)
def commit(task_id: str):  # type: ignore[no-untyped-def]
    """A party's commitment, entered by the party itself (the service refuses anyone else)."""
    def act() -> str:
        party = request.form.get("party", "")
        lifecycle.commit(appctx.database(), task_id, party, request.form.get("commitment", "").strip(),
                         _principal().name)
        return f"{party} committed 已承诺."

    return _act(task_id, act)


@bp.route("/<task_id>/reveal", methods=["POST"])
@requires(*STAFF)
def reveal(task_id: str):  # type: ignore[no-untyped-def]
    """A party's secret, revealed by the party itself after the freeze."""
    def act() -> str:
        party = request.form.get("party", "")
        lifecycle.reveal(appctx.database(), task_id, party, request.form.get("secret_hex", ""), _principal().name)
        return f"{party} revealed 已揭示."

    return _act(task_id, act)


@bp.route("/<task_id>/void", methods=["POST"])
@requires("coordinator")
def void(task_id: str):  # type: ignore[no-untyped-def]
    def act() -> str:
        lifecycle.void(appctx.database(), task_id, request.form.get("reason", ""), _principal().name)
        return f"Task {task_id} is void 已作废."

    return _act(task_id, act)


def _act(task_id: str, action: Callable[[], str]) -> Any:
    """Run a lifecycle step; a refusal is shown on the task page, never as an error page."""
    try:
        flash(action())
    except HubError as exc:
        flash(f"Refused 未执行 — {exc}")
    return redirect(url_for(".detail", task_id=task_id))


def _principal() -> Principal:
    principal = current_principal()
    assert principal is not None  # @requires let the request through
    return principal
