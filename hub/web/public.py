"""Public pages of the "one public" (一公开): item lists, draw records, frozen files, results.

Nothing here needs signing in; a draft task does not exist for the public (404), and
results appear only once approved, with personal data masked.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from flask import Blueprint, Response, request, send_file

from hub import appctx
from hub.audit.chain import published_head
from hub.auth.access import public
from hub.draw.publication import PROTOCOL_PATH, VERIFIER_PATH, public_summary, stream_frozen_file
from hub.errors import NotFound
from hub.portal import tables
from hub.portal.queries import item_agencies, public_sinks, task_notice, task_notices
from hub.portal.result_queries import ResultPage, task_results
from hub.portal.search import parse_search
from hub.results.export import published_results
from hub.web.caching import public_response, render_public

bp = Blueprint("public", __name__, url_prefix="/public")

VERIFY_COMMAND = "python jdp.py verify record.json --roster roster.tsv --pool pool.tsv"
RESULTS_CSV_ROWS = 10_000  # a task's results in one CSV; the yearly downloads hold everything


@bp.route("/")
@public
def index():
    tasks, _after = task_notices(appctx.database(), {}, limit=10)
    return public_response(
        render_public(
            "portal_home.html",
            tasks=tasks,
            agencies=item_agencies(appctx.database()),
            audit_head=published_head(appctx.database()),
            outcomes=[],
        )
    )


@bp.route("/tasks/<task_id>")
@public
def task(task_id: str):
    notice = task_notice(appctx.database(), task_id, public_sinks(appctx.settings()))
    record = notice["record"] or {}
    body = render_public(
        "public_task.html",
        t=notice,
        selections=record.get("selections", []),
        strata=record.get("strata", {}),
        verify_command=VERIFY_COMMAND,
    )
    return public_response(body, last_modified=notice.get("drawn_at_time") or notice.get("frozen_at"))


@bp.route("/tasks/<task_id>/record.json")
@public
def record(task_id: str):
    summary = public_summary(appctx.database(), task_id)
    if summary["record"] is None:
        raise NotFound(f"task {task_id} has no draw record yet (it is {summary['state']})", where="task")
    body = json.dumps(summary["record"], ensure_ascii=False, indent=1)
    return _download(body.encode("utf-8"), "application/json; charset=utf-8", "record.json")


@bp.route("/tasks/<task_id>/roster.tsv")
@public
def roster(task_id: str):
    return _download(_frozen(task_id, "roster"), "text/tab-separated-values; charset=utf-8", "roster.tsv")


@bp.route("/tasks/<task_id>/pool.tsv")
@public
def pool(task_id: str):
    return _download(_frozen(task_id, "pool"), "text/tab-separated-values; charset=utf-8", "pool.tsv")


@bp.route("/verifier/jdp.py")
@public
def verifier():
    return send_file(VERIFIER_PATH, mimetype="text/x-python", as_attachment=True, download_name="jdp.py")


@bp.route("/protocol")
@public
def protocol():
    """The draw protocol as the hub implements it (JDP-2 and JDP-1), for anyone checking a draw."""
    return send_file(PROTOCOL_PATH, mimetype="text/plain; charset=utf-8")


@bp.route("/tasks/<task_id>/results")
@public
def results(task_id: str):
    summary, found = _task_results(task_id)
    body = render_public("public_results.html", t=summary, rows=found.rows, after=found.after)
    return public_response(body, last_modified=found.last_modified)


@bp.route("/tasks/<task_id>/results.json")
@public
def results_json(task_id: str):
    public_summary(appctx.database(), task_id)  # a draft task is not public: 404
    return public_response(b"".join(_json_array(_published(task_id))), "application/json")


@bp.route("/tasks/<task_id>/results.csv")
@public
def results_csv(task_id: str):
    _summary, found = _task_results(task_id, limit=RESULTS_CSV_ROWS)
    body = b"".join(tables.csv_lines(found.rows, tables.RESULT_COLUMNS))
    return public_response(body, "text/csv", last_modified=found.last_modified, filename=f"results-{task_id}.csv")


def _task_results(task_id: str, limit: int = 50) -> tuple[dict[str, Any], ResultPage]:
    """The public summary of a task and a page of its published results (newest first)."""
    summary = public_summary(appctx.database(), task_id)
    after = request.args.get("after", "")
    query = parse_search({"after": after}, limit=limit)
    found = task_results(
        appctx.database(),
        task_id,
        query,
        sinks=public_sinks(appctx.settings()),
        inspectors=appctx.settings().portal.inspector_names,
    )
    return summary, found


def _frozen(task_id: str, kind: str) -> Iterator[bytes]:
    """A frozen file as it is read, piece by piece; refused for a task the public cannot see."""
    public_summary(appctx.database(), task_id)
    return stream_frozen_file(appctx.database(), task_id, kind)


def _published(task_id: str) -> Iterator[dict[str, Any]]:
    """Approved results, masked, as they are read (a chunk at a time); which sinks took them is the
    hub's business, not the public's."""
    with appctx.database().unit_of_work() as s:
        for r in published_results(s, task_id, current_only=True):
            yield {k: v for k, v in r.items() if k != "delivery"}


def _json_array(rows: Iterator[dict[str, Any]]) -> Iterator[bytes]:
    """``json.dumps(list(rows), indent=1)`` byte for byte, one row at a time (a row's lines indented once more)."""
    first = True
    for row in rows:
        text = json.dumps(row, ensure_ascii=False, default=_iso, indent=1).replace("\n", "\n ")
        yield ("[\n " if first else ",\n ").encode("utf-8") + text.encode("utf-8")
        first = False
    yield b"[]" if first else b"\n]"


def _download(data: bytes | Iterator[bytes], content_type: str, name: str) -> Response:
    # The bytes go out exactly as stored: the published digests are computed over them.
    return Response(data, content_type=content_type, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _iso(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat() + "Z"
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
