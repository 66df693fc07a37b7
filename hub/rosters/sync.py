"""A sync run: pull one configured source, apply its batches, record the run.

Each batch and its bookmark commit together, so a run killed part-way leaves the
master consistent and the next run resumes from the last stored bookmark. A source
marked ``atomic`` (a snapshot feed) applies in one transaction: all or nothing.
"""

from __future__ import annotations

import gc
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from connectors.base import Batch, ConnectorError, Source
from hub.clock import utcnow
from hub.config import Settings
from hub.connections import build_source
from hub.db import Database
from hub.errors import NotFound, UpstreamError
from hub.rosters.apply import (
    Counts,
    PreparedEntities,
    apply_inspectors,
    deactivate_missing_entities,
    deactivate_missing_inspectors,
    precheck,
    stage_entities,
    stage_prepared,
)
from hub.rosters.known import KnownDigests
from hub.rosters.models import SourceState, SyncRun
from hub.rosters.prefetch import DEPTH, prefetched
from hub.rosters.stage import EntityStage

log = logging.getLogger(__name__)
Progress = Callable[[SyncRun, Counts, str], None]


def make_source_for(settings: Settings, name: str, http: Any = None) -> Source:
    cfg = settings.sources.get(name)
    if cfg is None:
        known = ", ".join(sorted(settings.sources)) or "none configured"
        raise NotFound(f"no source named {name!r} (known: {known})", where="hub sync")
    source = build_source(cfg)
    if http is not None:
        source.http = http
    return source


def _load_state(session: Session, name: str) -> dict[str, Any]:
    row = session.get(SourceState, name)
    if row is None or not row.bookmark:
        return {}
    return json.loads(row.bookmark)


def _save_state(session: Session, name: str, bookmark: dict[str, Any] | None) -> None:
    if bookmark is None:
        return
    row = session.get(SourceState, name) or SourceState(source=name)
    state = json.loads(row.bookmark) if row.bookmark else {}
    state.update(bookmark)
    row.bookmark = json.dumps(state, ensure_ascii=False, sort_keys=True)
    row.updated_at = utcnow()
    session.add(row)


def _start_run(db: Database, name: str, kind: str, full: bool) -> SyncRun:
    with db.unit_of_work() as s:
        # A run left 'running' by a killed process is over: say so.
        s.execute(
            update(SyncRun)
            .where(SyncRun.source == name, SyncRun.outcome == "running")
            .values(outcome="interrupted", finished_at=utcnow(), error="the process stopped before the run finished")
        )
        run = SyncRun(source=name, kind=kind, full=full, started_at=utcnow(), outcome="running")
        s.add(run)
    return run


def _finish_run(db: Database, run: SyncRun, counts: Counts, outcome: str, error: str | None) -> SyncRun:
    with db.unit_of_work() as s:
        row = s.get(SyncRun, run.id)
        assert row is not None
        for k, v in counts.as_dict().items():
            setattr(row, k, v)
        row.outcome, row.error, row.finished_at = outcome, error, utcnow()
    return row


class _Applier:
    """Applies batches of one run; keeps what a snapshot needs to know at the end. Entity records are
    staged and merged in bulk (hub/rosters/stage.py): ``finish`` merges what is staged, and must run
    before each commit."""

    def __init__(self, source: Source, name: str, run_id: int) -> None:
        self.source, self.name, self.run_id = source, name, run_id
        self.seen_inspectors: set[str] = set()
        self.stage = EntityStage(name, run_id, snapshot=source.atomic)

    def finish(self, s: Session) -> Counts:
        """Merge what is staged (before the transaction commits)."""
        return Counts(**self.stage.merge(s, utcnow()))

    def apply(self, s: Session, batch: Batch) -> Counts:
        """Apply one batch that went through ``precheck`` where it was fetched."""
        now = utcnow()
        if self.source.record_type == "inspector":
            counts, seen = apply_inspectors(s, self.name, self.run_id, batch.records, now, prechecked=True)
            self.seen_inspectors |= seen
            if batch.complete_snapshot:
                counts.deactivated += deactivate_missing_inspectors(s, self.name, self.seen_inspectors, now)
        else:
            if isinstance(batch, PreparedEntities):
                counts = stage_prepared(self.stage, s, batch, now)
            else:
                counts = stage_entities(self.stage, s, batch.records, now, prechecked=True)
            if batch.complete_snapshot:
                counts.add(self.finish(s))
                counts.deactivated += deactivate_missing_entities(s, self.name, self.run_id, now)
        _save_state(s, self.name, batch.bookmark)
        return counts


