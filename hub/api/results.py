"""API: results entry and approval, follow-ups, deadlines, the outbox, users and audit."""
from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

from flask import jsonify, request
from sqlalchemy import select

from hub import appctx
from hub.api import bp, json_body
from hub.api.bounds import bool_field, copy_body, int_arg, str_list_field, text_field
from hub.auth.access import current_principal, public, requires
from hub.errors import Forbidden, InvalidInput, NotFound
from hub.outbox.delivery import drain, pending_count, requeue_rejected
from hub.outbox.models import OutboxMessage
from hub.results import services as results
from hub.results.csv_import import MAX_FINDINGS_CHARS
from hub.results.deadlines import open_deadlines
from hub.results.export import published_results

OUTBOX_STATES = ("pending", "delivered", "rejected")
ERRORS_SHOWN = 100  # an import's errors listed in the answer; error_count says how many in all


def _actor() -> str:
    p = current_principal()
    return p.name if p else "anonymous"


def _own_agency(agency: str) -> None:
    p = current_principal()
    if p and not p.has("coordinator") and p.has("liaison") and p.agency != agency:
        raise Forbidden(f"a liaison of {p.agency} cannot enter results of {agency}", where="agency")


@bp.post("/tasks/<task_id>/results")
@requires("coordinator", "liaison", "inspector")
def results_enter(task_id: str):  # type: ignore[no-untyped-def]
    """Enter one result: {entity_id, agency, inspected_on, outcome_codes, inspectors, findings,
    substitution_reason?, follow_ups?: [{kind: correction|case|transfer, ...}]}."""
    body = json_body()
    text_field(body, "findings", MAX_FINDINGS_CHARS)
    text_field(body, "substitution_reason", 1000)
    _own_agency(str(body.get("agency", "")))
    r = results.enter_result(appctx.database(), task_id, body, _actor())
    return jsonify({"result_id": r.result_id, "state": r.state}), 201


@bp.post("/tasks/<task_id>/results:import")
@requires("coordinator", "liaison")
def results_import(task_id: str):  # type: ignore[no-untyped-def]
    """Import the results CSV of product.md (the request body); bad rows come back with line numbers
    (the first 100, and how many there were in all)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "results.csv"
        with open(path, "wb") as fh:  # streamed to disk: the body is never whole in memory
            size = copy_body(fh.write)
        if not size:
            raise InvalidInput("the body must be the CSV file", where="body")
        report = results.import_csv(appctx.database(), task_id, path, _actor())
    return jsonify({"saved": report.saved, "error_count": len(report.errors),
                    "errors": [{"line": e.line, "field": e.field, "message": e.message[:500]}
                               for e in report.errors[:ERRORS_SHOWN]]}), (200 if not report.errors else 422)


def _optional_body() -> dict:
    """The JSON object of a request whose body may be empty."""
    return json_body() if request.get_data() else {}


@bp.post("/tasks/<task_id>/results:approve")
@requires("reviewer")
def results_approve(task_id: str):  # type: ignore[no-untyped-def]
    """Approve results for publication: {"result_ids": [...]} or {"all": true}."""
    body = json_body()
    approve_all = bool_field(body, "all")
    ids = None if approve_all else str_list_field(body, "result_ids")
    if ids is None and not approve_all:
        raise InvalidInput("give result_ids or all: true", where="body")
    done = results.approve(appctx.database(), appctx.settings(), task_id, _actor(), ids)
    return jsonify({"approved": done})


@bp.post("/results/<result_id>/follow-ups")
@requires("coordinator", "liaison", "inspector")
def results_follow_up(result_id: str):  # type: ignore[no-untyped-def]
    """Add a follow-up: correction (due_on), case (penalty_no, decided_on), transfer (to_agency),
    or a re-inspection closing a correction (kind reinspection, reinspected_on, outcome)."""
    fu = results.add_follow_up(appctx.database(), result_id, json_body(), _actor())
    return jsonify({"follow_up_id": fu.id, "kind": fu.kind}), 201


@bp.get("/tasks/<task_id>/results")
@public
def results_published(task_id: str):  # type: ignore[no-untyped-def]
    """Published results of a task, personal data masked."""
    with appctx.database().unit_of_work() as s:
        rows = list(published_results(s, task_id))
    for r in rows:
        for k in ("inspected_on", "due_on"):
            r[k] = r[k].isoformat() if r[k] else None
        r["approved_at"] = r["approved_at"].isoformat() + "Z" if r["approved_at"] else None
    return jsonify(rows)


@bp.get("/deadlines")
@requires("coordinator", "reviewer", "auditor", "liaison")
def deadlines():  # type: ignore[no-untyped-def]
    """Open results and penalty decisions with overdue / due-soon status (working days)."""
    soon = int_arg("soon", 3, 0, 60)
    return jsonify(open_deadlines(appctx.database(), date.today(), soon))


@bp.get("/outbox")
@requires("coordinator", "auditor")
def outbox_list():  # type: ignore[no-untyped-def]
    """Outbox messages with their delivery state; ?state=pending|delivered|rejected."""
    q = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(int_arg("limit", 200, 1, 1000))
    state = request.args.get("state")
    if state:
        if state not in OUTBOX_STATES:
            raise InvalidInput(f"{state!r} is not one of {', '.join(OUTBOX_STATES)}"[:200], where="state")
        q = q.where(OutboxMessage.state == state)
    with appctx.database().unit_of_work() as s:
        return jsonify([{"id": m.id, "sink": m.sink, "kind": m.kind, "key": m.key, "task_id": m.task_id,
                         "state": m.state, "attempts": m.attempts, "last_error": m.last_error,
                         "reject_code": m.reject_code, "receipt": m.receipt,
                         "delivered_at": m.delivered_at.isoformat() + "Z" if m.delivered_at else None}
                        for m in s.scalars(q)])


@bp.post("/outbox:push")
@requires("coordinator")
def outbox_push():  # type: ignore[no-untyped-def]
    """Deliver pending messages now (like `hub push`); {"sink": NAME} optional."""
    import time

    sink = _optional_body().get("sink")
    if sink is not None and (not isinstance(sink, str) or sink not in appctx.settings().sinks):
        raise InvalidInput(f"no sink named {sink!r}"[:200], where="sink")
    report = drain(appctx.database(), appctx.settings(), sink, respect_backoff=False,
                   deadline=time.monotonic() + 60)
    return jsonify({"delivered": report.delivered, "rejected": report.rejected,
                    "pending": pending_count(appctx.database(), sink), "errors": report.errors[-5:]})


@bp.post("/outbox:requeue")
@requires("coordinator")
def outbox_requeue():  # type: ignore[no-untyped-def]
    """Send rejected messages again after correction: {"ids": [...]} or {} for all."""
    ids = _optional_body().get("ids")
    if ids is not None and (not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool)
                                                                 for i in ids)):
        raise InvalidInput("must be an array of outbox message ids (whole numbers)", where="ids")
    return jsonify({"requeued": requeue_rejected(appctx.database(), ids, actor=_actor())})


@bp.post("/users")
@requires("admin")
def users_add():  # type: ignore[no-untyped-def]
    """Add a user: {name, roles: [...], agency?, password?, inspector_id?}."""
    from hub.audit.log import record
    from hub.auth.services import add_user

    b = json_body()
    for key in ("name", "agency", "password", "inspector_id"):
        if b.get(key) is not None and not isinstance(b[key], str):
            raise InvalidInput("must be text", where=key)
    roles = str_list_field(b, "roles", max_items=10) or []
    with appctx.database().unit_of_work() as s:
        u = add_user(s, str(b.get("name", "")), roles, b.get("agency"), b.get("password"), b.get("inspector_id"))
        record(s, _actor(), "user.add", f"user:{u.name}", details={"roles": u.roles})
    return jsonify({"name": b.get("name"), "roles": roles}), 201


@bp.post("/users/<name>:deactivate")
@requires("admin")
def users_deactivate(name: str):  # type: ignore[no-untyped-def]
    """Deactivate a user: no more sign-ins, their sessions end and their tokens are revoked."""
    from hub.audit.log import record
    from hub.auth.services import deactivate_user

    with appctx.database().unit_of_work() as s:
        revoked = deactivate_user(s, name)
        record(s, _actor(), "user.deactivate", f"user:{name}", details={"tokens_revoked": revoked})
    return jsonify({"name": name, "active": False, "tokens_revoked": revoked})


@bp.post("/users/<name>/password")
@requires("admin")
def users_password(name: str):  # type: ignore[no-untyped-def]
    """Set a user's password: {"password"} (the policy applies; their sessions end)."""
    from hub.audit.log import record
    from hub.auth.services import set_password

    password = json_body().get("password")
    if not isinstance(password, str):
        raise InvalidInput("must be text", where="password")
    with appctx.database().unit_of_work() as s:
        set_password(s, name, password)
        record(s, _actor(), "user.password", f"user:{name}")
    return jsonify({"name": name, "password_changed": True})


