"""Printing a task's documents from the browser: the list of what one may print, one document,
or a batch (per task, agency or inspector) as one PDF. Who may print what is decided by
hub.documents.services for every route here."""

from __future__ import annotations

import re

from flask import Blueprint, Response, render_template, request

from hub import appctx
from hub.agencies import authority_name
from hub.auth.access import Principal, current_principal, requires
from hub.documents import services
from hub.documents.refs import KINDS, TITLES

bp = Blueprint("documents", __name__, url_prefix="/tasks")

STAFF = ("coordinator", "liaison", "inspector")


@bp.route("/<task_id>/documents")
@requires(*STAFF)
def index(task_id: str):
    principal = _principal()
    task, docs = services.listing(appctx.database(), task_id, principal)
    agencies = (
        list(task.agencies)
        if principal.has("coordinator")
        else [principal.agency]
        if "liaison" in principal.roles and principal.agency
        else []
    )
    return render_template(
        "task_documents.html",
        task=task,
        documents=docs,
        titles=TITLES,
        kinds=KINDS,
        agencies=agencies,
        authority_name=authority_name,
        own_inspector=principal.inspector_id if "inspector" in principal.roles else None,
    )


@bp.route("/<task_id>/documents.pdf")
@requires(*STAFF)
def batch(task_id: str):
    kind, agency, inspector = (request.args.get(k) or None for k in ("kind", "agency", "inspector"))
    printed = services.print_documents(
        appctx.database(),
        task_id,
        _principal(),
        base_url=appctx.settings().public_base(request.url_root),
        kind=kind,
        agency=agency,
        inspector=inspector,
    )
    name = "-".join(filter(None, [task_id, kind or "documents", agency, inspector]))
    return _pdf(printed.pdf, name)


@bp.route("/<task_id>/documents/<kind>/<path:subject>.pdf")
@requires(*STAFF)
def one(task_id: str, kind: str, subject: str):
    printed = services.print_document(
        appctx.database(),
        task_id,
        _principal(),
        kind,
        subject,
        base_url=appctx.settings().public_base(request.url_root),
    )
    return _pdf(printed.pdf, f"{task_id}-{kind}-{subject}")


def _pdf(pdf: bytes, name: str) -> Response:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{safe}.pdf"', "Cache-Control": "no-store"},
    )


def _principal() -> Principal:
    principal = current_principal()
    assert principal is not None  # @requires let the request through
    return principal
