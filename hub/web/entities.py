"""The entity roster in the browser: search by name or credit-code prefix, filters, keyset pages,
and one entity's page with its inspections across agencies. Who may read it: hub.rosters.queries."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from hub import appctx
from hub.auth.access import current_principal, requires
from hub.auth.principal import Principal
from hub.display import CATEGORIES, DISTRICTS
from hub.results.queries import entity_history
from hub.rosters.queries import ENTITY_READERS, EntityFilter, entity_detail, entity_list, roster_sources
from hub.web.pageargs import page_args

bp = Blueprint("entities", __name__, url_prefix="/entities")


@bp.route("/")
@requires(*ENTITY_READERS)
def index():
    cursor, limit = page_args((str,))
    a = request.args
    status = a.get("status", "active")
    f = EntityFilter(
        name=a.get("name", ""),
        uscc=a.get("uscc", ""),
        district=a.get("district", ""),
        category=a.get("category", ""),
        source=a.get("source", ""),
        active={"active": True, "inactive": False}.get(status),
    )
    db = appctx.database()
    page = entity_list(db, _principal(), f, cursor, limit)
    return render_template(
        "entities.html",
        page=page,
        f=f,
        status=status,
        districts=DISTRICTS,
        categories=CATEGORIES,
        sources=roster_sources(db),
    )


@bp.route("/<entity_id>")
@requires(*ENTITY_READERS)
def detail(entity_id: str):
    principal = _principal()
    db = appctx.database()
    entity = entity_detail(db, principal, entity_id)
    return render_template("entity.html", e=entity, history=entity_history(db, principal, entity_id))


def _principal() -> Principal:
    principal = current_principal()
    assert principal is not None  # @requires let the request through
    return principal
