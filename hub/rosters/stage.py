"""Valid entity records of one source, staged in bulk and merged into the master.

A sync does not look records up and fold them in Python one by one. Records arrive as stage rows (built
where they were fetched: ``stage_row``), each marked new, changed or unsure (and unchanged records as
claims: key and digest), and are merged a few thousand at a time:

- on SQLite, straight from the rows: the unsure ones (and the claims) are looked up by key in one query,
  then the rows that changed go in by two ``executemany`` upserts (entities by ``merge.merge_entity``'s
  rules written in SQL: a non-empty value replaces, categories and sources accumulate; then the source
  links). Nothing is written twice: no stage table in between.
- on PostgreSQL, through a temporary table filled by one ``COPY`` and merged by a few set-based
  statements (marking the unsure rows, then ``UPDATE … FROM`` and ``INSERT … SELECT … ON CONFLICT``); the
  plans are held to index lookups: a plan that scans a table per stage makes a sync quadratic (issue 14).

Unchanged rows write nothing (a snapshot's are stamped as seen); corrected records leave the quarantine;
invalid ones of the same stage enter it. A page staged whole (every record valid, each key once) is
registered at the merge (``sync_pages``, 0017_sync_pages): its rows carry its fingerprint into
``entity_sources.page``, its unchanged records are pointed at it, and a later run that fetches the same
page sends one claim for it instead of its records. A key (or an entity) appears at most once in a stage: a record
whose key or entity is staged already first merges what is staged, so the later record wins as it would
one by one, and an unsure row's lookup sees every earlier record of the run.
"""

from __future__ import annotations

import json
import operator
import re
import time
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from connectors.base import SourceRecord
from hub.db import mark_public_write, upsert
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
COLUMNS = ("record_key", "entity_id", "raw", "digest", *FIELDS, "page")  # page: the fingerprint of a page to register
ROW = (*COLUMNS, "state")  # a stage row: the columns, then its state
STATE = len(COLUMNS)
# A staged row's state: unsure rows (a key whose stored version was not known where it was fetched) are
# looked up at the merge; unchanged records travel as claims (key, digest), not as rows.
NEW, CHANGED, UNCHANGED, UNSURE = 2, 1, 0, 3
Bad = tuple[str, str, str]  # an invalid record: key, raw text, reason

_CREATE = (  # PostgreSQL's stage (SQLite merges straight from the rows)
    f"CREATE TEMP TABLE IF NOT EXISTS {TABLE} (record_key text, entity_id text, raw text, "
    "digest text, " + ", ".join(f"{c} text" for c in FIELDS[:-5]) + ", established date, "
    "credit_class text, abnormal_list boolean, serious_violation boolean, categories jsonb, page bytea, "
    "state smallint NOT NULL DEFAULT 2)"
)
_COPY_STAGE = f"COPY {TABLE} ({', '.join(ROW)}) FROM STDIN"

