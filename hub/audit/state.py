"""The stored state an audit entry vouches for, and the check that today's rows still match it.

Each entry about a result or a task carries the digest of that row's relevant fields as the
action left them (canonical JSON, SHA-256). ``hub audit verify`` recomputes the digest of every
result and task and compares it with the newest entry about it: an outcome code or a seed edited
in the database, a row added or removed behind the hub's back, or the newest entries deleted
(the row then no longer matches the entry now newest), each shows as one problem.

The audit sits below the domains it watches, so it reads their tables by name (``results``,
``follow_ups``, ``joint_tasks``, ``task_parties``, ``assignments``), never through their modules.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import MetaData, Table, Text, cast, select
from sqlalchemy.orm import Session

from hub.db import Base

#: subject prefixes whose entries carry a state digest
KINDS = ("result", "task")

RESULT_FIELDS = (
    "result_id",
    "task_id",
    "entity_id",
    "agency",
    "inspected_on",
    "outcome_codes",
    "inspectors",
    "items",
    "findings",
    "substitution_reason",
    "state",
    "entered_by",
    "approved_by",
    "due_on",
    "published_on",
    "version",
)
FOLLOW_UP_FIELDS = (
    "kind",
    "due_on",
    "reinspected_on",
    "reinspection_outcome",
    "penalty_no",
    "decided_on",
    "content",
    "to_agency",
    "closed",
)
# Not draw_status / draw_progress / draw_error / feasibility / updated_at: a running draw moves those
# without an audit entry, and none of them is a fact of the draw.
TASK_FIELDS = (
    "id",
    "title",
    "lead",
    "agencies",
    "spec",
    "state",
    "window_start",
    "window_end",
    "plan_digest",
    "roster_digest",
    "pool_digest",
    "roster_size",
    "pool_size",
    "entropy",
    "seed",
    "voided_by",
    "void_reason",
)


def _text(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def canonical(value: Any) -> bytes:
    return _text(value).encode()


def digest(value: Any) -> str:
    return hashlib.sha256(canonical(value)).hexdigest()


_BATCH = 10_000  # list items laid out (and assignment rows read) at a time for a streamed digest


def _canonical_pieces(value: Any) -> Iterator[str]:
    """canonical(value) as consecutive pieces of the same text: an object member by member, a long array
    _BATCH items at a time, so that a big draw record (500,000 selections at 10,000,000 entities) is never
    laid out as one string."""
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        yield "{"
        for i, key in enumerate(sorted(value)):  # sort_keys: str keys sort as Python sorts them
            yield ("," if i else "") + _text(key) + ":"
            yield from _canonical_pieces(value[key])
        yield "}"
    elif isinstance(value, list) and len(value) > _BATCH:
        yield "["
        for start in range(0, len(value), _BATCH):
            yield ("," if start else "") + _text(value[start : start + _BATCH])[1:-1]
        yield "]"
    else:
        yield _text(value)


def streamed_digest(value: Any) -> str:
    """digest(value), computed over _canonical_pieces: the same hex, without the whole text in memory."""
    h = hashlib.sha256()
    for piece in _canonical_pieces(value):
        h.update(piece.encode())
    return h.hexdigest()


_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\n\r]*")


def _skip_space(text: str, pos: int) -> int:
    match = _SPACE.match(text, pos)
    return match.end() if match else pos


def _array_items(text: str, pos: int) -> Iterator[tuple[Any, int]]:
    """The items of the JSON array starting at text[pos] ("["), one at a time, each with the position after it;
    after the last, (_END, the position after "]")."""
    pos = _skip_space(text, pos + 1)
    if text.startswith("]", pos):
        yield _END, pos + 1
        return
    while True:
        item, pos = _DECODER.raw_decode(text, pos)
        pos = _skip_space(text, pos)
        yield item, pos + 1
        if text.startswith("]", pos):
            yield _END, pos + 1
            return
        if not text.startswith(",", pos):
            raise ValueError(f"expected ',' or ']' at {pos}")
        pos = _skip_space(text, pos + 1)


_END = object()


def _value_end(text: str, pos: int) -> int:
    """The position after the JSON value at text[pos]; an array is walked item by item (never built whole)."""
    if text.startswith("[", pos):
        for item, end in _array_items(text, pos):
            if item is _END:
                return end
    return _DECODER.raw_decode(text, pos)[1]


def _canonical_text_pieces(text: str, start: int, end: int) -> Iterator[str]:
    """_canonical_pieces(json.loads(text[start:end])) from the text itself: an object member by member (sorted,
    the last of a repeated name kept, as json.loads does), an array _BATCH items at a time."""
    if text.startswith("{", start):
        members: dict[str, tuple[int, int]] = {}
        pos = _skip_space(text, start + 1)
        while not text.startswith("}", pos):
            key, pos = _DECODER.raw_decode(text, pos)
            if not isinstance(key, str):
                raise ValueError(f"expected a member name at {pos}")
            pos = _skip_space(text, pos)
            if not text.startswith(":", pos):
                raise ValueError(f"expected ':' at {pos}")
            value_start = _skip_space(text, pos + 1)
            value_end = _value_end(text, value_start)
            members[key] = (value_start, value_end)
            pos = _skip_space(text, value_end)
            if text.startswith(",", pos):
                pos = _skip_space(text, pos + 1)
            elif not text.startswith("}", pos):
                raise ValueError(f"expected ',' or '}}' at {pos}")
        yield "{"
        for i, key in enumerate(sorted(members)):
            yield ("," if i else "") + _text(key) + ":"
            yield from _canonical_text_pieces(text, *members[key])
        yield "}"
    elif text.startswith("[", start):
        yield "["
        batch: list[Any] = []
        first = True
        for item, _ in _array_items(text, start):
            if item is not _END:
                batch.append(item)
            if batch and (len(batch) == _BATCH or item is _END):
                yield ("" if first else ",") + _text(batch)[1:-1]
                batch, first = [], False
        yield "]"
    else:
        yield _text(_DECODER.raw_decode(text, start)[0])


def text_digest(text: str) -> str:
    """digest(json.loads(text)) read from the JSON text itself, a few items at a time: a drawn record read
    back from the database (60 MB of text at 10,000,000 entities) is never made whole as Python objects
    (about 400 bytes a selection)."""
    h = hashlib.sha256()
    start = _skip_space(text, 0)
    end = _value_end(text, start)
    if _skip_space(text, end) != len(text):
        raise ValueError(f"extra data at {end}")
    for piece in _canonical_text_pieces(text, start, end):
        h.update(piece.encode())
    return h.hexdigest()


def _chunks(keys: list[str], n: int = 500) -> Iterator[list[str]]:
    for i in range(0, len(keys), n):
        yield keys[i : i + n]


def _table(s: Session, name: str) -> Table:
    """The table as the models declare it, or as the database has it when its models are not loaded."""
    table = Base.metadata.tables.get(name)
    return table if table is not None else Table(name, MetaData(), autoload_with=s.connection())


def result_snapshots(s: Session, result_ids: Iterable[str] | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
    """(result_id, its relevant fields and follow-ups) for the given results, or for all."""
    results, follow_ups_t = _table(s, "results"), _table(s, "follow_ups")
    cols = [results.c[f] for f in RESULT_FIELDS]
    batches: Iterable[list[str] | None] = [None] if result_ids is None else _chunks(list(result_ids))
    for batch in batches:
        q = select(results.c.id, *cols).order_by(results.c.id)
        if batch is not None:
            q = q.where(results.c.result_id.in_(batch))
        rows = s.execute(q).all()
        follow_ups: dict[int, list[dict[str, Any]]] = defaultdict(list)
        fq = select(follow_ups_t.c.result_id, *[follow_ups_t.c[f] for f in FOLLOW_UP_FIELDS]).order_by(
            follow_ups_t.c.id
        )
        if batch is not None:
            fq = fq.where(follow_ups_t.c.result_id.in_([r[0] for r in rows]))
        for fu in s.execute(fq):
            follow_ups[fu[0]].append(dict(zip(FOLLOW_UP_FIELDS, fu[1:], strict=True)))
        for row in rows:
            snap = dict(zip(RESULT_FIELDS, row[1:], strict=True))
            snap["follow_ups"] = follow_ups.get(row[0], [])
            yield snap["result_id"], snap


def task_snapshots(s: Session, task_ids: Iterable[str] | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
    """(task id, its relevant fields, parties, draw record digest and drawn teams) for the given tasks, or all."""
    tasks, parties, assignments = _table(s, "joint_tasks"), _table(s, "task_parties"), _table(s, "assignments")
    q = select(*[tasks.c[f] for f in TASK_FIELDS]).order_by(tasks.c.id)
    if task_ids is not None:
        q = q.where(tasks.c.id.in_(list(task_ids)))
    for row in s.execute(q).all():
        snap = dict(zip(TASK_FIELDS, row, strict=True))
        task_id = snap["id"]
        # the record as the database's JSON text, hashed from the text (a big record is never built whole)
        record = s.scalar(select(cast(tasks.c.record, Text)).where(tasks.c.id == task_id))
        snap["record"] = text_digest(record) if record is not None and record != "null" else None
        del record  # a drawn record is big: gone before the teams are read
        snap["parties"] = [
            list(p)
            for p in s.execute(
                select(parties.c.party, parties.c.commitment, parties.c.secret_hex)
                .where(parties.c.task_id == task_id)
                .order_by(parties.c.party)
            )
        ]
        snap["assignments"] = _teams_digest(s, assignments, task_id)
        yield task_id, snap


def _teams_digest(s: Session, assignments: Table, task_id: str) -> str | None:
    """digest([[position, entity_id, team], ...]) of a task's assignments in position order, or None when it
    has none; read and hashed _BATCH rows at a time (the text is canonical(list) to the byte)."""
    rows = s.execute(
        select(assignments.c.position, assignments.c.entity_id, assignments.c.team)
        .where(assignments.c.task_id == task_id)
        .order_by(assignments.c.position)
        .execution_options(yield_per=_BATCH)
    )
    h, count = hashlib.sha256(), 0
    for batch in rows.partitions():
        h.update((("," if count else "[") + _text([[p, e, list(t or [])] for p, e, t in batch])[1:-1]).encode())
        count += len(batch)
    if not count:
        return None
    h.update(b"]")
    return h.hexdigest()


def snapshot_digest(s: Session, subject: str) -> str | None:
    """The state digest of ``subject`` ("result:ID" or "task:ID") as stored now; None for other subjects
    and for a subject whose row does not exist."""
    kind, _, key = subject.partition(":")
    if kind == "result":
        found = list(result_snapshots(s, [key]))
    elif kind == "task":
        found = list(task_snapshots(s, [key]))
    else:
        return None
    return digest(found[0][1]) if found else None


def state_problems(s: Session) -> list[str]:
    """One line per result or task whose stored state differs from what its newest audit entry vouches for."""
    from hub.audit.models import AuditEntry

    vouched: dict[str, tuple[int, str]] = {}
    audited: set[str] = set()
    for entry_id, subject, state in s.execute(
        select(AuditEntry.id, AuditEntry.subject, AuditEntry.state_digest)
        .where(AuditEntry.subject.like("result:%") | AuditEntry.subject.like("task:%"))
        .order_by(AuditEntry.id)
    ):
        audited.add(subject)
        if state is not None:
            vouched[subject] = (entry_id, state)
    problems: list[str] = []
    seen: set[str] = set()
    for kind, rows in (("task", task_snapshots(s)), ("result", result_snapshots(s))):
        for key, snap in rows:
            subject = f"{kind}:{key}"
            seen.add(subject)
            where = _describe(kind, key, snap)
            if subject not in audited:
                problems.append(f"{where}: no audit entry records it (added outside the hub)")
            elif subject in vouched and vouched[subject][1] != digest(snap):
                problems.append(
                    f"{where}: stored state differs from audit entry {vouched[subject][0]} "
                    "(changed outside the hub, or newer entries were removed)"
                )
    for subject, (entry_id, _) in sorted(vouched.items(), key=lambda kv: kv[1][0]):
        if subject not in seen:
            problems.append(
                f"{subject.replace(':', ' ', 1)}: audit entry {entry_id} records it, but it is gone from the database"
            )
    return problems


def _describe(kind: str, key: str, snap: dict[str, Any]) -> str:
    if kind == "result":
        return f"result {key} ({snap['task_id']} {snap['entity_id']} {snap['agency']})"
    return f"task {key}"
