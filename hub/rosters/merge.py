"""How one source's record folds into the entity master (pure).

A source's non-empty values replace what is stored; categories and sources
accumulate across sources, so a school known to EDU and SAMR carries both.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

MASTER_FIELDS = (
    "uscc",
    "name",
    "entity_type",
    "legal_rep",
    "phone",
    "address",
    "district",
    "industry",
    "status",
    "credit_class",
    "abnormal_list",
    "serious_violation",
)


NEW_ENTITY = {
    "categories": [],
    "sources": [],
    "abnormal_list": False,
    "serious_violation": False,
    "status": "active",
    "complaints": 0,
}


def merge_entity(
    existing: Mapping[str, Any] | None,
    entity_id: str,
    source: str,
    fields: Mapping[str, Any],
    blank: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The entity row after ``source`` said ``fields`` about ``entity_id``. A new entity starts
    from ``blank`` (e.g. every column set to None) with NEW_ENTITY's defaults.
    (Written for speed: a sync merges every changed record.)"""
    if existing:
        row = dict(existing)
    else:
        row = dict(blank) if blank else {}
        row.update(NEW_ENTITY)
        row["entity_id"] = entity_id
    get = fields.get
    for name in MASTER_FIELDS:
        value = get(name)
        if value is not None and value != "":
            row[name] = value
    est = get("established")
    if est:
        row["established"] = date.fromisoformat(est) if isinstance(est, str) else est
    old, new = row.get("categories"), get("categories")
    row["categories"] = sorted(set(old).union(new or ())) if old else sorted(set(new)) if new else []
    old = row.get("sources")
    row["sources"] = sorted(set(old).union((source,))) if old else [source]
    row["active"] = True
    return row
