"""Applying a source's batch to the entity master or the inspector roster, in the caller's
transaction: valid records upserted, invalid ones quarantined, counts kept."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from connectors.base import Batch, SourceRecord
from hub.db import select_in, upsert
from hub.rosters.known import KnownDigests
from hub.rosters.models import Entity, EntitySource, Inspector, QuarantineRecord
from hub.rosters.stage import CHANGED, NEW, UNSURE, Bad, EntityStage, _quarantine, stage_row
from hub.rosters.validate import RecordInvalid, plainly_valid_each, validate_entity, validate_inspector


@dataclass
class Counts:
    fetched: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    deactivated: int = 0

    def add(self, other: Counts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _digest(record: SourceRecord) -> str:
    """What a record said, as a digest: its raw text plus the categories the config mapped it to."""
    cats = ",".join(record.fields.get("categories") or ())
    return hashlib.sha256(f"{record.raw}\x1f{cats}".encode()).hexdigest()


@dataclass
class PreparedEntities(Batch):
    """A batch of entity records as ``precheck`` leaves it where it was fetched: stage rows of the valid
    records to write (``stage.ROW``: new, changed or unsure), claims (key, digest) of the unchanged ones,
    and the invalid ones with their reason. Only plain tuples of text cross to the applying process.
    ``page`` (from the batch) is kept only when the page can be registered whole: every record valid,
    each key once; with ``unchanged``, the batch is a page the hub holds unchanged, with no records."""

    rows: list[tuple] = field(default_factory=list)
    claims: list[tuple[str, str]] = field(default_factory=list)
    bad: list[Bad] = field(default_factory=list)
    fetched: int = 0


# Statements of the hot path. Lookups by a batch's keys are plain SQL for select_in (an expanding
# parameter would compile anew for every batch); the release runs only when a quarantine exists.
_INSPECTOR_DIGESTS_SQL = "SELECT inspector_id, digest FROM inspectors WHERE inspector_id IN ?..."
_RELEASE = delete(QuarantineRecord).where(
    QuarantineRecord.source == bindparam("source"), QuarantineRecord.record_key.in_(bindparam("keys", expanding=True))
)
_HAS_QUARANTINE = select(QuarantineRecord.id).where(QuarantineRecord.source == bindparam("source")).limit(1)


def _release(session: Session, source: str, keys: list[str]) -> None:
    """Corrected records leave the quarantine (a query only when the source has any there)."""
    if keys and session.execute(_HAS_QUARANTINE, {"source": source}).first() is not None:
        session.execute(_RELEASE, {"source": source, "keys": keys})


_CHECKS = {"entity": validate_entity, "inspector": validate_inspector}


def _ident(record_type: str, fields: Mapping[str, Any]) -> str:
    """The id of a record that passed its check (as the check returned it)."""
    if record_type == "inspector":
        return fields["inspector_id"]
    return fields.get("uscc") or fields["scheme_id"]


def precheck(batch: Batch, record_type: str, known: KnownDigests | None = None) -> Batch:
    """Validate and digest a batch where it was fetched (off the applying process). Entity records become
    a ``PreparedEntities``; with ``known``, a record whose digest is the stored one is unchanged: it
    becomes a claim, unchecked, which the applying side holds to the stored digest. Inspector records
    stay records: an invalid one carries its reason in ``error``, the rest their ``digest``."""
    if record_type == "entity":
        return _prepare_entities(batch, known)
    records = []
    for r in batch.records:
        if not r.error:
            try:
                validate_inspector(r.fields)
                r = r._replace(digest=_digest(r))
            except RecordInvalid as exc:
                r = r._replace(error=str(exc))
        records.append(r)
    return replace(batch, records=records)


def _sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _prepare_entities(batch: Batch, known: KnownDigests | None) -> PreparedEntities:
    if batch.unchanged:  # a page the hub holds unchanged: nothing to check
        return PreparedEntities(
            [],
            batch.bookmark,
            batch.complete_snapshot,
            batch.label,
            batch.page,
            batch.unchanged,
            fetched=batch.unchanged,
        )
    records = batch.records
    if known is not None:
        known.read([r.key for r in records])
    page = batch.page
    bad: list[Bad] = [(r.key, r.raw, r.error) for r in records if r.error]
    ok = [r for r in records if not r.error] if bad else records
    if len({r.key for r in ok}) != len(ok):  # the same record twice in one batch: the later one wins
        last = {r.key: i for i, r in enumerate(ok)}
        ok = [r for i, r in enumerate(ok) if last[r.key] == i]
        page = None
    digests = list(map(_sha256_hex, [f"{r.raw}\x1f{','.join(r.fields.get('categories') or ())}" for r in ok]))
    claims: list[tuple[str, str]] = []
    if known is None:
        rest = [(r, d, UNSURE) for r, d in zip(ok, digests)]
    else:
        stored, recent = known.stored([r.key for r in ok]), known.recent
        rest = []
        for r, d in zip(ok, digests):
            held = stored.get(r.key)
            if held is None:
                rest.append((r, d, UNSURE if recent(r.key) else NEW))
            elif held[1] and held[0] == d:
                claims.append((r.key, d))
            else:
                rest.append((r, d, CHANGED))
        known.sent([r.key for r, _, _ in rest] + [key for key, _, _ in bad])
    rows = []
    for (r, digest, state), plain in zip(rest, plainly_valid_each([r.fields for r, _, _ in rest])):
        try:
            entity_id = validate_entity(r.fields, plain=plain)
        except RecordInvalid as exc:
            bad.append((r.key, r.raw, str(exc)))
            continue
        rows.append(stage_row(r, entity_id, digest, state, page))
    return PreparedEntities(
        [],
        batch.bookmark,
        batch.complete_snapshot,
        batch.label,
        None if bad else page,
        rows=rows,
        claims=claims,
        bad=bad,
        fetched=len(records),
    )


def _split(records: Iterable[SourceRecord], record_type: str, prechecked: bool = False) -> tuple[list, list]:
    good: list[tuple[SourceRecord, str | None]] = []  # (record, entity id; None for a claim)
    bad: list[tuple[SourceRecord, str]] = []
    seen: set[str] = set()
    check = _CHECKS[record_type]
    for r in records:
        if r.error:
            bad.append((r, r.error))
            continue
        if r.fields is None:  # a claim of an unchanged record (see precheck)
            ident = None
        else:
            try:
                ident = _ident(record_type, r.fields) if prechecked else check(r.fields)
            except RecordInvalid as exc:
                bad.append((r, str(exc)))
                continue
        if r.key in seen:  # the same record twice in one batch: the later one wins
            good = [(g, i) for g, i in good if g.key != r.key]
        seen.add(r.key)
        good.append((r, ident))
    return good, bad


def stage_entities(
    stage: EntityStage, session: Session, records: list[SourceRecord], now: datetime, prechecked: bool = False
) -> Counts:
    """Stage one batch of entity records (valid ones to merge, invalid ones to quarantine); the counts
    include those of any merge the stage did on the way."""
    counts = Counts(fetched=len(records))
    good, bad = _split(records, "entity", prechecked)
    counts.quarantined = len(bad)
    merged = stage.add(session, [(r, entity_id, r.digest or _digest(r)) for r, entity_id in good], bad, now)
    counts.add(Counts(**merged))
    return counts


def stage_prepared(stage: EntityStage, session: Session, batch: PreparedEntities, now: datetime) -> Counts:
    """Stage one prepared batch (see ``precheck``); the counts include those of any merge done on the way."""
    counts = Counts(fetched=batch.fetched, quarantined=len(batch.bad))
    unchanged_page = (batch.page, batch.unchanged) if batch.page is not None and batch.unchanged else None
    page = batch.page if unchanged_page is None else None
    counts.add(Counts(**stage.add_rows(session, batch.rows, batch.claims, batch.bad, now, page, unchanged_page)))
    return counts


def apply_entities(
    session: Session,
    source: str,
    run_id: int,
    records: list[SourceRecord],
    now: datetime,
    snapshot: bool = False,
    prechecked: bool = False,
) -> Counts:
    """Upsert one batch of entity records from ``source``; quarantine the invalid ones."""
    stage = EntityStage(source, run_id, snapshot)
    counts = stage_entities(stage, session, records, now, prechecked)
    counts.add(Counts(**stage.merge(session, now)))
    return counts


def _still_linked(session: Session, ids: list[str]) -> set[str]:
    """Which of ``ids`` an active source record still names: by the partial index where the record's key
    is another id, and by (source, record_key) where it is the entity's own (each source the entity has)."""
    linked = {
        eid
        for (eid,) in session.execute(
            select(EntitySource.entity_id).where(
                EntitySource.entity_id.in_(ids), EntitySource.entity_id != EntitySource.record_key, EntitySource.active
            )
        )
    }
    sources = {
        name
        for (names,) in session.execute(select(Entity.sources).where(Entity.entity_id.in_(ids)))
        for name in names or ()
    }
    if sources:
        linked |= {
            key
            for (key,) in session.execute(
                select(EntitySource.record_key).where(
                    EntitySource.source.in_(sorted(sources)),
                    EntitySource.record_key.in_(ids),
                    EntitySource.record_key == EntitySource.entity_id,
                    EntitySource.active,
                )
            )
        }
    return linked


