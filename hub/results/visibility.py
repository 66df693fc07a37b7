"""What a caller may see of results and of the outbox, as query filters (the rule: hub.results.access)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, false, or_, select

from hub.auth.principal import Principal
from hub.draw.models import AssignmentInspector
from hub.outbox.models import OutboxMessage
from hub.results.access import acting, sees_everything
from hub.results.models import Result


def result_filter(who: Principal | str) -> ColumnElement[bool] | None:
    """A WHERE clause on ``Result`` keeping what ``who`` may see; None when they see everything."""
    caller = acting(who)
    if sees_everything(caller):
        return None
    visible: list[ColumnElement[bool]] = []
    if "liaison" in caller.roles and caller.agency:
        visible.append(Result.agency == caller.agency)
    if "inspector" in caller.roles and caller.inspector_id:
        visible.append(
            exists().where(
                AssignmentInspector.task_id == Result.task_id,
                AssignmentInspector.entity_id == Result.entity_id,
                AssignmentInspector.inspector_id == caller.inspector_id,
            )
        )
    return or_(*visible) if visible else false()


def outbox_filter(who: Principal | str) -> ColumnElement[bool] | None:
    """A WHERE clause on ``OutboxMessage``: the messages of the results ``who`` may see (None: all)."""
    results = result_filter(who)
    if results is None:
        return None
    return and_(OutboxMessage.kind == "result", OutboxMessage.key.in_(select(Result.result_id).where(results)))
