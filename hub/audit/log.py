"""The audit trail: append-only entries, each chained to the one before by hash.

entry.hash = SHA-256(prev_hash LF id LF at LF actor LF action LF subject LF digest LF details
                     [LF state_digest, when the entry carries one])
so an edited, removed or reordered entry breaks the chain, and ``verify`` finds it. An entry about a
result or a task also carries the digest of that row as the action left it (``hub.audit.state``), so
``verify`` finds rows edited behind the hub's back and newest entries deleted; the chain's head is
published (``head``) so a shortened chain shows to anyone who noted it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from hub.audit.models import AuditEntry
from hub.audit.state import snapshot_digest, state_problems
from hub.clock import utcnow

GENESIS = "0" * 64


def digest_of(before: Any = None, after: Any = None) -> str:
    """Digest of what an action changed (before/after), as canonical JSON."""
    body = json.dumps(
        {"before": before, "after": after}, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _entry_hash(
    prev: str,
    entry_id: int,
    at: str,
    actor: str,
    action: str,
    subject: str,
    digest: str,
    details: dict,
    state_digest: str | None = None,
) -> str:
    parts = [
        prev,
        str(entry_id),
        at,
        actor,
        action,
        subject,
        digest,
        json.dumps(details, sort_keys=True, ensure_ascii=False, separators=(",", ":")),
    ]
    if state_digest is not None:  # entries written before state digests existed keep their hash
        parts.append(state_digest)
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def lock_chain(session: Session) -> None:
    """Serialise appends so two writers cannot both chain to the same head.

    A service that changes rows and then audits takes this first, so every such transaction waits
    here before it holds any row: one lock order, no deadlock between them."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(7215001)"))
    else:  # a write statement takes SQLite's write lock for the rest of the transaction
        session.execute(text("UPDATE audit_log SET id = id WHERE id = -1"))


def record(
    session: Session,
    actor: str,
    action: str,
    subject: str,
    *,
    details: dict[str, Any] | None = None,
    before: Any = None,
    after: Any = None,
) -> AuditEntry:
    """Append one entry in the caller's transaction."""
    lock_chain(session)
    session.flush()
    state_digest = snapshot_digest(session, subject)
    last = session.execute(select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).first()
    prev_id, prev_hash = (last[0], last[1]) if last else (0, GENESIS)
    at = utcnow().replace(microsecond=0)
    details = json.loads(json.dumps(details or {}, default=str, ensure_ascii=False))
    entry = AuditEntry(
        id=prev_id + 1,
        at=at,
        actor=actor,
        action=action,
        subject=subject,
        details=details,
        prev_hash=prev_hash,
        state_digest=state_digest,
        digest=digest_of(before, after)
        if before is not None or after is not None or state_digest is None
        else state_digest,
    )
    entry.hash = _entry_hash(
        prev_hash, entry.id, at.isoformat(), actor, action, subject, entry.digest, details, state_digest
    )
    session.add(entry)
    session.flush()
    return entry


def _entries(session: Session, batch: int = 5000) -> Iterator[AuditEntry]:
    last = 0
    while True:
        rows = list(
            session.scalars(select(AuditEntry).where(AuditEntry.id > last).order_by(AuditEntry.id).limit(batch))
        )
        if not rows:
            return
        yield from rows
        last = rows[-1].id


def head(session: Session) -> dict[str, Any] | None:
    """The newest entry: how many there are, its hash and time (what the public page publishes)."""
    last = session.execute(
        select(AuditEntry.id, AuditEntry.hash, AuditEntry.at).order_by(AuditEntry.id.desc()).limit(1)
    ).first()
    if last is None:
        return None
    return {"entries": last[0], "hash": last[1], "at": last[2].replace(microsecond=0).isoformat() + "Z"}


def verify(session: Session) -> tuple[int, list[str]]:
    """Walk the chain, then compare today's results and tasks with what it vouches for;
    return (entries checked, problems). No problems means intact."""
    n, problems = verify_chain(session)
    return n, problems + state_problems(session)


def verify_chain(session: Session) -> tuple[int, list[str]]:
    """Walk the chain; return (entries checked, problems)."""
    problems: list[str] = []
    prev_hash, expected_id, n = GENESIS, 1, 0
    for e in _entries(session):
        n += 1
        if e.id != expected_id:
            problems.append(f"entry {e.id}: expected entry {expected_id} here (removed or reordered)")
        if e.prev_hash != prev_hash:
            problems.append(f"entry {e.id}: does not chain to the entry before it")
        recomputed = _entry_hash(
            e.prev_hash,
            e.id,
            e.at.replace(microsecond=0).isoformat(),
            e.actor,
            e.action,
            e.subject,
            e.digest,
            e.details or {},
            e.state_digest,
        )
        if recomputed != e.hash:
            problems.append(f"entry {e.id}: content does not match its hash (edited)")
        prev_hash, expected_id = e.hash, e.id + 1
    return n, problems
