"""API: annual plans (年度抽查计划) — the same services as the pages and `hub plan`."""

from __future__ import annotations

from flask import jsonify, request

from hub import appctx
from hub.api import bp, json_body
from hub.auth.access import current_principal, requires
from hub.auth.principal import Principal
from hub.errors import InvalidInput
from hub.plans import services
from hub.plans.queries import list_plans, plan_json, plan_view
from hub.plans.states import READERS


def _caller() -> Principal:
    p = current_principal()
    assert p is not None  # @requires let the request through
    return p


@bp.get("/plans")
@requires(*READERS)
def plans_list():
    """Annual plans the caller may read (?year= filters), each with its number of entries."""
    year = request.args.get("year", type=int)
    return jsonify([{**plan_json(p), "entries": n} for p, n in list_plans(appctx.database(), _caller(), year)])


@bp.post("/plans")
@requires("coordinator")
def plans_create():
    """A draft plan: {"lead", "year", "title", "entries": [{title, agencies, items, population, ratio, months}]}."""
    body = json_body()
    entries = body.get("entries") or []
    if not isinstance(entries, list):
        raise InvalidInput("entries 须为数组", where="entries")
    plan_id = services.create_plan(
        appctx.database(), _caller(), str(body.get("lead", "")), body.get("year"), str(body.get("title", "")), entries
    )
    return jsonify({"plan_id": plan_id, "state": "draft"}), 201


@bp.get("/plans/<plan_id>")
@requires(*READERS)
def plans_get(plan_id: str):
    """One plan, each entry with the tasks started from it and their progress."""
    return jsonify(plan_view(appctx.database(), _caller(), plan_id).as_json())


@bp.post("/plans/<plan_id>/entries")
@requires("coordinator")
def plans_add_entry(plan_id: str):
    """Add an entry to a draft plan."""
    entry_id = services.add_entry(appctx.database(), _caller(), plan_id, json_body())
    return jsonify({"plan_id": plan_id, "entry_id": entry_id}), 201


@bp.put("/plan-entries/<entry_id>")
@requires("coordinator")
def plans_update_entry(entry_id: str):
    """Replace an entry of a draft plan."""
    services.update_entry(appctx.database(), _caller(), entry_id, json_body())
    return jsonify({"entry_id": entry_id, "updated": True})


@bp.delete("/plan-entries/<entry_id>")
@requires("coordinator")
def plans_remove_entry(entry_id: str):
    """Remove an entry of a draft plan (refused once a task was started from it)."""
    services.remove_entry(appctx.database(), _caller(), entry_id)
    return jsonify({"entry_id": entry_id, "removed": True})


@bp.post("/plans/<plan_id>/approve")
@requires("reviewer")
def plans_approve(plan_id: str):
    """Approve a draft plan (a reviewer other than its last editor)."""
    services.approve(appctx.database(), _caller(), plan_id)
    return jsonify({"plan_id": plan_id, "state": "approved"})


@bp.post("/plans/<plan_id>/return")
@requires("reviewer")
def plans_return(plan_id: str):
    """Return a plan to draft: {"reason"}."""
    services.return_plan(appctx.database(), _caller(), plan_id, str(json_body().get("reason", "")))
    return jsonify({"plan_id": plan_id, "state": "draft"})


@bp.post("/plans/<plan_id>/revise")
@requires("coordinator")
def plans_revise(plan_id: str):
    """Take an approved or filed plan back to draft to change it."""
    services.revise(appctx.database(), _caller(), plan_id)
    return jsonify({"plan_id": plan_id, "state": "draft"})


@bp.post("/plans/<plan_id>/file")
@requires("coordinator")
def plans_file(plan_id: str):
    """File an approved plan upward (a `plan` message to the provincial platform, through the outbox)."""
    queued = services.file_plan(appctx.database(), appctx.settings(), _caller(), plan_id)
    return jsonify({"plan_id": plan_id, "state": "filed", "queued": queued})


@bp.post("/plan-entries/<entry_id>/tasks")
@requires("coordinator")
def plans_task(entry_id: str):
    """Create a joint task from an entry; the body (task-file keys) sets what the entry leaves open."""
    body = request.get_json(silent=True) or {}
    task = services.task_from_entry(appctx.database(), appctx.settings(), _caller(), entry_id, body)
    return jsonify({"task_id": task.id, "entry_id": entry_id, "state": task.state}), 201
