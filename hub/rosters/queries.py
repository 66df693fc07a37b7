"""Reading the rosters for pages and the API: runs, entities, inspectors, quarantine, exports.

The services own the queries and their units of work; views only check parameters and render.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select

from hub.db import Database
from hub.errors import NotFound
from hub.rosters.export import columns_and_rows, render
from hub.rosters.models import Entity, Inspector, QuarantineRecord, SyncRun


def recent_runs(db: Database, limit: int) -> list[SyncRun]:
    """The latest sync runs, newest first."""
    with db.unit_of_work() as s:
        return list(s.scalars(select(SyncRun).order_by(SyncRun.id.desc()).limit(limit)))


def entity_page(
    db: Database, limit: int, after: str | None = None, district: str | None = None, category: str | None = None
) -> list[Entity]:
    """Entities by id after ``after``; ``district`` and ``category`` filter (category within the page)."""
    q = select(Entity).order_by(Entity.entity_id).limit(limit)
    if after:
        q = q.where(Entity.entity_id > after)
    if district:
        q = q.where(Entity.district == district)
    with db.unit_of_work() as s:
        rows = list(s.scalars(q))
    return [e for e in rows if category in (e.categories or ())] if category else rows


def get_entity(db: Database, entity_id: str) -> Entity:
    with db.unit_of_work() as s:
        e = s.scalar(select(Entity).where(Entity.entity_id == entity_id))
        if e is None:
            raise NotFound(f"no entity {entity_id!r}", where="entity_id")
        return e


def inspectors_of(db: Database, agency: str | None = None) -> list[Inspector]:
    """The inspector roster by id; ``agency`` filters."""
    q = select(Inspector).order_by(Inspector.inspector_id)
    if agency:
        q = q.where(Inspector.agency == agency)
    with db.unit_of_work() as s:
        return list(s.scalars(q))


def quarantined(db: Database, limit: int) -> list[QuarantineRecord]:
    """Records held back by validation, newest first."""
    with db.unit_of_work() as s:
        return list(s.scalars(select(QuarantineRecord).order_by(QuarantineRecord.id.desc()).limit(limit)))


def export_chunks(db: Database, kind: str, fmt: str) -> Iterator[str]:
    """The export text of ``kind``; the kind is checked now (InvalidInput), the rows read as it streams."""
    with db.unit_of_work() as s:
        columns_and_rows(s, kind)

    def chunks() -> Iterator[str]:
        with db.unit_of_work() as s:
            cols, data = columns_and_rows(s, kind)
            yield from render(cols, data, fmt)

    return chunks()
