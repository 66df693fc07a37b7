"""How one source's record folds into the entity master (pure).

A source's non-empty values replace what is stored; categories and sources
accumulate across sources, so a school known to EDU and SAMR carries both.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

MASTER_FIELDS = ("uscc", "name", "entity_type", "legal_rep", "phone", "address", "district",
                 "industry", "status", "credit_class", "abnormal_list", "serious_violation")


def merge_entity(existing: Mapping[str, Any] | None, entity_id: str, source: str,
                 fields: Mapping[str, Any]) -> dict[str, Any]:
    """The entity row after ``source`` said ``fields`` about ``entity_id``."""
    row: dict[str, Any] = dict(existing) if existing else {
        "entity_id": entity_id, "categories": [], "sources": [], "abnormal_list": False,
        "serious_violation": False, "status": "active", "complaints": 0}
    for name in MASTER_FIELDS:
        value = fields.get(name)
        if value is not None and value != "":
            row[name] = value
    est = fields.get("established")
    if est:
        row["established"] = date.fromisoformat(est) if isinstance(est, str) else est
    row["categories"] = sorted(set(row.get("categories") or []) | set(fields.get("categories") or []))
    row["sources"] = sorted(set(row.get("sources") or []) | {source})
    row["active"] = True
    return row
