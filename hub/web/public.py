"""Public pages of the "one public" (一公开): item lists, draw records, frozen files, results.

Nothing here needs signing in; a draft task does not exist for the public (404), and
results appear only once approved, with personal data masked.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from flask import Blueprint, Response, render_template, send_file

from hub import appctx
from hub.audit.chain import published_head
from hub.auth.access import public
from hub.draw.publication import PROTOCOL_PATH, VERIFIER_PATH, public_summary, stream_frozen_file
from hub.errors import NotFound
from hub.items.services import published_items
from hub.results.queries import published_results_of
from hub.tasks.queries import public_tasks

bp = Blueprint("public", __name__, url_prefix="/public")

VERIFY_COMMAND = "python jdp.py verify record.json --roster roster.tsv --pool pool.tsv"


@bp.route("/")
@public
def index():
    by_agency: dict[str, list[dict[str, Any]]] = {}
    for item in published_items(appctx.database()):
        by_agency.setdefault(item["agency"], []).append(item)
    return render_template(
        "public_index.html",
        items=by_agency,
        tasks=public_tasks(appctx.database()),
        audit_head=published_head(appctx.database()),
    )


@bp.route("/tasks/<task_id>")
@public
def task(task_id: str):
    summary = public_summary(appctx.database(), task_id)
    record = summary["record"] or {}
    return render_template(
        "public_task.html",
        t=summary,
        selections=record.get("selections", []),
        strata=record.get("strata", {}),
        verify_command=VERIFY_COMMAND,
    )


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
    summary = public_summary(appctx.database(), task_id)
    return render_template("public_results.html", t=summary, rows=_published(task_id))


@bp.route("/tasks/<task_id>/results.json")
@public
def results_json(task_id: str):
    public_summary(appctx.database(), task_id)  # a draft task is not public: 404
    body = json.dumps(_published(task_id), ensure_ascii=False, default=_iso, indent=1)
    return Response(body, mimetype="application/json")


def _frozen(task_id: str, kind: str) -> Iterator[bytes]:
    """A frozen file as it is read, piece by piece; refused for a task the public cannot see."""
    public_summary(appctx.database(), task_id)
    return stream_frozen_file(appctx.database(), task_id, kind)


def _published(task_id: str) -> list[dict[str, Any]]:
    """Approved results, masked; which sinks took them is the hub's business, not the public's."""
    return [{k: v for k, v in r.items() if k != "delivery"} for r in published_results_of(appctx.database(), task_id)]


def _download(data: bytes | Iterator[bytes], content_type: str, name: str) -> Response:
    # The bytes go out exactly as stored: the published digests are computed over them.
    return Response(data, content_type=content_type, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _iso(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat() + "Z"
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