def deactivate_missing_entities(session: Session, source: str, run_id: int, now: datetime) -> int:
    """After a complete snapshot: records of ``source`` not seen in this run become inactive;
    an entity with no active source left becomes inactive (never deleted)."""
    missing = [
        eid
        for (eid,) in session.execute(
            select(EntitySource.entity_id).where(
                EntitySource.source == source, EntitySource.active, EntitySource.run_id != run_id
            )
        )
    ]
    if not missing:
        return 0
    session.execute(
        update(EntitySource)
        .where(EntitySource.source == source, EntitySource.active, EntitySource.run_id != run_id)
        .values(active=False, seen_at=now)
    )
    still: set[str] = set()
    for at in range(0, len(missing), 500):
        still |= _still_linked(session, missing[at : at + 500])
    gone = [eid for eid in missing if eid not in still]
    if gone:
        session.execute(update(Entity).where(Entity.entity_id.in_(gone)).values(active=False, updated_at=now))
    return len(missing)


def _inspector_row(inspector_id: str, f: Mapping[str, Any], source: str, digest: str, now: datetime) -> dict[str, Any]:
    valid = f.get("cert_valid_until")
    return {
        "inspector_id": inspector_id,
        "name": f["name"],
        "agency": f["agency"],
        "cert_no": f.get("cert_no"),
        "cert_valid_until": date.fromisoformat(valid) if isinstance(valid, str) and valid else None,
        "expertise": sorted(set(f.get("expertise") or [])),
        "home_districts": sorted(set(f.get("home_districts") or [])),
        "capacity": int(f.get("capacity") or 30),
        "conflicts": sorted(set(f.get("conflicts") or [])),
        "active": bool(f["active"]),
        "source": source,
        "digest": digest,
        "updated_at": now,
    }


