"""Annual plans (抽查计划公告) as the portal shows them, behind an interface: the plans package ("workspace",
migration 0009_plans) was not on main when the portal was built. Wiring it is one line: register its reader
(``register_plan_reader(hub.plans.queries.<published plans>)``, from here: the portal sits above the domain
packages); until then the portal publishes no plan and says so.

A published plan is a mapping shaped like the provincial platform's joint-plan message (interfaces.md):
``plan_id, year, lead, title, entries: [{entry_id, title, agencies, items, population, ratio, months}]``,
plus ``published_on`` (a date) and ``updated_at`` (a datetime).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hub.db import Database

PlanReader = Callable[[Database], list[dict[str, Any]]]
_readers: list[PlanReader] = []


def register_plan_reader(reader: PlanReader) -> None:
    """Called by the plans package at import: ``reader(db)`` returns the published plans, newest first."""
    _readers.append(reader)


def published_plans(db: Database) -> list[dict[str, Any]] | None:
    """The published annual plans, or None when no plans package is installed."""
    if not _readers:
        return None
    return [plan for reader in _readers for plan in reader(db)]
