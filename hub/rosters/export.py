"""`hub export` and the API's exports: rows streamed from the database as CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.errors import InvalidInput
from hub.rosters.models import Entity, Inspector, QuarantineRecord

COLUMNS: dict[str, list[str]] = {
    "entities": [
        "entity_id",
        "uscc",
        "name",
        "entity_type",
        "district",
        "address",
        "status",
        "categories",
        "credit_class",
        "abnormal_list",
        "serious_violation",
        "sources",
        "active",
    ],
    "inspectors": [
        "inspector_id",
        "name",
        "agency",
        "cert_no",
        "cert_valid_until",
        "expertise",
        "home_districts",
        "active",
    ],
    "quarantine": ["source", "record_key", "reason", "received_at"],
}
_MODELS = {
    "entities": (Entity, Entity.entity_id),
    "inspectors": (Inspector, Inspector.inspector_id),
    "quarantine": (QuarantineRecord, QuarantineRecord.id),
}
#: kinds added by later flows: name -> (columns, row iterator)
EXTRA_KINDS: dict[str, tuple[list[str], Callable[[Session], Iterator[dict[str, Any]]]]] = {}


def kinds() -> list[str]:
    return [*COLUMNS, *EXTRA_KINDS]


def rows(session: Session, kind: str) -> tuple[list[str], Iterator[dict[str, Any]]]:
    if kind not in COLUMNS:
        raise InvalidInput(f"{kind!r} is not one of {', '.join(kinds())}", where="export")
    model, order = _MODELS[kind]
    cols = COLUMNS[kind]

    def gen() -> Iterator[dict[str, Any]]:
        for obj in session.scalars(select(model).order_by(order).execution_options(yield_per=2000)):
            yield {c: getattr(obj, c) for c in cols}

    return cols, gen()


def columns_and_rows(session: Session, kind: str) -> tuple[list[str], Iterator[dict[str, Any]]]:
    if kind in EXTRA_KINDS:
        cols, fn = EXTRA_KINDS[kind]
        return cols, fn(session)
    return rows(session, kind)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ";".join(str(v) for v in value)
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat() + "Z"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# A spreadsheet runs a cell starting with one of these as a formula (=cmd|' /C calc'!A0): CSV injection.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(cell: str) -> str:
    """The cell with a leading ' when a spreadsheet would take it for a formula (OWASP's advice), else as is.

    Every CSV export goes through here (entities, inspectors, quarantine, results, items); JSON needs none."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat() + "Z"
    if isinstance(value, date):
        return value.isoformat()
    return value


def render(cols: list[str], data: Iterator[dict[str, Any]], fmt: str) -> Iterator[str]:
    """Yield the export text in chunks (CSV with a header row, or a JSON array)."""
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(cols)
        for i, row in enumerate(data):
            writer.writerow([neutralise_formula(_cell(row.get(c))) for c in cols])
            if i % 1000 == 999:
                yield buf.getvalue()
                buf.seek(0)
                buf.truncate()
        yield buf.getvalue()
    elif fmt == "json":
        yield "["
        for i, row in enumerate(data):
            item = {c: _json_value(row.get(c)) for c in cols}
            yield ("," if i else "") + "\n" + json.dumps(item, ensure_ascii=False)
        yield "\n]\n"
    else:
        raise InvalidInput(f"format {fmt!r} is not csv or json", where="--format")