# new / changed / unchanged, for the rows that came unsure
_MARK = (
    f"UPDATE {TABLE} SET state = COALESCE((SELECT CASE WHEN es.digest = {TABLE}.digest AND es.active "
    f"THEN 0 ELSE 1 END FROM entity_sources es WHERE es.source = :source "
    f"AND es.record_key = {TABLE}.record_key), 2) WHERE state = {UNSURE}"
)
# Claims (unchanged records, sent as key and digest) are checked, stamped and released by key, from two
# arrays; each lookup a scalar subquery (one index probe, never turned into a join).
_CLAIMED = "unnest(:keys::text[], :digests::text[]) AS c(k, d)"
_BROKEN_CLAIMS = (
    f"SELECT c.k FROM {_CLAIMED} WHERE (SELECT es.digest FROM entity_sources es WHERE es.source = :source "
    "AND es.record_key = c.k AND es.active LIMIT 1) IS DISTINCT FROM c.d LIMIT 1"
)
_SEEN_CLAIMS = (
    "UPDATE entity_sources SET run_id = :run_id, seen_at = :now WHERE source = :source "
    "AND record_key = ANY(:keys::text[])"
)
_HELD_CLAIMS = (
    f"SELECT c.k FROM {_CLAIMED} WHERE (SELECT 1 FROM quarantine q WHERE q.source = :source "
    "AND q.record_key = c.k LIMIT 1) IS NOT NULL"
)
_COUNT = f"SELECT state, count(*) FROM {TABLE} GROUP BY state"
_SEEN = (
    f"UPDATE entity_sources SET run_id = :run_id, seen_at = :now WHERE source = :source AND record_key IN "
    f"(SELECT record_key FROM {TABLE} WHERE state = 0)"
)
_LINKS = (
    f"INSERT INTO entity_sources (source, record_key, entity_id, raw, digest, active, seen_at, run_id, page) "
    f"SELECT :source, record_key, entity_id, raw, digest, TRUE, :now, :run_id, page FROM {TABLE} WHERE state <> 0 "
    "ORDER BY record_key ON CONFLICT (source, record_key) DO UPDATE SET entity_id = excluded.entity_id, "
    "raw = excluded.raw, digest = excluded.digest, active = TRUE, seen_at = excluded.seen_at, "
    "run_id = excluded.run_id, page = excluded.page"
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
        "WHERE state <> 0 ORDER BY entity_id ON CONFLICT (entity_id) DO NOTHING"
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
        f"UPDATE entities SET {', '.join(sets)} FROM {TABLE} s WHERE s.state <> 0 AND entities.entity_id = s.entity_id"
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
_EMPTY = f"TRUNCATE {TABLE}"  # (a DELETE would leave dead rows for every later stage to read)
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


_VALUES = FIELDS[:-1]  # a row's values taken as they are (categories become JSON text)
_TAKE = operator.itemgetter(*_VALUES)
_ESTABLISHED = _VALUES.index("established")


def stage_row(r: SourceRecord, entity_id: str, digest: str, state: int = UNSURE, page: bytes | None = None) -> tuple:
    """The stage row of a valid record (``ROW``): built where the record was checked, so only plain
    tuples of text travel to the applying side. ``page``: the fingerprint of the page it came from, when
    that page is to be registered whole (``EntityStage.add_rows``)."""
    f = r.fields
    try:
        values = _TAKE(f)
    except KeyError:  # a source that leaves fields out (a missing field is None)
        values = tuple(map(f.get, _VALUES))
    est = values[_ESTABLISHED]
    if est is not None and (est.__class__ is not str or not est):
        est = (est.isoformat() if isinstance(est, date) else str(est)) or None
        values = (*values[:_ESTABLISHED], est, *values[_ESTABLISHED + 1 :])
    return (r.key, entity_id, r.raw, digest, *values, _categories_text(f.get("categories")), page, state)


def _param(column: str) -> str:
    """The SQLite parameter of ``column`` in a merge's parameters: a stage row, then ``_TAIL``."""
    return f"?{(ROW + _TAIL).index(column) + 1}"


_TAIL = ("now", "sources", "run_id", "source")  # what a SQLite merge appends to each row


def _sqlite_entities_sql() -> str:
    """merge_entity's rules as one upsert per row (run as one executemany): a new entity takes the row's
    values (defaults for the empty ones); a stored one takes the non-empty ones, and the union of its
    categories and sources with the row's."""
    values = []
    for c in FIELDS:
        if c == "status":
            values.append(f"COALESCE(NULLIF({_param(c)}, ''), 'active')")
        elif c in TEXT_FIELDS:
            values.append(f"NULLIF({_param(c)}, '')")
        elif c in FLAG_FIELDS:
            values.append(f"COALESCE({_param(c)}, FALSE)")
        else:  # established, categories
            values.append(_param(c))
    sets = [
        f"{c} = COALESCE(NULLIF({_param(c)}, ''), entities.{c})"
        if c == "status"
        else f"{c} = COALESCE(excluded.{c}, entities.{c})"
        for c in TEXT_FIELDS
    ]
    sets += ["established = COALESCE(excluded.established, entities.established)"]
    sets += [f"{c} = COALESCE({_param(c)}, entities.{c})" for c in FLAG_FIELDS]
    sets += [
        "categories = CASE WHEN excluded.categories = '[]' OR excluded.categories = entities.categories "
        f"THEN entities.categories ELSE {_union('sqlite', 'entities.categories', 'excluded.categories')} END",
        f"sources = CASE WHEN EXISTS (SELECT 1 FROM json_each(entities.sources) WHERE value = {_param('source')}) "
        f"THEN entities.sources ELSE {_union('sqlite', 'entities.sources', _param('sources'))} END",
        "active = TRUE",
        f"updated_at = {_param('now')}",
    ]
    now = _param("now")
    return (
        f"INSERT INTO entities (entity_id, {', '.join(FIELDS)}, complaints, active, sources, created_at, "
        f"updated_at) VALUES ({_param('entity_id')}, {', '.join(values)}, 0, TRUE, {_param('sources')}, {now}, "
        f"{now}) ON CONFLICT (entity_id) DO UPDATE SET {', '.join(sets)}"
    )


_SQLITE_ENTITIES = _sqlite_entities_sql()
_SQLITE_LINKS = (
    "INSERT INTO entity_sources (source, record_key, entity_id, raw, digest, active, seen_at, run_id, page) "
    f"VALUES ({_param('source')}, ?1, ?2, ?3, ?4, TRUE, {_param('now')}, {_param('run_id')}, {_param('page')}) "
    "ON CONFLICT (source, record_key) DO UPDATE SET entity_id = excluded.entity_id, raw = excluded.raw, "
    "digest = excluded.digest, active = TRUE, seen_at = excluded.seen_at, run_id = excluded.run_id, "
    "page = excluded.page"
)
_SQLITE_CHUNK = 500  # keys per IN list
_SQLITE_STORED = "SELECT record_key, digest, active FROM entity_sources WHERE source = ? AND record_key IN ({marks})"
_SQLITE_SEEN = "UPDATE entity_sources SET run_id = ?, seen_at = ? WHERE source = ? AND record_key IN ({marks})"
_SQLITE_RELEASE = "DELETE FROM quarantine WHERE source = ? AND record_key IN ({marks})"
# Pages registered whole (0017_sync_pages): a page's records not written from it this time (unchanged ones)
# are pointed at it, then it is recorded; a page sent as unchanged must be recorded still.
_SQLITE_PAGE_OF = "UPDATE entity_sources SET page = ? WHERE source = ? AND record_key IN ({marks})"
_PAGE_OF = "UPDATE entity_sources SET page = :fp WHERE source = :source AND record_key = ANY(:keys)"
_REGISTER = (
    "INSERT INTO sync_pages (source, fp, records, run_id) VALUES (:source, :fp, :records, :run_id) "
    "ON CONFLICT (source, fp) DO NOTHING"
)
_REGISTERED = "SELECT 1 FROM sync_pages WHERE source = :source AND fp = :fp"
_UNCHANGED_ROWS = f"SELECT record_key FROM {TABLE} WHERE state = {UNCHANGED}"


def _chunks(keys: list[str]) -> Iterable[tuple[str, list[str]]]:
    """``keys`` in lists of at most _SQLITE_CHUNK, each with its ``?`` marks."""
    for at in range(0, len(keys), _SQLITE_CHUNK):
        chunk = keys[at : at + _SQLITE_CHUNK]
        yield ",".join("?" * len(chunk)), chunk


class BrokenClaim(RuntimeError):
    """A record (or a page) sent as unchanged whose stored version differs: what is fetched was looked
    up wrongly, or the master changed meanwhile."""

    def __init__(self, source: str, key: str, what: str = "record") -> None:
        super().__init__(
            f"{source}: {what} {key!r} was sent as unchanged, but the master holds another version of it; "
            "run the sync again"
        )


class EntityStage:
    """The valid (and invalid) records of one source's run not merged yet; ``merge`` writes them."""

    def __init__(self, source: str, run_id: int, snapshot: bool = False, limit: int = 10_000) -> None:
        self.source, self.run_id, self.snapshot, self.limit = source, run_id, snapshot, limit
        self.rows: list[tuple] = []  # stage rows (ROW) of records that are new, changed or unsure
        self.claims: list[tuple[str, str]] = []  # (key, digest) of records sent as unchanged
        self.bad: list[Bad] = []
        self.keys: set[str] = set()
        self.entity_ids: set[str] = set()
        self.pages: dict[bytes, list[str]] = {}  # pages to register at the merge: fingerprint -> keys
        self.timings: list[tuple[int, float]] = []  # (rows, seconds) of each merge: how its cost grows

    def __len__(self) -> int:
        return len(self.rows) + len(self.claims) + len(self.bad)

    def add(
        self,
        session: Session,
        good: list[tuple[SourceRecord, str | None, str]],
        bad: list[tuple[SourceRecord, str]],
        now: datetime,
    ) -> dict[str, int]:
        """Stage ``good`` (record, entity id, digest; a record without fields is a claim of an unchanged
        one) and ``bad`` (record, reason): ``add_rows`` for records not prepared where they were fetched."""
        rows, claims = [], []
        for r, eid, digest in good:
            if r.fields is None or eid is None:
                claims.append((r.key, digest))
            else:
                rows.append(stage_row(r, eid, digest))
        return self.add_rows(session, rows, claims, [(r.key, r.raw, reason) for r, reason in bad], now)

    def add_rows(
        self,
        session: Session,
        rows: list[tuple],
        claims: list[tuple[str, str]],
        bad: list[Bad],
        now: datetime,
        page: bytes | None = None,
        unchanged_page: tuple[bytes, int] | None = None,
    ) -> dict[str, int]:
        """Stage ``rows`` (ROW tuples), ``claims`` (key, digest) and ``bad`` (key, raw, reason); merge first
        whatever a new record would overtake, and once the stage holds ``limit`` records. ``page``: these
        are every record of that page (its rows carry it), to register at the merge. ``unchanged_page``:
        (fingerprint, records) of a page sent as unchanged, which must be registered still. Returns the
        counts of any merge done (and of the unchanged page)."""
        counts: dict[str, int] = {}
        if unchanged_page is not None:
            fp, records = unchanged_page
            conn = session.connection()
            found = conn.exec_driver_sql(
                _sql(conn.dialect.name, _REGISTERED), {"source": self.source, "fp": fp}
            ).first()
            if found is None:
                raise BrokenClaim(self.source, fp.hex(), "page")
            counts["unchanged"] = records
        keys = [r[0] for r in rows] + [k for k, _ in claims] + [k for k, _, _ in bad]
        ids = [r[1] for r in rows]
        if (
            self.keys.isdisjoint(keys)
            and self.entity_ids.isdisjoint(ids)
            and len(set(keys)) == len(keys)
            and len(set(ids)) == len(ids)
        ):
            self.rows += rows
            self.claims += claims
            self.bad += bad
            self.keys.update(keys)
            self.entity_ids.update(ids)
            if page is not None and not bad:
                self.pages[page] = keys
        else:  # a key or an entity again: one by one, merging before each repeat (and no page registered)
            for row in rows:
                if row[0] in self.keys or row[1] in self.entity_ids:
                    _add(counts, self.merge(session, now))
                self.rows.append(row)
                self.keys.add(row[0])
                self.entity_ids.add(row[1])
            for claim in claims:
                if claim[0] in self.keys:
                    _add(counts, self.merge(session, now))
                self.claims.append(claim)
                self.keys.add(claim[0])
            for b in bad:
                if b[0] in self.keys:
                    _add(counts, self.merge(session, now))
                self.bad.append(b)
                self.keys.add(b[0])
        if len(self) >= self.limit:
            _add(counts, self.merge(session, now))
        return counts

    def _params(self, dialect: str, now: datetime) -> dict[str, Any]:
        return {
            "source": self.source,
            "run_id": self.run_id,
            "now": _datetime_param(dialect, now),
            "sources": json.dumps([self.source], ensure_ascii=False),
        }

    def _load(self, session: Session) -> None:
        """PostgreSQL: write the staged rows to the stage table in one COPY."""
        conn = session.connection()
        conn.exec_driver_sql(_CREATE)
        conn.exec_driver_sql(_INDEX_ONLY)
        raw = conn.connection.driver_connection
        with raw.cursor() as cur, cur.copy(_COPY_STAGE) as copy:  # type: ignore[union-attr]
            write = copy.write_row
            for row in self.rows:
                write(row)

    def plans(self, session: Session, now: datetime) -> dict[str, str]:
        """How the database would run each statement of a merge of what is staged (EXPLAIN), by name;
        the stage is emptied and nothing else is written. For tests, and for a person chasing a slow sync."""
        conn = session.connection()
        dialect = conn.dialect.name
        params = self._params(dialect, now)
        out = {}
        if dialect == "sqlite":
            tail = tuple(params[k] for k in _TAIL)
            row = self.rows[0] + tail if self.rows else (None,) * len(ROW) + tail
            marks = ",".join("?" * min(len(self.rows), _SQLITE_CHUNK) or "?")
            keys = [r[0] for r in self.rows[:_SQLITE_CHUNK]] or [""]
            statements: list[tuple[str, str, Any]] = [
                ("lookup", _SQLITE_STORED.format(marks=marks), (self.source, *keys)),
                ("entities", _SQLITE_ENTITIES, row),
                ("links", _SQLITE_LINKS, row),
                ("seen", _SQLITE_SEEN.format(marks=marks), (self.run_id, params["now"], self.source, *keys)),
                ("release", _SQLITE_RELEASE.format(marks=marks), (self.source, *keys)),
            ]
            raw = conn.connection.driver_connection
            for name, sql, args in statements:
                rows = raw.execute("EXPLAIN QUERY PLAN " + sql, args).fetchall()  # type: ignore[union-attr]
                out[name] = "\n".join(str(r[-1]) for r in rows)
        else:
            self._load(session)
            for name, sql in (
                ("mark", _MARK),
                ("seen", _SEEN),
                ("update entities", _update_entities_sql(dialect)),
                ("new entities", _new_entities_sql(dialect)),
                ("links", _LINKS),
                ("held", _HELD),
            ):
                rows = conn.exec_driver_sql(_sql(dialect, "EXPLAIN " + sql), params).all()
                out[name] = "\n".join(str(row[-1]) for row in rows)
            conn.exec_driver_sql(_EMPTY)
            conn.exec_driver_sql(_PLANS_DEFAULT)
        self._clear()
        return out

    def _clear(self) -> None:
        self.rows, self.claims, self.bad = [], [], []
        self.keys, self.entity_ids = set(), set()
        self.pages = {}

    def merge(self, session: Session, now: datetime) -> dict[str, int]:
        """Write what is staged, in the session's transaction; counts of inserted, updated, unchanged."""
        counts = {"inserted": 0, "updated": 0, "unchanged": 0}
        if not len(self):
            return counts
        started = time.perf_counter()
        conn = session.connection()
        dialect = conn.dialect.name
        params = self._params(dialect, now)
        quarantined = conn.exec_driver_sql(_sql(dialect, _HAS_QUARANTINE), {"source": self.source}).first() is not None
        unchanged: list[str] = []
        if self.rows or self.claims:
            if dialect == "sqlite":
                mark_public_write(conn)  # the driver's own executemany below bypasses SQLAlchemy's events
                unchanged = self._merge_sqlite(conn.connection.driver_connection, params, counts, quarantined)
            else:
                unchanged = self._merge_postgresql(session, params, counts, quarantined)
        if self.pages:
            self._register(session, unchanged)
        if self.bad:
            _quarantine(session, self.source, self.run_id, now, self.bad)
        self.timings.append((len(self.rows) + len(self.claims), time.perf_counter() - started))
        self._clear()
        return counts

    def _register(self, session: Session, unchanged: list[str]) -> None:
        """Record the pages staged whole, once their records are merged: those of their records not written
        from them this time (unchanged ones) are pointed at them first."""
        conn = session.connection()
        dialect = conn.dialect.name
        confirm = set(unchanged)
        for fp, keys in self.pages.items():
            stale = [k for k in keys if k in confirm]
            if dialect == "sqlite":
                raw = conn.connection.driver_connection
                for marks, chunk in _chunks(stale):
                    raw.execute(_SQLITE_PAGE_OF.format(marks=marks), (fp, self.source, *chunk))  # type: ignore[union-attr]
            elif stale:
                conn.exec_driver_sql(_sql(dialect, _PAGE_OF), {"fp": fp, "source": self.source, "keys": stale})
            conn.exec_driver_sql(
                _sql(dialect, _REGISTER), {"source": self.source, "fp": fp, "records": len(keys), "run_id": self.run_id}
            )

    def _merge_sqlite(self, raw: Any, params: dict[str, Any], counts: dict[str, int], quarantined: bool) -> list[str]:
        """Straight from the rows: look up the unsure ones and the claims, upsert what changed. Returns the
        keys found unchanged."""
        source, rows = self.source, self.rows
        tail = tuple(params[k] for k in _TAIL)
        lookup = [r[0] for r in rows if r[STATE] == UNSURE] + [k for k, _ in self.claims]
        stored: dict[str, tuple[str, int]] = {}
        for marks, chunk in _chunks(lookup):
            stored.update((k, (d, a)) for k, d, a in raw.execute(_SQLITE_STORED.format(marks=marks), (source, *chunk)))
        for key, digest in self.claims:
            held = stored.get(key)
            if held is None or not held[1] or held[0] != digest:
                raise BrokenClaim(source, key)
        unchanged = [k for k, _ in self.claims]
        write = []
        inserted = updated = 0
        for row in rows:
            state = row[STATE]
            if state == UNSURE:
                held = stored.get(row[0])
                if held is None:
                    state = NEW
                elif held[1] and held[0] == row[3]:
                    unchanged.append(row[0])
                    continue
                else:
                    state = CHANGED
            if state == NEW:
                inserted += 1
            else:
                updated += 1
            write.append(row + tail)
        if write:
            raw.executemany(_SQLITE_ENTITIES, write)
            raw.executemany(_SQLITE_LINKS, write)
        if unchanged and self.snapshot:
            for marks, chunk in _chunks(unchanged):
                raw.execute(_SQLITE_SEEN.format(marks=marks), (self.run_id, params["now"], source, *chunk))
        if quarantined:
            for marks, chunk in _chunks([r[0] for r in rows] + [k for k, _ in self.claims]):
                raw.execute(_SQLITE_RELEASE.format(marks=marks), (source, *chunk))
        counts["inserted"] += inserted
        counts["updated"] += updated
        counts["unchanged"] += len(unchanged)
        return unchanged

    def _merge_postgresql(
        self, session: Session, params: dict[str, Any], counts: dict[str, int], quarantined: bool
    ) -> list[str]:
        """Through the stage table: one COPY, then set-based statements. Returns the keys found unchanged
        when a page is to be registered (nobody asks otherwise)."""
        conn = session.connection()
        dialect = "postgresql"

        def run(text: str) -> Any:
            return conn.exec_driver_sql(_sql(dialect, text), params)

        self._load(session)
        if any(r[STATE] == UNSURE for r in self.rows):
            run(_MARK)
        claimed = {**params, "keys": [k for k, _ in self.claims], "digests": [d for _, d in self.claims]}
        if self.claims:  # each claim holds: its key's active stored digest is the one claimed
            broken = conn.exec_driver_sql(_sql(dialect, _BROKEN_CLAIMS), claimed).first()
            if broken is not None:
                raise BrokenClaim(self.source, broken[0])
            counts["unchanged"] += len(self.claims)
            if self.snapshot:
                conn.exec_driver_sql(_sql(dialect, _SEEN_CLAIMS), claimed)
        changed = 0
        for state, n in conn.exec_driver_sql(_COUNT):
            if state == UNCHANGED:
                counts["unchanged"] += n
            elif state == NEW:
                counts["inserted"] += n
            else:
                counts["updated"] += n
            if state != UNCHANGED:
                changed += n
        if counts["unchanged"] and self.snapshot:
            run(_SEEN)
        if changed:  # the entities that exist are updated, then the rest inserted (each found by its index)
            run(_update_entities_sql(dialect))
            run(_new_entities_sql(dialect))
            run(_LINKS)
        if quarantined:
            held = [{"source": self.source, "key": k} for (k,) in run(_HELD)]
            if self.claims:
                held += [
                    {"source": self.source, "key": k}
                    for (k,) in conn.exec_driver_sql(_sql(dialect, _HELD_CLAIMS), claimed)
                ]
            if held:
                conn.exec_driver_sql(_sql(dialect, _RELEASE), held)
        unchanged = [k for k, _ in self.claims]
        if self.pages:
            unchanged += [k for (k,) in conn.exec_driver_sql(_UNCHANGED_ROWS)]
        conn.exec_driver_sql(_EMPTY)
        conn.exec_driver_sql(_PLANS_DEFAULT)
        return unchanged


def _quarantine(session: Session, source: str, run_id: int, now: datetime, bad: Iterable[Bad]) -> None:
    upsert(
        session,
        QuarantineRecord.__table__,
        [
            {
                "source": source,
                "record_key": key[:128],
                "reason": reason,
                "raw": raw,
                "received_at": now,
                "run_id": run_id,
            }
            for key, raw, reason in bad
        ],
        keys=["source", "record_key"],
        update=["reason", "raw", "received_at", "run_id"],
    )


def _add(into: dict[str, int], more: Mapping[str, int]) -> None:
    for k, v in more.items():
        into[k] = into.get(k, 0) + v
