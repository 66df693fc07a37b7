"""API: item lists, joint tasks and their lifecycle, draw records, offline draw and verification."""

from __future__ import annotations

import json

from flask import Response, jsonify, request

from hub import appctx
from hub.api import bp, json_body
from hub.auth.access import current_principal, public, requires
from hub.draw.publication import drawn_record, public_summary, stream_frozen_file
from hub.draw.queries import ASSIGNMENT_READERS, assignments_for
from hub.errors import Forbidden, HubError, InvalidInput, PayloadTooLarge
from hub.items.services import import_items, published_items
from hub.results.history import RESULTS_HISTORY
from hub.tasks import services as lifecycle
from hub.tasks.models import JointTask
from hub.tasks.queries import get_task, list_tasks


def _actor() -> str:
    p = current_principal()
    return p.name if p else "anonymous"


@bp.get("/items")
@public
def items_list():
    """Published item lists (抽查事项清单); ?agency= filters."""
    return jsonify(published_items(appctx.database(), request.args.get("agency")))


@bp.post("/items")
@requires("coordinator", "liaison")
def items_import():
    """Import items: a JSON array of {agency, code, name, legal_basis, subject, content, method}."""
    data = request.get_json(silent=True)
    if not isinstance(data, list):
        raise InvalidInput("the body must be a JSON array of items", where="body")
    p = current_principal()
    if p and not p.has("coordinator"):
        others = {i.get("agency") for i in data if isinstance(i, dict)} - {p.agency}
        if others:
            raise Forbidden(
                f"a liaison of {p.agency} cannot import items of {sorted(map(str, others))}", where="agency"
            )
    n = import_items(appctx.database(), data, _actor())
    return jsonify({"imported": n}), 201


def _task_json(t: JointTask) -> dict:
    return {
        "task_id": t.id,
        "title": t.title,
        "lead": t.lead,
        "agencies": t.agencies,
        "state": t.state,
        "window": [t.window_start.isoformat(), t.window_end.isoformat()],
        "roster_digest": t.roster_digest,
        "pool_digest": t.pool_digest,
        "plan_digest": t.plan_digest,
        "roster_size": t.roster_size,
        "pool_size": t.pool_size,
        "seed": t.seed,
        "draw_status": t.draw_status,
        "draw_progress": t.draw_progress,
        "draw_error": t.draw_error,
        "feasibility": t.feasibility,
        "void_reason": t.void_reason,
        "spec": t.spec,
        "protocol": t.protocol,
        "entropy": t.entropy,
        "entropy_source": (t.plan or {}).get("entropy_source") or t.spec.get("entropy_source"),
    }


@bp.get("/tasks")
@requires(*ASSIGNMENT_READERS)
def tasks_list():
    """Joint tasks, newest first."""
    return jsonify([_task_json(t) for t in list_tasks(appctx.database())])


@bp.post("/tasks")
@requires("coordinator")
def tasks_create():
    """Create a joint task from the task file's content as JSON."""
    t = lifecycle.create_task(appctx.database(), appctx.settings(), json_body(), _actor())
    return jsonify({"task_id": t.id, "state": t.state}), 201


@bp.get("/tasks/<task_id>")
@requires(*ASSIGNMENT_READERS)
def tasks_get(task_id: str):
    """One joint task with its lifecycle state and digests."""
    body = _task_json(get_task(appctx.database(), task_id))
    body["parties"] = [
        {k: v for k, v in p.items() if k != "secret_hex"} for p in lifecycle.parties(appctx.database(), task_id)
    ]
    return jsonify(body)


@bp.post("/tasks/<task_id>/parties")
@requires("coordinator")
def tasks_add_party(task_id: str):
    """Add a witnessing party before the freeze, bound to its own account: {"party": "LEGAL", "account": USER}."""
    body = json_body()
    lifecycle.add_party(
        appctx.database(), task_id, str(body.get("party", "")), _actor(), account=str(body.get("account") or "") or None
    )
    return jsonify({"task_id": task_id, "added": True}), 201


@bp.post("/tasks/<task_id>/commitments")
@requires()
def tasks_commit(task_id: str):
    """Record a party's commitment: {"party", "commitment"} (64 hex); only the party itself (an agency's
    liaison, a witness's own account) may; the hub commits by itself."""
    body = json_body()
    party = str(body.get("party", ""))
    lifecycle.commit(appctx.database(), task_id, party, str(body.get("commitment", "")), _actor())
    return jsonify({"task_id": task_id, "party": party, "committed": True}), 201


@bp.get("/tasks/<task_id>/feasibility")
@requires("coordinator", "liaison", "auditor")
def tasks_feasibility(task_id: str):
    """Capacity against demand, before the freeze."""
    return jsonify(lifecycle.feasibility(appctx.database(), task_id, history=RESULTS_HISTORY))


@bp.post("/tasks/<task_id>/freeze")
@requires("coordinator")
def tasks_freeze(task_id: str):
    """Snapshot roster and pool; publish their digests."""
    t = lifecycle.freeze(appctx.database(), appctx.settings(), task_id, _actor(), history=RESULTS_HISTORY)
    return jsonify(_task_json(t))


