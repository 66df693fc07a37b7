"""The figures of the overview page, read in one unit of work.

The roster figures (totals, entities by category and district) scan the whole roster, so they are
kept per process and computed again only when a sync run has finished or an entity was added
since, or after ``FIGURES_SECONDS``; the runs themselves are read on every request."""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from hub.db import Database
from hub.reports.rosters import entity_counts, inspector_counts, totals
from hub.rosters.models import Entity, SyncRun
from hub.rosters.sync import last_runs

#: the longest the roster figures are kept, whatever happened
FIGURES_SECONDS = 300


@dataclass(frozen=True)
class Overview:
    runs: list[SyncRun]
    latest: dict[str, SyncRun]  # the last run of each source
    totals: Any
    entity_counts: list[tuple[str, str, int]]
    inspector_counts: Any


@dataclass(frozen=True)
class _Figures:
    stamp: tuple[Any, ...]
    at: float
    totals: Any
    entity_counts: list[tuple[str, str, int]]
    inspector_counts: Any


_kept: weakref.WeakKeyDictionary[Any, _Figures] = weakref.WeakKeyDictionary()  # by engine
_lock = threading.Lock()


def overview(db: Database, runs: int = 50) -> Overview:
    with db.unit_of_work() as s:
        recent = last_runs(s, runs)
        latest: dict[str, SyncRun] = {}
        for run in recent:
            latest.setdefault(run.source, run)
        # the roster changes when a run finishes (or an entity is added): the stamp of the figures
        stamp = (
            *s.execute(select(func.max(SyncRun.id), func.max(SyncRun.finished_at))).one(),
            s.scalar(select(func.max(Entity.id))),
        )
    figures = _figures(db, stamp)
    return Overview(recent, latest, figures.totals, figures.entity_counts, figures.inspector_counts)


def _figures(db: Database, stamp: tuple[Any, ...]) -> _Figures:
    key = db.engine
    with _lock:  # one computation at a time; the others wait for it and share it
        kept = _kept.get(key)
        if kept is not None and kept.stamp == stamp and time.monotonic() - kept.at < FIGURES_SECONDS:
            return kept
        with db.unit_of_work() as s:
            fresh = _Figures(stamp, time.monotonic(), totals(s), entity_counts(s), inspector_counts(s))
        _kept[key] = fresh
        return fresh
