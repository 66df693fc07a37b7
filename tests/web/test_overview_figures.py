"""The overview's roster figures are kept until a sync run finishes (they scan the whole roster)."""

from __future__ import annotations

import re

from sqlalchemy import update

from hub.clock import utcnow
from hub.rosters.models import Entity, SyncRun


def _total(client) -> int:  # type: ignore[no-untyped-def]
    html = client.get("/").get_data(as_text=True)
    return int(re.search(r'id="total-entities">(\d+)<', html).group(1))  # type: ignore[union-attr]


def _add(db, entity_id: str) -> None:  # type: ignore[no-untyped-def]
    with db.unit_of_work() as s:
        s.add(Entity(entity_id=entity_id, name=entity_id, categories=["hotel"], sources=["samr"], active=True))


def test_figures_are_recomputed_when_a_sync_run_finishes(db, client) -> None:  # type: ignore[no-untyped-def]
    _add(db, "E1")
    assert _total(client) == 1
    _add(db, "E2")
    assert _total(client) == 2  # an entity was added
    with db.unit_of_work() as s:
        s.execute(update(Entity).where(Entity.entity_id == "E1").values(active=False))
    assert _total(client) == 2  # kept: no run finished since (runs change the roster)
    with db.unit_of_work() as s:
        s.add(SyncRun(source="samr", kind="samr-rest", outcome="ok", finished_at=utcnow()))
    assert _total(client) == 1
