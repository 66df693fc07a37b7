"""API: sources, sync runs, entity master, inspector roster, quarantine, exports."""

from __future__ import annotations

from flask import Response, jsonify, request, stream_with_context

from hub import appctx
from hub.api import bp, json_body
from hub.api.bounds import bool_field, int_arg
from hub.auth.access import requires
from hub.errors import InvalidInput, NotFound
from hub.rosters import queries
from hub.rosters.models import Entity

READERS = ("coordinator", "liaison", "auditor")


def _limit() -> int:
    return int_arg("limit", 100, 1, 1000)


@bp.get("/sources")
@requires(*READERS)
def list_sources():
    """Configured sources with their kind and schedule."""
    settings = appctx.settings()
    return jsonify(
        [{"name": n, "kind": c.kind, "url": c.url, "schedule": c.schedule} for n, c in settings.sources.items()]
    )


@bp.post("/sources/<name>/sync")
@requires("coordinator", "liaison")
def start_sync(name: str):
    """Queue a sync of one source now (``{"full": true}`` for a full pull)."""
    from hub.rosters.jobs import sync_source

    if name not in appctx.settings().sources:
        raise NotFound(f"no source named {name!r}", where="source")
    full = bool_field(json_body() if request.get_data() else {}, "full")
    sync_source.delay(name, full)
    return jsonify({"source": name, "queued": True}), 202


@bp.get("/sync-runs")
@requires(*READERS)
def sync_runs():
    """The latest sync runs, newest first, with their counts."""
    runs = queries.recent_runs(appctx.database(), _limit())
    return jsonify(
        [
            {
                "id": r.id,
                "source": r.source,
                "kind": r.kind,
                "full": r.full,
                "started_at": r.started_at.isoformat() + "Z",
                "finished_at": r.finished_at.isoformat() + "Z" if r.finished_at else None,
                "outcome": r.outcome,
                "fetched": r.fetched,
                "inserted": r.inserted,
                "updated": r.updated,
                "unchanged": r.unchanged,
                "quarantined": r.quarantined,
                "deactivated": r.deactivated,
                "error": r.error,
            }
            for r in runs
        ]
    )


def _entity_json(e: Entity) -> dict:
    return {
        "entity_id": e.entity_id,
        "uscc": e.uscc,
        "name": e.name,
        "entity_type": e.entity_type,
        "district": e.district,
        "address": e.address,
        "status": e.status,
        "categories": e.categories,
        "credit_class": e.credit_class,
        "abnormal_list": e.abnormal_list,
        "serious_violation": e.serious_violation,
        "sources": e.sources,
        "active": e.active,
    }


@bp.get("/entities")
@requires(*READERS)
def list_entities():
    """Entities, paged by ``after`` (an entity_id); filters: district, category."""
    items = [
        _entity_json(e)
        for e in queries.entity_page(
            appctx.database(),
            _limit(),
            request.args.get("after"),
            request.args.get("district"),
            request.args.get("category"),
        )
    ]
    return jsonify({"items": items, "next": items[-1]["entity_id"] if items else None})


@bp.get("/entities/<entity_id>")
@requires(*READERS)
def get_entity(entity_id: str):
    """One entity of the master."""
    return jsonify(_entity_json(queries.get_entity(appctx.database(), entity_id)))


@bp.get("/inspectors")
@requires(*READERS)
def list_inspectors():
    """The inspector roster; filter by agency."""
    return jsonify(
        [
            {
                "inspector_id": i.inspector_id,
                "name": i.name,
                "agency": i.agency,
                "cert_no": i.cert_no,
                "cert_valid_until": i.cert_valid_until.isoformat() if i.cert_valid_until else None,
                "expertise": i.expertise,
                "home_districts": i.home_districts,
                "capacity": i.capacity,
                "active": i.active,
            }
            for i in queries.inspectors_of(appctx.database(), request.args.get("agency"))
        ]
    )


@bp.get("/quarantine")
@requires(*READERS)
def list_quarantine():
    """Records held back by validation, with their reasons."""
    return jsonify(
        [
            {
                "source": q.source,
                "record_key": q.record_key,
                "reason": q.reason,
                "raw": q.raw,
                "received_at": q.received_at.isoformat() + "Z",
            }
            for q in queries.quarantined(appctx.database(), _limit())
        ]
    )


@bp.get("/exports/<kind>")
@requires(*READERS)
def export(kind: str):
    """The same exports as `hub export`: ?format=csv|json."""
    fmt = request.args.get("format", "json")
    if fmt not in ("csv", "json"):
        raise InvalidInput(f"format {fmt!r} is not csv or json", where="format")
    chunks = queries.export_chunks(appctx.database(), kind, fmt)  # an unknown kind is a 400 here
    mime = "text/csv; charset=utf-8" if fmt == "csv" else "application/json"
    return Response(stream_with_context(chunks), mimetype=mime)
