"""Reading the rosters for pages and the API: runs, entities, inspectors, quarantine, exports.

The services own the queries and their units of work; views only check parameters and render.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, exists, func, select

from hub.auth.principal import Principal
from hub.auth.roles import require_role
from hub.db import Database
from hub.errors import InvalidInput, NotFound
from hub.keyset import COUNT_CAP, read_page
from hub.paging import Cursor, Page
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


# ------------------------------------------------------------------ paged lists for the pages

#: who may read the entity roster in the browser (it holds legal representatives and phones)
ENTITY_READERS = ("coordinator", "liaison", "reviewer", "auditor")
_USCC_PREFIX = re.compile(r"[0-9A-Z]{1,18}")
#: the count's cap when rows are matched one by one (docs/performance.md)
SCAN_COUNT_CAP = 500


@dataclass(frozen=True)
class EntityFilter:
    """What the entity list is narrowed to; every field optional."""

    name: str = ""  # a substring of the name
    uscc: str = ""  # a prefix of the credit code (entity_id)
    district: str = ""
    category: str = ""
    source: str = ""
    active: bool | None = True


def check_entity_filter(f: EntityFilter) -> EntityFilter:
    """The filter with its values checked: InvalidInput naming the field."""
    uscc = f.uscc.strip().upper()
    if uscc and not _USCC_PREFIX.fullmatch(uscc):
        raise InvalidInput(
            "统一社会信用代码前缀只能由数字和大写字母组成，最多 18 位 (uscc prefix: 0-9 A-Z)", where="uscc"
        )
    name = f.name.strip()
    if len(name) > 100:
        raise InvalidInput("名称关键字最多 100 个字 (name: at most 100 characters)", where="name")
    for field_name in ("district", "category", "source"):
        value = getattr(f, field_name)
        if len(value) > 64 or any(c in value for c in "%_\\\"'"):
            raise InvalidInput("筛选值无效 (not a valid value)", where=field_name)
    return EntityFilter(name, uscc, f.district.strip(), f.category.strip(), f.source.strip(), f.active)


def _json_has(column: Any, value: str, dialect: str) -> ColumnElement[bool]:
    """The JSON array ``column`` holds ``value`` (jsonb containment on PostgreSQL, json_each on SQLite)."""
    if dialect == "postgresql":
        return column.op("@>")(func.jsonb_build_array(value))
    each = func.json_each(column).table_valued("value").alias("each_value")
    return exists(select(each.c.value).where(each.c.value == value))


def _prefix_range(prefix: str) -> tuple[str, str]:
    """[prefix, successor): the keys starting with ``prefix`` as a range an index serves."""
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)


def entity_list(db: Database, principal: Principal, f: EntityFilter, cursor: Cursor | None, limit: int) -> Page[Entity]:
    """A page of entities by entity_id, filtered; only the roster's readers may list it."""
    require_role(principal, ENTITY_READERS, "检查对象名录")
    f = check_entity_filter(f)
    with db.unit_of_work() as s:
        dialect = s.get_bind().dialect.name
        q = select(Entity)
        if f.active is not None:
            q = q.where(Entity.active == f.active)
        if f.uscc:
            low, high = _prefix_range(f.uscc)
            q = q.where(Entity.entity_id >= low, Entity.entity_id < high)
        if f.name:
            escaped = f.name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            q = q.where(Entity.name.like(f"%{escaped}%", escape="\\"))
        if f.district:
            q = q.where(Entity.district == f.district)
        if f.category:
            q = q.where(_json_has(Entity.categories, f.category, dialect))
        if f.source:
            q = q.where(_json_has(Entity.sources, f.source, dialect))
        # a name part, a category or a source is matched row by row where no index serves it (SQLite,
        # or PostgreSQL without pg_trgm): the count stops sooner there
        cap = SCAN_COUNT_CAP if (f.name or f.category or f.source) else COUNT_CAP
        return read_page(s, q, [Entity.entity_id], cursor, limit, row_key=lambda e: (e.entity_id,), cap=cap)


def entity_detail(db: Database, principal: Principal, entity_id: str) -> Entity:
    """One entity, for the roster's readers."""
    require_role(principal, ENTITY_READERS, "检查对象名录")
    return get_entity(db, entity_id)


def quarantine_page(
    db: Database, principal: Principal, source: str, search: str, cursor: Cursor | None, limit: int
) -> Page[QuarantineRecord]:
    """Quarantined records, newest first, by source and a record-key prefix; every one reachable."""
    require_role(principal, ("coordinator", "liaison", "auditor"), "隔离区")
    with db.unit_of_work() as s:
        q = select(QuarantineRecord)
        if source:
            q = q.where(QuarantineRecord.source == source)
        if search:
            low, high = _prefix_range(search)
            q = q.where(QuarantineRecord.record_key >= low, QuarantineRecord.record_key < high)
        return read_page(s, q, [QuarantineRecord.id], cursor, limit, descending=True, row_key=lambda r: (r.id,))


def roster_sources(db: Database) -> list[str]:
    """The sources that have sent records (for the source filter)."""
    with db.unit_of_work() as s:
        return sorted(s.scalars(select(SyncRun.source).distinct()))
