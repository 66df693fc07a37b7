"""The sinks as an admin sees them: messages per sink and state, and requeueing rejected messages
after the cause was corrected (a confirmed step; admins and coordinators only, checked here)."""

from __future__ import annotations

from collections.abc import Iterable

from hub.auth.principal import Principal
from hub.auth.roles import require_role
from hub.db import Database
from hub.errors import InvalidInput
from hub.outbox.delivery import requeue_rejected
from hub.outbox.queries import capped_counts_by_state

REQUEUERS = ("admin", "coordinator")


def sink_states(db: Database, principal: Principal, sinks: Iterable[str]) -> dict[str, dict[str, tuple[int, bool]]]:
    """Messages per sink and state, each count capped (hub.keyset.COUNT_CAP)."""
    require_role(principal, ("admin",), "推送目标")
    return {sink: capped_counts_by_state(db, sink) for sink in sinks}


def requeue(db: Database, principal: Principal, sink: str | None, ids: list[int] | None, confirmed: bool) -> int:
    """Send the rejected messages of ``sink`` (or those ``ids``) again; refused unless confirmed."""
    require_role(principal, REQUEUERS, "被拒收的消息")
    if not confirmed:
        raise InvalidInput(
            "请先勾选确认：这些消息的问题已经改正 (confirm that the cause was corrected)", where="confirm"
        )
    return requeue_rejected(db, ids=ids or None, sink_name=sink or None, actor=principal.name)