def apply_inspectors(
    session: Session, source: str, run_id: int, records: list[SourceRecord], now: datetime, prechecked: bool = False
) -> tuple[Counts, set[str]]:
    """Upsert inspector records; return counts and the ids seen (for snapshot deactivation)."""
    counts = Counts(fetched=len(records))
    good, bad = _split(records, "inspector", prechecked)
    counts.quarantined = len(bad)
    _quarantine(session, source, run_id, now, [(r.key, r.raw, reason) for r, reason in bad])
    ids = [i for _, i in good]
    known = dict(select_in(session, _INSPECTOR_DIGESTS_SQL, (), ids))
    rows = []
    for r, inspector_id in good:
        digest = r.digest or _digest(r)
        if inspector_id not in known:
            counts.inserted += 1
        elif known[inspector_id] != digest:
            counts.updated += 1
        else:
            counts.unchanged += 1
            continue
        rows.append(_inspector_row(inspector_id, r.fields, source, digest, now))
    upsert(
        session,
        Inspector.__table__,
        rows,
        keys=["inspector_id"],
        update=[c for c in rows[0] if c != "inspector_id"] if rows else [],
    )
    _release(session, source, [r.key for r, _ in good])
    return counts, set(ids)


def deactivate_missing_inspectors(session: Session, source: str, seen: set[str], now: datetime) -> int:
    stale = [
        i
        for (i,) in session.execute(select(Inspector.inspector_id).where(Inspector.source == source, Inspector.active))
        if i not in seen
    ]
    for chunk in range(0, len(stale), 500):
        session.execute(
            update(Inspector)
            .where(Inspector.inspector_id.in_(stale[chunk : chunk + 500]))
            .values(active=False, digest=None, updated_at=now)
        )
    return len(stale)
