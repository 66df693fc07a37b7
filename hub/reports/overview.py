"""The figures of the overview page, read in one unit of work."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hub.db import Database
from hub.reports.rosters import entity_counts, inspector_counts, totals
from hub.rosters.models import SyncRun
from hub.rosters.sync import last_runs


@dataclass(frozen=True)
class Overview:
    runs: list[SyncRun]
    latest: dict[str, SyncRun]  # the last run of each source
    totals: Any
    entity_counts: list[tuple[str, str, int]]
    inspector_counts: Any


def overview(db: Database, runs: int = 50) -> Overview:
    with db.unit_of_work() as s:
        recent = last_runs(s, runs)
        latest: dict[str, SyncRun] = {}
        for run in recent:
            latest.setdefault(run.source, run)
        return Overview(recent, latest, totals(s), entity_counts(s), inspector_counts(s))
