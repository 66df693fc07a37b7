"""Annual plans (年度抽查计划) for staff: the list, one plan with its entries, tasks and progress, and the
forms that draft, approve, return, file and revise it. The rules live in hub.plans.services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from hub import appctx
from hub.agencies import AUTHORITY_NAMES
from hub.auth.access import current_principal, requires
from hub.auth.principal import Principal
from hub.errors import HubError
from hub.items.services import published_items
from hub.plans import services
from hub.plans.queries import list_plans, plan_view
from hub.plans.states import MAY, READERS, PlanAction

bp = Blueprint("plans", __name__, url_prefix="/plans")


def _principal() -> Principal:
    principal = current_principal()
    assert principal is not None  # @requires let the request through
    return principal


@bp.route("/")
@requires(*READERS)
def index():
    principal = _principal()
    return render_template(
        "plans.html",
        plans=list_plans(appctx.database(), principal),
        may_draft=principal.has(*MAY[PlanAction.EDIT]),
        agencies=AUTHORITY_NAMES,
        own_agency=principal.agency,
    )


@bp.route("/", methods=["POST"])
@requires(*MAY[PlanAction.EDIT])
def create():
    form = request.form
    try:
        plan_id = services.create_plan(
            appctx.database(), _principal(), form.get("lead", ""), form.get("year", ""), form.get("title", "")
        )
    except HubError as exc:
        flash(_("未保存 — %(error)s", error=exc))
        return redirect(url_for(".index"))
    flash(_("已新建年度计划 %(plan)s（草稿）", plan=plan_id))
    return redirect(url_for(".detail", plan_id=plan_id))


@bp.route("/<plan_id>")
@requires(*READERS)
def detail(plan_id: str):
    principal = _principal()
    view = plan_view(appctx.database(), principal, plan_id)
    return render_template(
        "plan_detail.html",
        view=view,
        plan=view.plan,
        may={action.value: principal.has(*roles) for action, roles in MAY.items()},
        items=published_items(appctx.database()),
        agencies=AUTHORITY_NAMES,
        months=range(1, 13),
    )


def entry_form(form: Any) -> dict[str, Any]:
    """The entry form's fields as the service takes them: items come as AGENCY:CODE checkboxes."""
    agencies = form.getlist("agencies")
    items: dict[str, list[str]] = {a: [] for a in agencies}
    for value in form.getlist("items"):
        agency, _, code = value.partition(":")
        items.setdefault(agency, []).append(code)
    population: dict[str, Any] = {"categories": form.get("categories", "")}
    if form.get("districts", "").strip():
        population["districts"] = form.get("districts", "")
    return {
        "title": form.get("title", ""),
        "agencies": agencies,
        "items": items,
        "population": population,
        "ratio": form.get("ratio", ""),
        "months": form.getlist("months"),
    }


def _act(plan_id: str, action: Callable[[], str]) -> Any:
    """Run a step; a refusal is shown on the plan page (in Chinese, naming the field), never a 500."""
    try:
        flash(action())
    except HubError as exc:
        flash(_("未执行 — %(error)s", error=exc))
    return redirect(url_for(".detail", plan_id=plan_id))


@bp.route("/<plan_id>/entries", methods=["POST"])
@requires(*MAY[PlanAction.EDIT])
def add_entry(plan_id: str):
    def act() -> str:
        entry_id = services.add_entry(appctx.database(), _principal(), plan_id, entry_form(request.form))
        return _("已添加计划条目 %(entry)s", entry=entry_id)

    return _act(plan_id, act)


@bp.route("/<plan_id>/entries/<entry_id>/remove", methods=["POST"])
@requires(*MAY[PlanAction.EDIT])
def remove_entry(plan_id: str, entry_id: str):
    def act() -> str:
        services.remove_entry(appctx.database(), _principal(), entry_id)
        return _("已删除计划条目 %(entry)s", entry=entry_id)

    return _act(plan_id, act)


@bp.route("/<plan_id>/approve", methods=["POST"])
@requires(*MAY[PlanAction.APPROVE])
def approve(plan_id: str):
    def act() -> str:
        services.approve(appctx.database(), _principal(), plan_id)
        return _("计划 %(plan)s 已批准", plan=plan_id)

    return _act(plan_id, act)


@bp.route("/<plan_id>/return", methods=["POST"])
@requires(*MAY[PlanAction.RETURN])
def return_plan(plan_id: str):
    def act() -> str:
        services.return_plan(appctx.database(), _principal(), plan_id, request.form.get("reason", ""))
        return _("计划 %(plan)s 已退回", plan=plan_id)

    return _act(plan_id, act)


@bp.route("/<plan_id>/file", methods=["POST"])
@requires(*MAY[PlanAction.FILE])
def file(plan_id: str):
    def act() -> str:
        queued = services.file_plan(appctx.database(), appctx.settings(), _principal(), plan_id)
        if queued:
            return _("计划 %(plan)s 已上报省平台：%(n)s 条待发消息", plan=plan_id, n=queued)
        return _("计划 %(plan)s 已上报省平台（内容未变，无需重发）", plan=plan_id)

    return _act(plan_id, act)


@bp.route("/<plan_id>/revise", methods=["POST"])
@requires(*MAY[PlanAction.EDIT])
def revise(plan_id: str):
    def act() -> str:
        services.revise(appctx.database(), _principal(), plan_id)
        return _("计划 %(plan)s 已转为草稿，修改后须重新批准、上报", plan=plan_id)

    return _act(plan_id, act)
