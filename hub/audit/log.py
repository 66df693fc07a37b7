"""The audit trail: append-only entries, each chained to the one before by hash.

entry.hash = SHA-256(prev_hash LF id LF at LF actor LF action LF subject LF digest LF details)
so an edited, removed or reordered entry breaks the chain, and ``verify`` finds it.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from hub.audit.models import AuditEntry
from hub.clock import utcnow

GENESIS = "0" * 64


def digest_of(before: Any = None, after: Any = None) -> str:
    """Digest of what an action changed (before/after), as canonical JSON."""
    body = json.dumps({"before": before, "after": after}, sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"), default=str)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _entry_hash(prev: str, entry_id: int, at: str, actor: str, action: str, subject: str,
                digest: str, details: dict) -> str:
    body = "\n".join([prev, str(entry_id), at, actor, action, subject, digest,
                      json.dumps(details, sort_keys=True, ensure_ascii=False, separators=(",", ":"))])
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _lock_chain(session: Session) -> None:
    """Serialise appends so two writers cannot both chain to the same head."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(7215001)"))
    else:  # a write statement takes SQLite's write lock for the rest of the transaction
        session.execute(text("UPDATE audit_log SET id = id WHERE id = -1"))


def record(session: Session, actor: str, action: str, subject: str, *,
           details: dict[str, Any] | None = None, before: Any = None, after: Any = None) -> AuditEntry:
    """Append one entry in the caller's transaction."""
    _lock_chain(session)
    last = session.execute(select(AuditEntry.id, AuditEntry.hash)
                           .order_by(AuditEntry.id.desc()).limit(1)).first()
    prev_id, prev_hash = (last[0], last[1]) if last else (0, GENESIS)
    at = utcnow().replace(microsecond=0)
    details = json.loads(json.dumps(details or {}, default=str, ensure_ascii=False))
    entry = AuditEntry(id=prev_id + 1, at=at, actor=actor, action=action, subject=subject,
                       details=details, digest=digest_of(before, after), prev_hash=prev_hash)
    entry.hash = _entry_hash(prev_hash, entry.id, at.isoformat(), actor, action, subject,
                             entry.digest, details)
    session.add(entry)
    session.flush()
    return entry


def _entries(session: Session, batch: int = 5000) -> Iterator[AuditEntry]:
    last = 0
    while True:
        rows = list(session.scalars(select(AuditEntry).where(AuditEntry.id > last)
                                    .order_by(AuditEntry.id).limit(batch)))
        if not rows:
            return
        yield from rows
        last = rows[-1].id


def verify(session: Session) -> tuple[int, list[str]]:
    """Walk the chain; return (entries checked, problems). No problems means intact."""
    problems: list[str] = []
    prev_hash, expected_id, n = GENESIS, 1, 0
    for e in _entries(session):
        n += 1
        if e.id != expected_id:
            problems.append(f"entry {e.id}: expected entry {expected_id} here (removed or reordered)")
        if e.prev_hash != prev_hash:
            problems.append(f"entry {e.id}: does not chain to the entry before it")
        recomputed = _entry_hash(e.prev_hash, e.id, e.at.replace(microsecond=0).isoformat(), e.actor,
                                 e.action, e.subject, e.digest, e.details or {})
        if recomputed != e.hash:
            problems.append(f"entry {e.id}: content does not match its hash (edited)")
        prev_hash, expected_id = e.hash, e.id + 1
    return n, problems
