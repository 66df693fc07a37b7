"""The machine-readable twins of the notices (pure): JSON documents and CSV rows, the same columns as
the pages, dates in ISO 8601, lists joined by ';' in CSV (as `hub export` does)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any

ITEM_COLUMNS = (
    "agency",
    "authority",
    "code",
    "name",
    "sub_items",
    "legal_basis",
    "subject",
    "ratio",
    "frequency",
    "method",
    "inspector_requirements",
    "content",
    "notes",
)
TASK_COLUMNS = ("task_id", "title", "lead", "agencies", "state", "window", "items", "quotas", "delivered")
PLAN_COLUMNS = ("plan_id", "year", "lead", "title", "entries", "published_on")
PLAN_ENTRY_COLUMNS = (
    "plan_id",
    "year",
    "lead",
    "plan_title",
    "entry_id",
    "title",
    "agencies",
    "items",
    "population",
    "ratio",
    "months",
)
RESULT_COLUMNS = (
    "result_id",
    "task_id",
    "task_title",
    "entity_id",
    "uscc",
    "entity_name",
    "district",
    "agency",
    "inspected_on",
    "outcome_codes",
    "outcome_texts",
    "inspectors",
    "findings",
    "published_on",
    "amends",
    "superseded",
)


def plain(value: Any) -> Any:
    """A value as JSON holds it: dates ISO 8601 (datetimes in UTC with Z), containers recursively."""
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def json_document(rows: Sequence[dict[str, Any]], columns: Sequence[str], **meta: Any) -> bytes:
    body = {k: plain(v) for k, v in meta.items()} | {"rows": [{c: plain(r.get(c)) for c in columns} for r in rows]}
    return json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8")


def cell(value: Any) -> str:
    """One CSV cell: lists joined by ';', mappings as JSON, dates ISO, None empty."""
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(cell(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def csv_lines(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> Iterator[bytes]:
    """CSV with a header, UTF-8 with a BOM (so spreadsheet programs read the Chinese), line by line."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([cell(row.get(c)) for c in columns])
        yield buffer.getvalue().encode("utf-8")


def json_line(row: dict[str, Any], columns: Sequence[str]) -> bytes:
    """One JSON Lines record (a year's download)."""
    return json.dumps({c: plain(row.get(c)) for c in columns}, ensure_ascii=False).encode("utf-8") + b"\n"
