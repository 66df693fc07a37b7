"""Reading the outbox for pages and the API: counts per state and the newest messages."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import ColumnElement, func, select

from hub.db import Database
from hub.errors import InvalidInput
from hub.keyset import capped_count, read_page
from hub.outbox.models import OutboxMessage
from hub.outbox.states import MessageState
from hub.paging import Cursor, Page

MESSAGE_STATES = tuple(MessageState)


def check_state(state: str | None) -> str | None:
    """``state`` when it is a message state (or empty); InvalidInput naming the choices otherwise."""
    if state and state not in MESSAGE_STATES:
        raise InvalidInput(f"{state!r} is not one of {', '.join(MESSAGE_STATES)}", where="state")
    return state or None


def counts_by_state(db: Database, seen: ColumnElement[bool] | None = None) -> Counter[str]:
    """Messages per state (of those ``seen`` keeps, e.g. hub.results.visibility.outbox_filter)."""
    q = select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
    if seen is not None:
        q = q.where(seen)
    with db.unit_of_work() as s:
        return Counter({state: n for state, n in s.execute(q)})


def newest_messages(
    db: Database, state: str | None = None, limit: int = 200, seen: ColumnElement[bool] | None = None
) -> list[OutboxMessage]:
    """The newest messages first, in ``state`` when given (of those ``seen`` keeps)."""
    q = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if seen is not None:
        q = q.where(seen)
    if check_state(state):
        q = q.where(OutboxMessage.state == state)
    with db.unit_of_work() as s:
        return list(s.scalars(q))


def message_page(
    db: Database,
    state: str | None,
    sink: str,
    cursor: Cursor | None,
    limit: int,
    seen: ColumnElement[bool] | None = None,
) -> Page[OutboxMessage]:
    """Messages newest first, by state and sink (of those ``seen`` keeps); every one reachable by paging."""
    q = select(OutboxMessage)
    if seen is not None:
        q = q.where(seen)
    if check_state(state):
        q = q.where(OutboxMessage.state == state)
    if sink:
        q = q.where(OutboxMessage.sink == sink)
    with db.unit_of_work() as s:
        return read_page(s, q, [OutboxMessage.id], cursor, limit, descending=True, row_key=lambda m: (m.id,))


def capped_counts_by_state(
    db: Database, sink: str = "", seen: ColumnElement[bool] | None = None
) -> dict[str, tuple[int, bool]]:
    """Messages per state as (n, capped): each count stops at COUNT_CAP, read from the (state, id)
    index, so a page header never scans the whole outbox."""
    out: dict[str, tuple[int, bool]] = {}
    with db.unit_of_work() as s:
        for state in MESSAGE_STATES:
            q = select(OutboxMessage.id).where(OutboxMessage.state == state)
            if sink:
                q = q.where(OutboxMessage.sink == sink)
            if seen is not None:
                q = q.where(seen)
            out[state] = capped_count(s, q)
    return out
