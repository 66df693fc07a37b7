"""Joint tasks for staff: the list, one task's lifecycle and assignments, and the coordinator's
freeze / draw / void forms.

Assignments exist only after the draw, and each person sees only their share; the rule lives
once, in hub.draw.queries, and the API asks the same function.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from kombu.exceptions import OperationalError

from hub import appctx, display
from hub.auth.access import current_principal, requires
from hub.auth.principal import Principal
from hub.draw.queries import ASSIGNMENT_READERS, assignments_for, sees_every_assignment
from hub.errors import HubError, InvalidInput
from hub.results.history import RESULTS_HISTORY
from hub.tasks import services as lifecycle
from hub.tasks.queries import get_task, parties_of, task_page, task_parties, task_steps
from hub.tasks.states import TaskState
from hub.web.pageargs import page_args

bp = Blueprint("tasks", __name__, url_prefix="/tasks")


@bp.route("/")
@requires(*ASSIGNMENT_READERS)
def index():
    cursor, limit = page_args((str,))
    state, search = request.args.get("state", ""), request.args.get("q", "")
    page = task_page(appctx.database(), state, search, cursor, limit)
    return render_template("tasks.html", tasks=page, state=state, q=search, states=tuple(TaskState))


@bp.route("/<task_id>")
@requires(*ASSIGNMENT_READERS)
def detail(task_id: str):
    principal = _principal()
    db = appctx.database()
    task = get_task(db, task_id)
    view = assignments_for(db, task_id, principal, with_names=True)
    parties = task_parties(db, task_id)
    return render_template(
        "task_detail.html",
        task=task,
        parties=parties,
        assignments=view.rows,
        entities=view.entities,
        inspectors=view.inspectors,
        sees_all=sees_every_assignment(principal),
        may_act=principal.has("coordinator"),
        own_parties=parties_of(task, parties, principal),
        steps=task_steps(db, task_id),
    )


#: Actions that cannot be undone: each goes through a confirm page (no JavaScript needed), and its form
#: posts ``confirmed=yes``; a post without it is sent to the confirm page.
CONFIRMED = ("freeze", "draw", "void")


@bp.route("/<task_id>/confirm/<action>")
@requires("coordinator")
def confirm(task_id: str, action: str):
    if action not in CONFIRMED:
        abort(404)
    db = appctx.database()
    task = get_task(db, task_id)
    return render_template(
        "task_confirm.html", task=task, action=action, steps=task_steps(db, task_id), parties=task_parties(db, task_id)
    )


def _unconfirmed(task_id: str, action: str) -> Any:
    """A post without the confirm page's field goes to the confirm page; None once confirmed."""
    if request.form.get("confirmed") == "yes":
        return None
    return redirect(url_for(".confirm", task_id=task_id, action=action))


@bp.route("/<task_id>/status.json")
@requires(*ASSIGNMENT_READERS)
def status(task_id: str):
    """The draw's progress and what each party still has to do, polled by the task page."""
    db = appctx.database()
    task = get_task(db, task_id)
    return jsonify(
        {
            "task_id": task.id,
            "state": task.state,
            "draw_status": task.draw_status or "not_requested",
            "draw_status_name": _(display.state(task.draw_status or "not_requested", "draw")),
            "draw_progress": task.draw_progress or 0,
            "draw_error": task.draw_error,
            "seed": task.seed,
            "steps": [step.__dict__ for step in task_steps(db, task_id)],
        }
    )


@bp.route("/<task_id>/freeze", methods=["POST"])
@requires("coordinator")
def freeze(task_id: str):
    if (to_confirm := _unconfirmed(task_id, "freeze")) is not None:
        return to_confirm

    def act() -> str:
        task = lifecycle.freeze(
            appctx.database(), appctx.settings(), task_id, _principal().name, history=RESULTS_HISTORY
        )
        return _(
            "已冻结：名录中 %(entities)s 个检查对象，%(inspectors)s 名执法检查人员。",
            entities=task.roster_size,
            inspectors=task.pool_size,
        )

    return _act(task_id, act)


@bp.route("/<task_id>/draw", methods=["POST"])
@requires("coordinator")
def draw(task_id: str):
    from hub.draw.jobs import draw_task

    if (to_confirm := _unconfirmed(task_id, "draw")) is not None:
        return to_confirm

    def act() -> str:
        actor = _principal().name
        lifecycle.request_draw(appctx.database(), task_id, request.form.get("entropy", ""), actor)
        try:
            outcome = draw_task.delay(task_id, actor)
        except OperationalError as exc:
            # The queue is unreachable: mark the draw failed so that it can be requested again.
            lifecycle.mark_draw_unqueued(appctx.database(), task_id, f"the worker queue is unreachable: {exc}", actor)
            raise HubError(_("抽取未能排队（任务队列无法连接），请重试")) from exc
        if appctx.settings().embedded and isinstance(outcome.result, dict):
            return _("已抽取：种子 %(seed)s。", seed=outcome.result.get("seed", ""))
        return _("抽取已排队，本页显示其进度。")

    return _act(task_id, act)


@bp.route("/<task_id>/commit", methods=["POST"])
@requires(*ASSIGNMENT_READERS)
def commit(task_id: str):
    """A party's commitment, entered by the party itself (the service refuses anyone else)."""

    def act() -> str:
        party = request.form.get("party", "")
        lifecycle.commit(
            appctx.database(), task_id, party, request.form.get("commitment", "").strip(), _principal().name
        )
        return _("%(party)s 已承诺。", party=display.agency(party))

    return _act(task_id, act)


@bp.route("/<task_id>/reveal", methods=["POST"])
@requires(*ASSIGNMENT_READERS)
def reveal(task_id: str):
    """A party's secret, revealed by the party itself after the freeze."""

    def act() -> str:
        party = request.form.get("party", "")
        lifecycle.reveal(appctx.database(), task_id, party, _revealed_secret(), _principal().name)
        return _("%(party)s 已揭示。", party=display.agency(party))

    return _act(task_id, act)


@bp.route("/<task_id>/void", methods=["POST"])
@requires("coordinator")
def void(task_id: str):
    if (to_confirm := _unconfirmed(task_id, "void")) is not None:
        return to_confirm

    def act() -> str:
        lifecycle.void(appctx.database(), task_id, request.form.get("reason", ""), _principal().name)
        return _("任务 %(task)s 已作废。", task=task_id)

    return _act(task_id, act)


def _revealed_secret() -> str:
    """The secret as the reveal form sends it: the secret file kept at the commit (checked in the
    browser, and here again by the service), or typed in."""
    upload = request.files.get("secret_file")
    if upload is not None and upload.filename:
        raw = upload.stream.read(1024)
        try:
            return raw.decode("ascii").strip()
        except UnicodeDecodeError:
            raise InvalidInput(_("秘密文件不是文本：请选择承诺时下载的文件"), where="secret_file") from None
    return request.form.get("secret_hex", "")


def _act(task_id: str, action: Callable[[], str]) -> Any:
    """Run a lifecycle step; a refusal is shown on the task page, never as an error page."""
    try:
        flash(action())
    except HubError as exc:
        flash(_("未执行：%(reason)s", reason=exc))
    return redirect(url_for(".detail", task_id=task_id))


def _principal() -> Principal:
    principal = current_principal()
    assert principal is not None  # @requires let the request through
    return principal
