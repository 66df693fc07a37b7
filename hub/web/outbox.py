"""The outbox in the browser: every message reachable by paging, filtered by state and sink; each
caller sees the messages of the results they may see (hub.results.visibility)."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from hub import appctx
from hub.auth.access import current_principal, requires
from hub.outbox.queries import MESSAGE_STATES, capped_counts_by_state, message_page
from hub.results.visibility import outbox_filter
from hub.web.pageargs import page_args

bp = Blueprint("outbox", __name__, url_prefix="/outbox")


@bp.route("/")
@requires("coordinator", "reviewer", "auditor", "liaison")
def index():
    principal = current_principal()
    assert principal is not None
    cursor, limit = page_args((int,))
    state, sink = request.args.get("state", ""), request.args.get("sink", "")
    seen = outbox_filter(principal)
    db = appctx.database()
    page = message_page(db, state, sink, cursor, limit, seen)
    return render_template(
        "outbox.html",
        page=page,
        state=state,
        sink=sink,
        states=MESSAGE_STATES,
        sinks=sorted(appctx.settings().sinks),
        counts=capped_counts_by_state(db, "", seen),
        may_requeue=principal.has("coordinator"),
    )
