"""API: the statistics (the dashboard's figures), the review queue, returns and approvals across
tasks, open follow-ups. The results service and its queries decide who may see and do what."""

from __future__ import annotations

from datetime import date

from flask import jsonify, request

from hub import appctx
from hub.api import bp, json_body
from hub.api.bounds import int_arg, str_list_field, text_field
from hub.auth.access import Principal, current_principal, requires
from hub.errors import InvalidInput
from hub.plans.coverage import PLAN_RATIOS
from hub.results import services as results
from hub.results.stats import parse_filter, stats_for
from hub.results.worklists import QueueFilter, open_follow_ups, review_queue


def _caller() -> Principal:
    p = current_principal()
    assert p is not None  # every route here requires a role
    return p


@bp.get("/stats")
@requires("coordinator", "reviewer", "auditor", "liaison")
def stats():
    """The dashboard's figures, each a table (columns, Chinese headers, rows); ?year=&agency=&district=
    &category=&task= cut them (docs/results.md gives each figure's definition)."""
    board = stats_for(appctx.database(), _caller(), parse_filter(request.args), date.today(), PLAN_RATIOS)
    return jsonify(board.as_dict())


@bp.get("/review/queue")
@requires("reviewer")
def review_list():
    """Results waiting for review across tasks, oldest first: ?task=&agency=&state=entered|returned&cursor=."""
    f = QueueFilter(
        request.args.get("task") or None, request.args.get("agency") or None, request.args.get("state") or "entered"
    )
    page = review_queue(appctx.database(), _caller(), f, request.args.get("cursor"), int_arg("limit", 50, 1, 500))
    return jsonify(
        {
            "total": page.total,
            "next_cursor": page.next_cursor,
            "results": [
                {
                    "result_id": row["r"].result_id,
                    "task_id": row["r"].task_id,
                    "entity_id": row["r"].entity_id,
                    "entity_name": row["entity_name"],
                    "agency": row["r"].agency,
                    "inspected_on": row["r"].inspected_on.isoformat(),
                    "outcome_codes": list(row["r"].outcome_codes),
                    "follow_ups": row["follow_ups"],
                    "amends": row["r"].amends,
                    "entered_by": row["r"].entered_by,
                }
                for row in page.rows
            ],
        }
    )


@bp.post("/results:approve")
@requires("reviewer")
def results_approve_selection():
    """Approve a selection of entered results of any tasks: {"result_ids": [...]}."""
    ids = str_list_field(json_body(), "result_ids", 500)
    if not ids:
        raise InvalidInput("give the result_ids to approve", where="result_ids")
    done = results.approve(appctx.database(), appctx.settings(), None, _caller(), ids)
    return jsonify({"approved": done})


@bp.post("/results/<result_id>:return")
@requires("reviewer")
def results_return(result_id: str):
    """Return an entered result to its enterer: {"reason": "..."} (required, audited)."""
    body = json_body()
    text_field(body, "reason", 1000)
    r = results.return_result(appctx.database(), result_id, str(body.get("reason") or ""), _caller())
    return jsonify({"result_id": r.result_id, "state": r.state, "reason": r.returned_reason})


@bp.get("/follow-ups")
@requires("coordinator", "reviewer", "auditor", "liaison", "inspector")
def follow_ups_open():
    """Open follow-ups the caller may see, with due date and status; ?overdue=1 keeps the overdue ones."""
    page = open_follow_ups(
        appctx.database(),
        _caller(),
        date.today(),
        request.args.get("overdue") in ("1", "true"),
        request.args.get("cursor"),
        int_arg("limit", 50, 1, 500),
    )
    return jsonify(
        {
            "total": page.total,
            "next_cursor": page.next_cursor,
            "follow_ups": [
                {
                    "follow_up_id": row["f"].id,
                    "kind": row["f"].kind,
                    "result_id": row["r"].result_id,
                    "task_id": row["r"].task_id,
                    "entity_id": row["r"].entity_id,
                    "agency": row["r"].agency,
                    "to_agency": row["f"].to_agency,
                    "due_on": row["due_on"].isoformat() if row["due_on"] else None,
                    "status": row["status"],
                }
                for row in page.rows
            ],
        }
    )
