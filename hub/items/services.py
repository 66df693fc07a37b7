"""Item lists: import from a file or the API, list, export."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.audit.log import record as audit
from hub.clock import utcnow
from hub.db import Database, upsert
from hub.errors import InvalidInput
from hub.items.models import Item
from hub.text_files import decode

FIELDS = (
    "agency",
    "code",
    "name",
    "legal_basis",
    "subject",
    "content",
    "method",
    # optional: the rest of the published columns (documents.md, "The item list (一单), as published")
    "sub_items",
    "ratio",
    "frequency",
    "inspector_requirements",
    "notes",
)
REQUIRED = ("agency", "code", "name")


def read_items_file(path: Path) -> list[dict[str, Any]]:
    """Items from a JSON array or a CSV with the FIELDS header (UTF-8 or GB18030)."""
    data = path.read_bytes()
    if path.suffix.lower() == ".json":
        try:
            items = json.loads(data)
        except ValueError as exc:
            raise InvalidInput(f"not valid JSON: {exc}", where=str(path)) from None
        if not isinstance(items, list):
            raise InvalidInput("must be a JSON array of items", where=str(path))
        return items
    try:
        text = decode(data)
    except ValueError as exc:
        raise InvalidInput(str(exc), where=str(path)) from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [f for f in REQUIRED if f not in (reader.fieldnames or [])]
    if missing:
        raise InvalidInput(f"the header lacks {', '.join(missing)}", where=f"{path}: line 1")
    return [dict(row, _line=n) for n, row in enumerate(reader, start=2)]


def import_items(db: Database, items: Sequence[Mapping[str, Any]], actor: str) -> int:
    """Validate every item first; store all or none."""
    rows = []
    for i, item in enumerate(items, start=1):
        where = f"line {item['_line']}" if "_line" in item else f"item {i}"
        if not isinstance(item, Mapping):
            raise InvalidInput("must be an object", where=where)
        for f in REQUIRED:
            if not str(item.get(f) or "").strip():
                raise InvalidInput(f"{f} is required", where=where)
        rows.append({f: str(item.get(f) or "").strip() for f in FIELDS} | {"published": True, "updated_at": utcnow()})
    codes = [r["code"] for r in rows]
    if len(set(codes)) != len(codes):
        dup = next(c for c in codes if codes.count(c) > 1)
        raise InvalidInput(f"item code {dup!r} appears twice", where="code")
    with db.unit_of_work() as s:
        upsert(
            s,
            Item.__table__,
            rows,
            keys=["code"],
            update=[f for f in FIELDS if f != "code"] + ["published", "updated_at"],
        )
        audit(s, actor, "items.import", "items", details={"codes": codes})
    return len(rows)


def list_items(s: Session, agency: str | None = None) -> list[dict[str, Any]]:
    q = select(Item).where(Item.published).order_by(Item.agency, Item.code)
    if agency:
        q = q.where(Item.agency == agency)
    return [{f: getattr(i, f) for f in FIELDS} for i in s.scalars(q)]


def published_items(db: Database, agency: str | None = None) -> list[dict[str, Any]]:
    """The published item lists (抽查事项清单), by agency and code; ``agency`` filters."""
    with db.unit_of_work() as s:
        return list_items(s, agency)


def _export_rows(s: Session) -> Iterator[dict[str, Any]]:
    yield from list_items(s)


def register_export() -> None:
    from hub.rosters.export import EXTRA_KINDS

    EXTRA_KINDS["items"] = (list(FIELDS), _export_rows)


register_export()
