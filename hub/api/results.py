"""API: results entry and approval, follow-ups, deadlines, the outbox."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

from flask import jsonify, request

from hub import appctx
from hub.api import bp, json_body
from hub.api.bounds import bool_field, copy_body, int_arg, optional_json_body, str_list_field, text_field
from hub.auth.access import Principal, current_principal, public, requires
from hub.errors import InvalidInput
from hub.outbox.delivery import drain, pending_count, requeue_rejected
from hub.outbox.queries import newest_messages
from hub.results import services as results
from hub.results.csv_import import MAX_FINDINGS_CHARS
from hub.results.deadlines import open_deadlines
from hub.results.queries import published_results_of

ERRORS_SHOWN = 100  # an import's errors listed in the answer; error_count says how many in all


def _actor() -> str:
    p = current_principal()
    return p.name if p else "anonymous"


def _caller() -> Principal:
    """The signed-in caller; the results service decides what they may do (hub.results.access)."""
    p = current_principal()
    assert p is not None  # every route here that calls this requires a role
    return p


@bp.post("/tasks/<task_id>/results")
@requires("coordinator", "liaison", "inspector")
def results_enter(task_id: str):
    """Enter one result: {entity_id, agency, inspected_on, outcome_codes, inspectors, findings,
    substitution_reason?, follow_ups?: [{kind: correction|case|transfer, ...}]}."""
    body = json_body()
    text_field(body, "findings", MAX_FINDINGS_CHARS)
    text_field(body, "substitution_reason", 1000)
    r = results.enter_result(appctx.database(), task_id, body, _caller())
    return jsonify({"result_id": r.result_id, "state": r.state}), 201


@bp.post("/tasks/<task_id>/results:import")
@requires("coordinator", "liaison", "inspector")
def results_import(task_id: str):
    """Import the results CSV of product.md (the request body); bad rows come back with line numbers
    (the first 100, and how many there were in all: 422, or 409 when every refused row was approved or
    changed meanwhile); a row the caller may not enter refuses the whole file (403)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "results.csv"
        with open(path, "wb") as fh:  # streamed to disk: the body is never whole in memory
            size = copy_body(fh.write)
        if not size:
            raise InvalidInput("the body must be the CSV file", where="body")
        report = results.import_csv(appctx.database(), task_id, path, _caller())
    status = 200 if not report.errors else 409 if report.only_conflicts else 422
    return jsonify(
        {
            "saved": report.saved,
            "error_count": len(report.errors),
            "errors": [
                {"line": e.line, "field": e.field, "message": e.message[:500]} for e in report.errors[:ERRORS_SHOWN]
            ],
        }
    ), status


@bp.post("/tasks/<task_id>/results:approve")
@requires("reviewer")
def results_approve(task_id: str):
    """Approve results for publication: {"result_ids": [...]} or {"all": true}."""
    body = json_body()
    approve_all = bool_field(body, "all")
    ids = None if approve_all else str_list_field(body, "result_ids")
    if ids is None and not approve_all:
        raise InvalidInput("give result_ids or all: true", where="body")
    done = results.approve(appctx.database(), appctx.settings(), task_id, _caller(), ids)
    return jsonify({"approved": done})


@bp.post("/results/<result_id>/follow-ups")
@requires("coordinator", "liaison", "inspector")
def results_follow_up(result_id: str):
    """Add a follow-up: correction (due_on), case (penalty_no, decided_on), transfer (to_agency),
    or a re-inspection closing a correction (kind reinspection, reinspected_on, outcome)."""
    fu = results.add_follow_up(appctx.database(), result_id, json_body(), _caller())
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
    soon = int_arg("soon", 3, 0, 60)
    return jsonify(open_deadlines(appctx.database(), date.today(), soon, _caller()))


@bp.get("/outbox")
@requires("coordinator", "auditor")
def outbox_list():
    """Outbox messages with their delivery state; ?state=pending|delivered|rejected."""
    messages = newest_messages(appctx.database(), request.args.get("state"), int_arg("limit", 200, 1, 1000))
    return jsonify(
        [
            {
                "id": m.id,
                "sink": m.sink,
                "kind": m.kind,
                "key": m.key,
                "task_id": m.task_id,
                "state": m.state,
                "attempts": m.attempts,
                "last_error": m.last_error,
                "reject_code": m.reject_code,
                "receipt": m.receipt,
                "delivered_at": m.delivered_at.isoformat() + "Z" if m.delivered_at else None,
            }
            for m in messages
        ]
    )


@bp.post("/outbox:push")
@requires("coordinator")
def outbox_push():
    """Deliver pending messages now (like `hub push`); {"sink": NAME} optional."""
    import time

    sink = optional_json_body().get("sink")
    if sink is not None and (not isinstance(sink, str) or sink not in appctx.settings().sinks):
        raise InvalidInput(f"no sink named {sink!r}"[:200], where="sink")
    report = drain(appctx.database(), appctx.settings(), sink, respect_backoff=False, deadline=time.monotonic() + 60)
    return jsonify(
        {
            "delivered": report.delivered,
            "rejected": report.rejected,
            "pending": pending_count(appctx.database(), sink),
            "errors": report.errors[-5:],
        }
    )


@bp.post("/outbox:requeue")
@requires("coordinator")
def outbox_requeue():
    """Send rejected messages again after correction: {"ids": [...]} or {} for all."""
    ids = optional_json_body().get("ids")
    if ids is not None and (
        not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids)
    ):
        raise InvalidInput("must be an array of outbox message ids (whole numbers)", where="ids")
    return jsonify({"requeued": requeue_rejected(appctx.database(), ids, actor=_actor())})
