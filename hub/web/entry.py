"""Results entry for people: an inspector's (or liaison's) assignments, the entry form of one
(task, entity, agency) — items as a checklist, outcomes, date, team and substitute, findings, the
follow-up code 8 needs — saved as a draft or submitted, and a liaison's CSV upload.

Who may enter what is the results service's rule (hub.results.access); this module only renders.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from hub import appctx
from hub.agencies import AUTHORITY_NAMES
from hub.auth.access import current_principal, requires
from hub.auth.principal import Principal
from hub.display import N_
from hub.errors import HubError, InvalidInput
from hub.results import services as results
from hub.results.worklists import entry_form, my_assignments
from vocabulary.outcomes import TEXTS

bp = Blueprint("entry", __name__, url_prefix="/results/entry")

ENTERERS = ("coordinator", "liaison", "inspector")
FOLLOW_UP_NAMES = {"correction": N_("责令整改"), "case": N_("立案处罚"), "transfer": N_("线索移送")}


def _principal() -> Principal:
    p = current_principal()
    assert p is not None  # @requires let the request in
    return p


@bp.route("/")
@requires(*ENTERERS)
def index():
    page = my_assignments(appctx.database(), _principal(), request.args.get("cursor"))
    return render_template("entry_list.html", page=page)


def form_data(form: MultiDict[str, str], amends: str | None) -> dict[str, Any]:
    """The service's input from the posted form (the service checks every value)."""
    inspectors = form.getlist("inspectors")
    substitute = (form.get("substitute") or "").strip()
    if substitute:
        inspectors.append(substitute)
    data: dict[str, Any] = {
        "entity_id": form.get("entity_id", ""),
        "agency": form.get("agency", ""),
        "inspected_on": form.get("inspected_on", ""),
        "outcome_codes": form.getlist("outcome_codes"),
        "inspectors": inspectors,
        "items": form.getlist("items"),
        "findings": (form.get("findings") or "").strip(),
        "substitution_reason": (form.get("substitution_reason") or "").strip(),
        "draft": form.get("action") == "draft",
    }
    if len(data["findings"]) > 4000:
        raise InvalidInput(_("检查发现至多 4000 字"), where="findings")
    if amends:
        data["amends"] = amends
    kind = form.get("follow_up_kind") or ""
    if kind:
        data["follow_ups"] = [
            {
                "kind": kind,
                "due_on": form.get("follow_up_due_on") or None,
                "penalty_no": (form.get("follow_up_penalty_no") or "").strip() or None,
                "to_agency": form.get("follow_up_to_agency") or None,
                "content": (form.get("follow_up_content") or "").strip(),
            }
        ]
        if form.get("follow_up_keep") == "1":
            data["add_follow_up"] = data.pop("follow_ups")[0]
    elif form.get("follow_up_keep") != "1":
        data["follow_ups"] = []
    return data


@bp.route("/<task_id>/<entity_id>/<agency>", methods=["GET", "POST"])
@requires(*ENTERERS)
def edit(task_id: str, entity_id: str, agency: str):
    db, principal = appctx.database(), _principal()
    facts = entry_form(db, principal, task_id, entity_id, agency)
    error = None
    posted: MultiDict[str, str] | None = None
    amending = facts.frozen or bool(facts.result and facts.result.amends)
    if request.method == "POST":
        posted = request.form
        amends = None
        if facts.frozen and facts.result is not None:
            amends = facts.result.result_id
        elif facts.result is not None and facts.result.amends:
            amends = facts.result.amends
        try:
            data = form_data(request.form, amends)
            added = data.pop("add_follow_up", None)
            saved = results.enter_result(db, task_id, data, principal)
            if added is not None:  # the kept follow-ups stay; the new one is added beside them
                results.add_follow_up(db, saved.result_id, added, principal)
            flash(_("已保存为草稿。") if saved.state == "draft" else _("已提交审核。"))
            return redirect(url_for(".edit", task_id=task_id, entity_id=entity_id, agency=agency))
        except HubError as exc:
            error = exc
    return render_template(
        "entry_form.html",
        f=facts,
        posted=posted,
        error=error,
        outcomes=TEXTS,
        follow_up_names=FOLLOW_UP_NAMES,
        amending=amending,
        today=date.today(),
        agencies={a: n for a, n in AUTHORITY_NAMES.items() if a != agency},
    )


@bp.route("/<task_id>/import", methods=["GET", "POST"])
@requires("coordinator", "liaison")
def upload(task_id: str):
    """A liaison's CSV of results (product.md columns); the report names each refused line."""
    report = None
    error = None
    if request.method == "POST":
        file = request.files.get("file")
        if file is None or not file.filename:
            error = _("请选择 CSV 文件。")
        else:
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "results.csv"
                file.save(path)
                try:
                    report = results.import_csv(appctx.database(), task_id, path, _principal())
                except HubError as exc:
                    error = str(exc)
    return render_template("entry_import.html", task_id=task_id, report=report, error=error)
