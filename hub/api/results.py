"""API: results entry and approval, follow-ups, deadlines, the outbox."""
from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

from flask import jsonify, request

from hub import appctx
from hub.api import bp, json_body
from hub.auth.access import current_principal, public, requires
from hub.errors import Forbidden, InvalidInput
from hub.outbox.delivery import drain, pending_count, requeue_rejected
from hub.outbox.queries import newest_messages
from hub.results import services as results
from hub.results.deadlines import open_deadlines
from hub.results.queries import published_results_of


def _actor() -> str:
    p = current_principal()
    return p.name if p else "anonymous"


def _own_agency(agency: str) -> None:
    p = current_principal()
    if p and not p.has("coordinator") and p.has("liaison") and p.agency != agency:
        raise Forbidden(f"a liaison of {p.agency} cannot enter results of {agency}", where="agency")


@bp.post("/tasks/<task_id>/results")
@requires("coordinator", "liaison", "inspector")
def results_enter(task_id: str):
    """Enter one result: {entity_id, agency, inspected_on, outcome_codes, inspectors, findings,
    substitution_reason?, follow_ups?: [{kind: correction|case|transfer, ...}]}."""
    body = json_body()
    _own_agency(str(body.get("agency", "")))
    r = results.enter_result(appctx.database(), task_id, body, _actor())
    return jsonify({"result_id": r.result_id, "state": r.state}), 201


@bp.post("/tasks/<task_id>/results:import")
@requires("coordinator", "liaison")
def results_import(task_id: str):
    """Import the results CSV of product.md (the request body); bad rows come back with line numbers."""
    data = request.get_data()
    if not data:
        raise InvalidInput("the body must be the CSV file", where="body")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "results.csv"
        path.write_bytes(data)
        report = results.import_csv(appctx.database(), task_id, path, _actor())
    return jsonify({"saved": report.saved,
                    "errors": [{"line": e.line, "field": e.field, "message": e.message}
                               for e in report.errors]}), (200 if not report.errors else 422)


@bp.post("/tasks/<task_id>/results:approve")
@requires("reviewer")
def results_approve(task_id: str):
    """Approve results for publication: {"result_ids": [...]} or {"all": true}."""
    body = json_body()
    ids = None if body.get("all") else body.get("result_ids")
    if ids is None and not body.get("all"):
        raise InvalidInput("give result_ids or all: true", where="body")
    done = results.approve(appctx.database(), appctx.settings(), task_id, _actor(), ids)
    return jsonify({"approved": done})


@bp.post("/results/<result_id>/follow-ups")
@requires("coordinator", "liaison", "inspector")
def results_follow_up(result_id: str):
    """Add a follow-up: correction (due_on), case (penalty_no, decided_on), transfer (to_agency),
    or a re-inspection closing a correction (kind reinspection, reinspected_on, outcome)."""
    fu = results.add_follow_up(appctx.database(), result_id, json_body(), _actor())
    return jsonify({"follow_up_id": fu.id, "kind": fu.kind}), 201


@bp.get("/tasks/<task_id>/results")
@public
def results_published(task_id: str):
    """Published results of a task, personal data masked."""
    rows = published_results_of(appctx.database(), task_id)
    for r in rows:
        for k in ("inspected_on", "due_on"):
            r[k] = r[k].isoformat() if r[k] else None
        r["approved_at"] = r["approved_at"].isoformat() + "Z" if r["approved_at"] else None
    return jsonify(rows)


@bp.get("/deadlines")
@requires("coordinator", "reviewer", "auditor", "liaison")
def deadlines():
    """Open results and penalty decisions with overdue / due-soon status (working days)."""
    soon = int(request.args.get("soon", 3))
    return jsonify(open_deadlines(appctx.database(), date.today(), soon))


@bp.get("/outbox")
@requires("coordinator", "auditor")
def outbox_list():
    """Outbox messages with their delivery state; ?state=pending|delivered|rejected."""
    messages = newest_messages(appctx.database(), request.args.get("state"),
                               min(int(request.args.get("limit", 200)), 1000))
    return jsonify([{"id": m.id, "sink": m.sink, "kind": m.kind, "key": m.key, "task_id": m.task_id,
                     "state": m.state, "attempts": m.attempts, "last_error": m.last_error,
                     "reject_code": m.reject_code, "receipt": m.receipt,
                     "delivered_at": m.delivered_at.isoformat() + "Z" if m.delivered_at else None}
                    for m in messages])


@bp.post("/outbox:push")
@requires("coordinator")
def outbox_push():
    """Deliver pending messages now (like `hub push`); {"sink": NAME} optional."""
    import time

    sink = (request.get_json(silent=True) or {}).get("sink")
    report = drain(appctx.database(), appctx.settings(), sink, respect_backoff=False,
                   deadline=time.monotonic() + 60)
    return jsonify({"delivered": report.delivered, "rejected": report.rejected,
                    "pending": pending_count(appctx.database(), sink), "errors": report.errors[-5:]})


@bp.post("/outbox:requeue")
@requires("coordinator")
def outbox_requeue():
    """Send rejected messages again after correction: {"ids": [...]} or {} for all."""
    ids = (request.get_json(silent=True) or {}).get("ids")
    return jsonify({"requeued": requeue_rejected(appctx.database(), ids, actor=_actor())})
