"""Valid entity records of one source, staged in bulk and merged into the master by SQL.

A sync no longer looks records up and folds them in Python one by one. The records of several batches
are written to a temporary table in one statement (one ``executemany`` on SQLite, one ``COPY`` on
PostgreSQL) and merged by a few set-based statements:

1. each staged row is marked new, changed or unchanged against ``entity_sources`` (its digest), and
   whether its entity exists already (only for rows that changed);
2. unchanged rows write nothing (a snapshot's are stamped as seen);
3. changed rows update their entity (``merge.merge_entity``'s rules in SQL: a non-empty value replaces,
   categories and sources accumulate) or insert it, and upsert their source link;
4. corrected records leave the quarantine; invalid ones of the same stage enter it.

A key (or an entity) appears at most once in a stage: a record whose key or entity is staged already
first merges what is staged, so the later record wins as it would one by one. On PostgreSQL the merge
plans are held to index lookups: a plan that scans a table per stage makes a sync quadratic (issue 14).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from connectors.base import SourceRecord
from hub.db import upsert
from hub.rosters.merge import MASTER_FIELDS
from hub.rosters.models import QuarantineRecord

TABLE = "sync_stage"
FIELDS = (
    "uscc",
    "name",
    "entity_type",
    "legal_rep",
    "phone",
    "address",
    "district",
    "industry",
    "status",
    "established",
    "credit_class",
    "abnormal_list",
    "serious_violation",
    "categories",
)
FLAG_FIELDS = ("abnormal_list", "serious_violation")
# merge_entity's rule, written in SQL below: a non-empty value replaces what is stored
TEXT_FIELDS = tuple(f for f in MASTER_FIELDS if f not in FLAG_FIELDS)
COLUMNS = ("record_key", "entity_id", "raw", "digest", *FIELDS)
NEW, CHANGED, UNCHANGED = 2, 1, 0  # a staged row's state

_CREATE = {
    "sqlite": f"CREATE TEMP TABLE IF NOT EXISTS {TABLE} (record_key TEXT, entity_id TEXT, raw TEXT, digest TEXT, "
    + ", ".join(f"{c} TEXT" for c in FIELDS[:-5])
    + ", established TEXT, credit_class TEXT, "
    "abnormal_list INTEGER, serious_violation INTEGER, categories TEXT, "
    "state INTEGER NOT NULL DEFAULT 2, present INTEGER NOT NULL DEFAULT 0)",
    "postgresql": f"CREATE TEMP TABLE IF NOT EXISTS {TABLE} (record_key text, entity_id text, raw text, "
    "digest text, " + ", ".join(f"{c} text" for c in FIELDS[:-5]) + ", established date, "
    "credit_class text, abnormal_list boolean, serious_violation boolean, categories jsonb, "
    "state smallint NOT NULL DEFAULT 2, present boolean NOT NULL DEFAULT false)",
}
_INSERT_STAGE = f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
_COPY_STAGE = f"COPY {TABLE} ({', '.join(COLUMNS)}) FROM STDIN"

# 1. new / changed / unchanged, then (for changed rows only) whether the entity exists.
_MARK = (
    f"UPDATE {TABLE} SET state = COALESCE((SELECT CASE WHEN es.digest = {TABLE}.digest AND es.active "
    f"THEN 0 ELSE 1 END FROM entity_sources es WHERE es.source = :source "
    f"AND es.record_key = {TABLE}.record_key), 2)"
)
_PRESENT = (
    f"UPDATE {TABLE} SET present = (SELECT 1 FROM entities e WHERE e.entity_id = {TABLE}.entity_id LIMIT 1) IS NOT NULL "
    "WHERE state <> 0"
)
_BROKEN_CLAIMS = f"SELECT record_key FROM {TABLE} WHERE state <> 0 AND raw IS NULL LIMIT 1"
_COUNT = f"SELECT state, present, count(*) FROM {TABLE} GROUP BY state, present"
_SEEN = (
    f"UPDATE entity_sources SET run_id = :run_id, seen_at = :now WHERE source = :source AND record_key IN "
    f"(SELECT record_key FROM {TABLE} WHERE state = 0)"
)
_LINKS = (
    f"INSERT INTO entity_sources (source, record_key, entity_id, raw, digest, active, seen_at, run_id) "
    f"SELECT :source, record_key, entity_id, raw, digest, TRUE, :now, :run_id FROM {TABLE} WHERE state <> 0 "
    "ORDER BY record_key ON CONFLICT (source, record_key) DO UPDATE SET entity_id = excluded.entity_id, "
    "raw = excluded.raw, digest = excluded.digest, active = TRUE, seen_at = excluded.seen_at, "
    "run_id = excluded.run_id"
)


def _new_entities_sql(dialect: str) -> str:
    values = []
    for c in FIELDS:
        if c == "status":
            values.append("COALESCE(NULLIF(status, ''), 'active')")
        elif c in TEXT_FIELDS:
            values.append(f"NULLIF({c}, '')")
        elif c in ("abnormal_list", "serious_violation"):
            values.append(f"COALESCE({c}, FALSE)")
        else:  # established, categories
            values.append(c)
    sources = ":sources::jsonb" if dialect == "postgresql" else ":sources"
    return (
        f"INSERT INTO entities (entity_id, {', '.join(FIELDS)}, complaints, active, sources, created_at, "
        f"updated_at) SELECT entity_id, {', '.join(values)}, 0, TRUE, {sources}, :now, :now FROM {TABLE} "
        "WHERE state <> 0 AND NOT present ORDER BY entity_id ON CONFLICT (entity_id) DO NOTHING"
    )


def _union(dialect: str, old: str, new_array: str) -> str:
    """The sorted union of two JSON arrays of strings (code-point order, as Python's ``sorted``)."""
    if dialect == "postgresql":
        return (
            f"(SELECT COALESCE(jsonb_agg(v ORDER BY v COLLATE \"C\"), '[]'::jsonb) FROM "
            f"(SELECT jsonb_array_elements_text({old}) UNION SELECT jsonb_array_elements_text({new_array})) "
            "AS u(v))"
        )
    return (
        f"(SELECT json_group_array(v) FROM (SELECT value AS v FROM json_each({old}) UNION "
        f"SELECT value FROM json_each({new_array}) ORDER BY 1))"
    )


def _update_entities_sql(dialect: str) -> str:
    sets = [f"{c} = COALESCE(NULLIF(s.{c}, ''), entities.{c})" for c in TEXT_FIELDS]
    sets += [f"{c} = COALESCE(s.{c}, entities.{c})" for c in ("established", "abnormal_list", "serious_violation")]
    if dialect == "postgresql":
        cats = (
            f"CASE WHEN s.categories = '[]'::jsonb OR entities.categories @> s.categories "
            f"THEN entities.categories ELSE {_union(dialect, 'entities.categories', 's.categories')} END"
        )
        srcs = (
            f"CASE WHEN entities.sources @> :sources::jsonb THEN entities.sources "
            f"ELSE {_union(dialect, 'entities.sources', ':sources::jsonb')} END"
        )
    else:
        cats = (
            f"CASE WHEN s.categories = '[]' OR s.categories = entities.categories THEN entities.categories "
            f"ELSE {_union(dialect, 'entities.categories', 's.categories')} END"
        )
        srcs = (
            f"CASE WHEN EXISTS (SELECT 1 FROM json_each(entities.sources) WHERE value = :source) "
            f"THEN entities.sources ELSE {_union(dialect, 'entities.sources', ':sources')} END"
        )
    sets += [f"categories = {cats}", f"sources = {srcs}", "active = TRUE", "updated_at = :now"]
    return (
        f"UPDATE entities SET {', '.join(sets)} FROM {TABLE} s "
        "WHERE s.state <> 0 AND s.present AND entities.entity_id = s.entity_id"
    )


# Corrected records leave the quarantine: which staged keys are held there (one index probe per row,
# as a scalar subquery, never turned into a join or a hashed scan of the whole quarantine), then a
# delete by key for each of those few.
_HELD = (
    f"SELECT record_key FROM (SELECT record_key, (SELECT 1 FROM quarantine q WHERE q.source = :source "
    f"AND q.record_key = {TABLE}.record_key LIMIT 1) AS held FROM {TABLE}) AS t WHERE held IS NOT NULL"
)
_RELEASE = "DELETE FROM quarantine WHERE source = :source AND record_key = :key"
_HAS_QUARANTINE = "SELECT 1 FROM quarantine WHERE source = :source LIMIT 1"
_EMPTY = {
    "sqlite": f"DELETE FROM {TABLE}",
    "postgresql": f"TRUNCATE {TABLE}",
}  # (a DELETE would leave dead rows for every later stage to read)
# On PostgreSQL the merge's joins go by index, whatever the statistics say: a new table has none (its
# first plans scan), and a stage of a few thousand rows against millions must never scan them.
_INDEX_ONLY = "SET LOCAL jit = off; SET LOCAL enable_seqscan = off; SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off"
_PLANS_DEFAULT = (
    "SET LOCAL jit TO DEFAULT; SET LOCAL enable_seqscan TO DEFAULT; SET LOCAL enable_hashjoin TO DEFAULT; "
    "SET LOCAL enable_mergejoin TO DEFAULT"
)
_NAMED = re.compile(r"(?<![:\w]):(\w+)")


def _sql(dialect: str, text: str) -> str:
    """``text`` with ``:name`` parameters in the driver's own style."""
    return _NAMED.sub(r"%(\1)s", text) if dialect == "postgresql" else text


def _datetime_param(dialect: str, now: datetime) -> Any:
    return now.strftime("%Y-%m-%d %H:%M:%S.%f") if dialect == "sqlite" else now


_CATEGORY_TEXT: dict[tuple, str] = {}


def _categories_text(values: Any) -> str:
    """A record's categories as the JSON text staged: sorted, each once (few distinct lists: remembered)."""
    key = tuple(values) if values else ()
    text = _CATEGORY_TEXT.get(key)
    if text is None:
        text = json.dumps(sorted(set(key)), ensure_ascii=False, separators=(",", ":"))
        if len(_CATEGORY_TEXT) < 4096:
            _CATEGORY_TEXT[key] = text
    return text


_CLAIM_TAIL = (None,) * (len(FIELDS) - 1) + ("[]",)


def _stage_row(r: SourceRecord, entity_id: str | None, digest: str) -> tuple:
    if r.fields is None:  # a claim: the record is unchanged (held to that by the merge)
        return (r.key, None, None, digest, *_CLAIM_TAIL)
    get = r.fields.get
    est = get("established")
    if est is not None and est.__class__ is not str:
        est = est.isoformat() if isinstance(est, date) else str(est)
    return (
        r.key,
        entity_id,
        r.raw,
        digest,
        get("uscc"),
        get("name"),
        get("entity_type"),
        get("legal_rep"),
        get("phone"),
        get("address"),
        get("district"),
        get("industry"),
        get("status"),
        est or None,
        get("credit_class"),
        get("abnormal_list"),
        get("serious_violation"),
        _categories_text(get("categories")),
    )


class EntityStage:
    """The valid (and invalid) records of one source's run not merged yet; ``merge`` writes them."""

    def __init__(self, source: str, run_id: int, snapshot: bool = False, limit: int = 10_000) -> None:
        self.source, self.run_id, self.snapshot, self.limit = source, run_id, snapshot, limit
        self.rows: list[tuple] = []
        self.bad: list[tuple[SourceRecord, str]] = []
        self.keys: set[str] = set()
        self.entity_ids: set[str] = set()
        self.timings: list[tuple[int, float]] = []  # (rows, seconds) of each merge: how its cost grows

    def __len__(self) -> int:
        return len(self.rows) + len(self.bad)

    def add(
        self,
        session: Session,
        good: list[tuple[SourceRecord, str | None, str]],
        bad: list[tuple[SourceRecord, str]],
        now: datetime,
    ) -> dict[str, int]:
        """Stage ``good`` (record, entity id, digest) and ``bad`` (record, reason); merge first whatever
        a new record would overtake, and once the stage holds ``limit`` records. Returns the counts of
        any merge done."""
        counts: dict[str, int] = {}
        keys = [r.key for r, _, _ in good] + [r.key for r, _ in bad]
        ids = [eid for _, eid, _ in good if eid is not None]
        if (
            self.keys.isdisjoint(keys)
            and self.entity_ids.isdisjoint(ids)
            and len(set(keys)) == len(keys)
            and len(set(ids)) == len(ids)
        ):
            self.rows += [_stage_row(r, eid, digest) for r, eid, digest in good]
            self.bad += bad
            self.keys.update(keys)
            self.entity_ids.update(ids)
        else:  # a key or an entity again: one by one, merging before each repeat
            for r, eid, digest in good:
                if r.key in self.keys or (eid is not None and eid in self.entity_ids):
                    _add(counts, self.merge(session, now))
                self.rows.append(_stage_row(r, eid, digest))
                self.keys.add(r.key)
                if eid is not None:
                    self.entity_ids.add(eid)
            for r, reason in bad:
                if r.key in self.keys:
                    _add(counts, self.merge(session, now))
                self.bad.append((r, reason))
                self.keys.add(r.key)
        if len(self) >= self.limit:
            _add(counts, self.merge(session, now))
        return counts

    def _load(self, session: Session) -> None:
        """Write the staged rows to the stage table: one executemany (SQLite) or one COPY (PostgreSQL)."""
        conn = session.connection()
        conn.exec_driver_sql(_CREATE[conn.dialect.name])
        raw = conn.connection.driver_connection
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(_INDEX_ONLY)
            with raw.cursor() as cur, cur.copy(_COPY_STAGE) as copy:  # type: ignore[union-attr]
                for row in self.rows:
                    copy.write_row(row)
        else:
            raw.executemany(_INSERT_STAGE, self.rows)  # type: ignore[union-attr]

    def plans(self, session: Session, now: datetime) -> dict[str, str]:
        """How the database would run each statement of a merge of what is staged (EXPLAIN), by name;
        the stage is emptied and nothing else is written. For tests, and for a person chasing a slow sync."""
        conn = session.connection()
        dialect = conn.dialect.name
        params = {
            "source": self.source,
            "run_id": self.run_id,
            "now": _datetime_param(dialect, now),
            "sources": json.dumps([self.source], ensure_ascii=False),
        }
        explain = "EXPLAIN " if dialect == "postgresql" else "EXPLAIN QUERY PLAN "
        self._load(session)
        out = {}
        for name, sql in (
            ("mark", _MARK),
            ("present", _PRESENT),
            ("seen", _SEEN),
            ("update entities", _update_entities_sql(dialect)),
            ("new entities", _new_entities_sql(dialect)),
            ("links", _LINKS),
            ("held", _HELD),
        ):
            rows = conn.exec_driver_sql(_sql(dialect, explain + sql), params).all()
            out[name] = "\n".join(str(row[-1]) for row in rows)
        conn.exec_driver_sql(_EMPTY[dialect])
        if dialect == "postgresql":
            conn.exec_driver_sql(_PLANS_DEFAULT)
        self.rows, self.bad, self.keys, self.entity_ids = [], [], set(), set()
        return out

    def merge(self, session: Session, now: datetime) -> dict[str, int]:
        """Write what is staged, in the session's transaction; counts of inserted, updated, unchanged."""
        counts = {"inserted": 0, "updated": 0, "unchanged": 0}
        if not self.rows and not self.bad:
            return counts
        started = time.perf_counter()
        conn = session.connection()
        dialect = conn.dialect.name
        params = {
            "source": self.source,
            "run_id": self.run_id,
            "now": _datetime_param(dialect, now),
            "sources": json.dumps([self.source], ensure_ascii=False),
        }

        def run(text: str) -> Any:
            return conn.exec_driver_sql(_sql(dialect, text), params)

        quarantined = conn.exec_driver_sql(_sql(dialect, _HAS_QUARANTINE), {"source": self.source}).first() is not None
        if self.rows:
            self._load(session)
            run(_MARK)
            broken = run(_BROKEN_CLAIMS).first()
            if broken is not None:
                raise RuntimeError(
                    f"{self.source}: record {broken[0]!r} was sent as unchanged, but the master holds "
                    "another version of it; run the sync again"
                )
            run(_PRESENT)
            existing = absent = 0  # changed rows whose entity exists / does not
            for state, present, n in conn.exec_driver_sql(_COUNT):
                if state != UNCHANGED:
                    existing, absent = (existing + n, absent) if present else (existing, absent + n)
                if state == UNCHANGED:
                    counts["unchanged"] += n
                elif state == NEW:
                    counts["inserted"] += n
                else:
                    counts["updated"] += n
            if counts["unchanged"] and self.snapshot:
                run(_SEEN)
            if existing:
                run(_update_entities_sql(dialect))
            if absent:
                run(_new_entities_sql(dialect))
            if existing or absent:
                run(_LINKS)
            if quarantined:
                held = [{"source": self.source, "key": k} for (k,) in run(_HELD)]
                if held:
                    conn.exec_driver_sql(_sql(dialect, _RELEASE), held)
            conn.exec_driver_sql(_EMPTY[dialect])
            if dialect == "postgresql":
                conn.exec_driver_sql(_PLANS_DEFAULT)
        if self.bad:
            _quarantine(session, self.source, self.run_id, now, self.bad)
        self.timings.append((len(self.rows), time.perf_counter() - started))
        self.rows, self.bad = [], []
        self.keys, self.entity_ids = set(), set()
        return counts


def _quarantine(
    session: Session, source: str, run_id: int, now: datetime, bad: Iterable[tuple[SourceRecord, str]]
) -> None:
    upsert(
        session,
        QuarantineRecord.__table__,
        [
            {
                "source": source,
                "record_key": r.key[:128],
                "reason": reason,
                "raw": r.raw,
                "received_at": now,
                "run_id": run_id,
            }
            for r, reason in bad
        ],
        keys=["source", "record_key"],
        update=["reason", "raw", "received_at", "run_id"],
    )


def _add(into: dict[str, int], more: Mapping[str, int]) -> None:
    for k, v in more.items():
        into[k] = into.get(k, 0) + v