@bp.post("/users/<name>/tokens")
@requires("admin")
def users_token(name: str):  # type: ignore[no-untyped-def]
    """Issue a bearer token for a user (shown once): {"days": N} optional, 0 for no expiry."""
    from hub.audit.log import record
    from hub.auth.services import create_token, token_id

    days = _optional_body().get("days", appctx.settings().security.token_days)
    if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= 3650:
        raise InvalidInput("must be a whole number of days from 0 (no expiry) to 3650", where="days")
    with appctx.database().unit_of_work() as s:
        tok = create_token(s, name, days)
        tid = token_id(s, tok)
        record(s, _actor(), "token.create", f"user:{name}", details={"token_id": tid, "days": days})
    return jsonify({"token": tok, "token_id": tid, "days": days}), 201


@bp.get("/users/<name>/tokens")
@requires("admin")
def users_tokens(name: str):  # type: ignore[no-untyped-def]
    """A user's tokens (never the tokens themselves): id, created, expiry, last use, revocation."""
    from hub.auth.services import list_tokens

    def when(value):  # type: ignore[no-untyped-def]
        return value.isoformat() + "Z" if value else None

    with appctx.database().unit_of_work() as s:
        return jsonify([{"token_id": t.id, "created_at": when(t.created_at), "expires_at": when(t.expires_at),
                         "last_used_at": when(t.last_used_at), "revoked_at": when(t.revoked_at)}
                        for t in list_tokens(s, name)])


@bp.post("/tokens/<token_id>:revoke")
@requires("admin")
def tokens_revoke(token_id: str):  # type: ignore[no-untyped-def]
    """Revoke a bearer token by its id (GET /users/{name}/tokens lists them); it stops working at once."""
    from hub.audit.log import record
    from hub.auth.services import revoke_token

    if not token_id.isdecimal() or len(token_id) > 18:
        raise NotFound(f"no token with id {token_id[:40]!r}", where="token")
    with appctx.database().unit_of_work() as s:
        revoke_token(s, int(token_id))
        record(s, _actor(), "token.revoke", f"token:{token_id}")
    return jsonify({"token_id": int(token_id), "revoked": True})


@bp.get("/audit/verify")
@requires("auditor")
def audit_verify():  # type: ignore[no-untyped-def]
    """Check the audit hash chain."""
    from hub.audit.log import verify

    with appctx.database().unit_of_work() as s:
        n, problems = verify(s)
    return jsonify({"entries": n, "intact": not problems, "problems": problems[:50]})
