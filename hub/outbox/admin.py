"""The sinks as an admin sees them: messages per sink and state, and requeueing rejected messages
after the cause was corrected (a confirmed step; admins and coordinators only, checked here)."""

from __future__ import annotations

from sqlalchemy import func, select

from hub.auth.principal import Principal
from hub.auth.roles import require_role
from hub.db import Database
from hub.errors import InvalidInput
from hub.outbox.delivery import requeue_rejected
from hub.outbox.models import OutboxMessage

REQUEUERS = ("admin", "coordinator")


def sink_states(db: Database, principal: Principal) -> dict[str, dict[str, int]]:
    """Messages per sink and state."""
    require_role(principal, ("admin",), "推送目标")
    with db.unit_of_work() as s:
        out: dict[str, dict[str, int]] = {}
        q = select(OutboxMessage.sink, OutboxMessage.state, func.count()).group_by(
            OutboxMessage.sink, OutboxMessage.state
        )
        for sink, state, n in s.execute(q):
            out.setdefault(sink, {})[state] = n
        return out


def requeue(db: Database, principal: Principal, sink: str | None, ids: list[int] | None, confirmed: bool) -> int:
    """Send the rejected messages of ``sink`` (or those ``ids``) again; refused unless confirmed."""
    require_role(principal, REQUEUERS, "被拒收的消息")
    if not confirmed:
        raise InvalidInput(
            "请先勾选确认：这些消息的问题已经改正 (confirm that the cause was corrected)", where="confirm"
        )
    return requeue_rejected(db, ids=ids or None, sink_name=sink or None, actor=principal.name)