def _apply_in_groups(
    db: Database,
    applier: _Applier,
    batches: Iterator[Batch],
    counts: Counts,
    report: Callable[[str], object],
    group: int,
) -> None:
    """Apply batches, committing every ``group`` records (the source's ``commit_every``; each commit
    with its bookmark): fewer, larger commits (see hub/db.py). Only what committed is counted, so a
    run that fails part-way reports what it left stored."""
    session = db.sessions()
    pending, size = Counts(), 0
    try:
        for batch in batches:
            pending.add(applier.apply(session, batch))
            size += batch.fetched if isinstance(batch, PreparedEntities) else len(batch.records)
            if size >= group or batch.complete_snapshot:
                pending.add(applier.finish(session))
                session.commit()
                counts.add(pending)
                pending, size = Counts(), 0
                report(batch.label)
        pending.add(applier.finish(session))
        session.commit()
        counts.add(pending)
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def _long_lived_objects_frozen() -> Iterator[None]:
    """Keep the objects that exist before a run out of the cyclic collector's full passes: a sync makes
    and drops millions of small containers, and each full pass would walk the whole process heap again
    (about an eighth of the applying time). The fetching child, forked inside, inherits this."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def run_sync(
    db: Database,
    settings: Settings,
    name: str,
    *,
    full: bool = False,
    progress: Progress | None = None,
    http: Any = None,
) -> SyncRun:
    """Pull ``name`` now; return the finished run. Raises UpstreamError when the run failed."""
    with _long_lived_objects_frozen():
        return _run_sync(db, settings, name, full=full, progress=progress, http=http)


def _run_sync(
    db: Database, settings: Settings, name: str, *, full: bool, progress: Progress | None, http: Any
) -> SyncRun:
    source = make_source_for(settings, name, http)
    run = _start_run(db, name, source.kind, full)
    counts = Counts()
    applier = _Applier(source, name, run.id)
    known: KnownDigests | None = None
    try:
        with db.unit_of_work() as s:
            state = _load_state(s, name)
        # Unchanged records are found where they are fetched (not for an all-or-nothing source: nothing
        # of its run is committed before the end, so every lookup could be stale).
        if source.record_type == "entity" and not source.atomic:
            known = KnownDigests(db.url, name, settings.sources[name].commit_every, DEPTH + 3)
            source.known_page = known.page_unchanged  # a paged source's pages the hub holds unchanged

        def prepare(batch: Batch) -> Batch:
            return precheck(batch, source.record_type, known)

        if source.atomic:
            with db.unit_of_work() as s:
                for batch in prefetched(source.batches(state, full=full), prepare):
                    counts.add(applier.apply(s, batch))
                    if progress:
                        progress(run, counts, batch.label)
                counts.add(applier.finish(s))
        else:
            _apply_in_groups(
                db,
                applier,
                prefetched(source.batches(state, full=full), prepare),
                counts,
                lambda label: progress(run, counts, label) if progress else None,
                settings.sources[name].commit_every,
            )
    except ConnectorError as exc:
        if source.atomic:
            counts = Counts()  # nothing of an atomic run was applied
        _finish_run(db, run, counts, "failed", str(exc))
        log.warning("sync %s failed: %s", name, exc)
        raise UpstreamError(str(exc), where=f"source {name}") from exc
    except BaseException as exc:
        if source.atomic:
            counts = Counts()
        _finish_run(db, run, counts, "failed", f"{type(exc).__name__}: {exc}")
        raise
    finally:
        if known is not None:
            known.close()
    finished = _finish_run(db, run, counts, "ok", None)
    log.info("sync %s ok: %s", name, counts.as_dict())
    return finished


def last_runs(session: Session, limit: int = 20) -> list[SyncRun]:
    return list(session.scalars(select(SyncRun).order_by(SyncRun.id.desc()).limit(limit)))