@bp.post("/tasks/<task_id>/reveals")
@requires()
def tasks_reveal(task_id: str):
    """Reveal a party's secret after the freeze: {"party", "secret_hex"}; only the party itself may."""
    body = json_body()
    party = str(body.get("party", ""))
    lifecycle.reveal(appctx.database(), task_id, party, str(body.get("secret_hex", "")), _actor())
    return jsonify({"task_id": task_id, "party": party, "revealed": True})


@bp.post("/tasks/<task_id>/draw")
@requires("coordinator")
def tasks_draw(task_id: str):
    """Run the one-time draw as a background task: {"entropy": "..."}, the value the declared entropy source
    published (entered once; none when no source was declared); 202 with its status."""
    from hub.draw.jobs import draw_task

    entropy = str((request.get_json(silent=True) or {}).get("entropy", ""))
    lifecycle.request_draw(appctx.database(), task_id, entropy, _actor())
    try:
        draw_task.delay(task_id, _actor())
    except HubError:
        pass  # in-process runs store the failure on the task; the status below says it
    except Exception as exc:  # noqa: BLE001  (the broker did not take the job: say so on the task)
        lifecycle.mark_draw_unqueued(appctx.database(), task_id, f"could not queue the draw: {exc}", _actor())
    t = get_task(appctx.database(), task_id)
    return jsonify(_task_json(t)), 202 if t.state != "drawn" else 200


@bp.post("/tasks/<task_id>/void")
@requires("coordinator")
def tasks_void(task_id: str):
    """Void a task with a written reason: {"reason": "..."}."""
    lifecycle.void(appctx.database(), task_id, str(json_body().get("reason", "")), _actor())
    return jsonify({"task_id": task_id, "state": "void"})


@bp.get("/tasks/<task_id>/assignments")
@requires(*ASSIGNMENT_READERS)
def tasks_assignments(task_id: str):
    """Drawn entities and teams: all for coordinators and auditors; a liaison's agency's and an
    inspector's own teams only (hub.draw.queries, the same rule as the task page)."""
    p = current_principal()
    assert p is not None
    return jsonify(assignments_for(appctx.database(), task_id, p).as_json())


@bp.get("/tasks/<task_id>/public")
@public
def tasks_public(task_id: str):
    """The public view of a frozen or drawn task: digests, commitments, reveals, record."""
    return jsonify(public_summary(appctx.database(), task_id))


@bp.get("/tasks/<task_id>/record")
@public
def tasks_record(task_id: str):
    """The draw record of a drawn task (its `protocol` says JDP-2, or JDP-1 for older tasks)."""
    public_summary(appctx.database(), task_id)  # a draft task is not public: 404
    record = drawn_record(appctx.database(), task_id)
    return Response(json.dumps(record, ensure_ascii=False, indent=1), mimetype="application/json")


@bp.get("/tasks/<task_id>/roster.tsv")
@public
def tasks_roster(task_id: str):
    """The frozen roster file (JDP §1)."""
    public_summary(appctx.database(), task_id)  # a draft task is not public: 404
    return Response(
        stream_frozen_file(appctx.database(), task_id, "roster"), mimetype="text/tab-separated-values; charset=utf-8"
    )


@bp.get("/tasks/<task_id>/pool.tsv")
@public
def tasks_pool(task_id: str):
    """The frozen pool file (JDP §1)."""
    public_summary(appctx.database(), task_id)
    return Response(
        stream_frozen_file(appctx.database(), task_id, "pool"), mimetype="text/tab-separated-values; charset=utf-8"
    )


def _inline_or_offloaded(kind: str):
    """Run a verification or offline draw here when the body is small; a larger one goes to a worker
    (202 with a status URL), or is refused with 413 when there is no broker (docs/security.md)."""
    from hub.verification import services as verification

    body = json_body()
    sec = appctx.settings().security
    if len(request.get_data()) <= sec.verify_inline_bytes:
        return jsonify(verification.RUNNERS[kind](body))
    if appctx.settings().embedded:
        raise PayloadTooLarge(
            f"over {sec.verify_inline_bytes:,} bytes: run `hub verify` (or `hub draw offline`) "
            "on your own machine, or configure a broker so a worker can take it",
            where="body",
        )
    from hub.verification.jobs import verification_task

    job_id = verification.submit(appctx.database(), kind, body)
    verification_task.delay(job_id)
    status_url = f"/api/v1/verifications/{job_id}"
    return jsonify({"id": job_id, "state": "queued", "status_url": status_url}), 202, {"Location": status_url}


@bp.post("/verify")
@public
def verify_record():
    """Recompute a draw: {"record": {...}, "roster": "<file text>", "pool": "<file text>"}; a large one is
    answered 202 with a status URL (a worker recomputes it)."""
    return _inline_or_offloaded("verify")


@bp.post("/draws/offline")
@requires()
def draw_offline():
    """JDP-1 from plain inputs: {"plan", "roster", "pool", "reveals": {party: hex}, "entropy"}; a large one
    is answered 202 with a status URL."""
    return _inline_or_offloaded("draw")


@bp.get("/verifications/<job_id>")
@public
def verification_status(job_id: str):
    """A verification or offline draw handed to a worker: queued, done (with its answer) or failed."""
    from hub.verification.services import status

    return jsonify(status(appctx.database(), job_id))
