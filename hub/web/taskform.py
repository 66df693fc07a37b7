"""A joint task in the browser: a form that builds the same spec as the TOML task file, a live count of
the population, the strata, quotas and feasibility previewed before saving, and the TOML file imported
and exported. A task started from a plan entry inherits the entry (hub.plans.services)."""

from __future__ import annotations

import tomllib
from typing import Any

from flask import Blueprint, Response, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from hub import appctx
from hub.agencies import AUTHORITY_NAMES
from hub.auth.access import current_principal, requires
from hub.errors import HubError, InvalidInput
from hub.items.services import published_items
from hub.plans import services as plans
from hub.plans.entries import task_spec_from_entry
from hub.plans.queries import entry_of
from hub.plans.services import entry_spec
from hub.results.history import RESULTS_HISTORY
from hub.tasks import services as lifecycle
from hub.tasks.form import TEAM_ROWS, explain, form_values, spec_from_form, split_list, to_toml
from hub.tasks.queries import get_task, population_count
from hub.tasks.spec import STRATUM_KEYS, parse_task_spec

bp = Blueprint("taskform", __name__, url_prefix="/tasks")
MAX_IMPORT = 256 * 1024


def _entry_defaults(entry_id: str) -> dict[str, Any]:
    plan, entry = entry_of(appctx.database(), entry_id)
    return task_spec_from_entry(plan.year, plan.lead, entry_spec(entry, plan.lead))


def _page(
    values: dict[str, Any],
    *,
    entry: str = "",
    errors: tuple[str, ...] | list[str] = (),
    preview: dict | None = None,
    status: int = 200,
) -> tuple[str, int]:
    return (
        render_template(
            "task_form.html",
            v=values,
            entry=entry,
            errors=list(errors),
            preview=preview,
            agencies=AUTHORITY_NAMES,
            items=published_items(appctx.database()),
            stratum_keys=STRATUM_KEYS,
            team_rows=TEAM_ROWS,
        ),
        status,
    )


@bp.route("/new")
@requires("coordinator")
def new():
    entry = request.args.get("entry", "")
    principal = current_principal()
    try:
        spec = _entry_defaults(entry) if entry else {"lead": principal.agency if principal else ""}
    except HubError as exc:
        return _page(form_values({}), errors=[str(exc)], status=404)
    return _page(form_values(spec), entry=entry)


@bp.route("/new", methods=["POST"])
@requires("coordinator")
def submit():
    entry = request.form.get("entry", "")
    action = request.form.get("action", "preview")
    spec = spec_from_form(request.form)
    values = form_values(spec)
    try:
        parse_task_spec(spec, "任务表单")
        if entry:  # the entry's part is checked before anything else: a task of the plan inspects what it says
            _check_against_entry(entry, spec)
        if action == "export":
            return Response(
                to_toml(spec),
                mimetype="application/toml",
                headers={"Content-Disposition": f'attachment; filename="{spec.get("id") or "joint-task"}.toml"'},
            )
        if action == "save":
            who = current_principal()
            assert who is not None
            if entry:
                task = plans.task_from_entry(appctx.database(), appctx.settings(), who, entry, spec)
            else:
                task = lifecycle.create_task(appctx.database(), appctx.settings(), spec, who.name)
            return redirect(url_for("tasks.detail", task_id=task.id))
        report = lifecycle.preview(appctx.database(), spec, history=RESULTS_HISTORY)
    except InvalidInput as exc:
        return _page(values, entry=entry, errors=[explain(exc)], status=400)
    except HubError as exc:
        return _page(values, entry=entry, errors=[str(exc)], status=exc.http_status)
    return _page(values, entry=entry, preview=report)


def _check_against_entry(entry_id: str, spec: dict[str, Any]) -> None:
    plan, entry = entry_of(appctx.database(), entry_id)
    task_spec_from_entry(plan.year, plan.lead, entry_spec(entry, plan.lead), spec)


@bp.route("/new/import", methods=["POST"])
@requires("coordinator")
def import_file():
    """Fill the form from a TOML task file (nothing is saved until the form is)."""
    entry = request.form.get("entry", "")
    upload = request.files.get("task_file")
    if upload is None or not upload.filename:
        return _page(form_values({}), entry=entry, errors=[_("请选择一个 TOML 任务文件")], status=400)
    raw = upload.stream.read(MAX_IMPORT + 1)
    if len(raw) > MAX_IMPORT:
        return _page(
            form_values({}),
            entry=entry,
            errors=[_("%(file)s：文件过大（至多 256 KB）", file=upload.filename)],
            status=400,
        )
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return _page(
            form_values({}),
            entry=entry,
            errors=[_("%(file)s：不是有效的 TOML（%(error)s）", file=upload.filename, error=exc)],
            status=400,
        )
    for key in ("window",):  # TOML dates become strings in the form
        if isinstance(data.get(key), list):
            data[key] = [str(d) for d in data[key]]
    errors = []
    try:
        parse_task_spec(data, upload.filename)
    except InvalidInput as exc:
        errors.append(explain(exc))
    return _page(form_values(data), entry=entry, errors=errors)


@bp.route("/new/count")
@requires("coordinator")
def count():
    """The live count: active entities of the categories (and districts) typed so far."""
    categories, districts = (
        split_list(request.args.get("categories", "")),
        split_list(request.args.get("districts", "")),
    )
    return jsonify(population_count(appctx.database(), categories, districts or None))


@bp.route("/<task_id>/task.toml")
@requires("coordinator", "auditor")
def export(task_id: str):
    """A saved task as its TOML task file (`hub task create` takes it, with another id)."""
    task = get_task(appctx.database(), task_id)
    return Response(
        to_toml(task.spec),
        mimetype="application/toml",
        headers={"Content-Disposition": f'attachment; filename="{task_id}.toml"'},
    )
