"""Engine, sessions and the declarative Base; migrations live in hub/migrations (Alembic).

Services open a unit of work with ``unit_of_work()``; nothing else commits.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Integer, MetaData, Table, create_engine, event, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from hub.memory import return_free_memory

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSON on SQLite, JSONB on PostgreSQL.
JSONType = JSON().with_variant(postgresql.JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


#: Tables a migration creates that no model describes: SQLite's FTS5 name index and its shadow tables
#: (0015_public_names; 0011_portal's before it), kept by triggers.
SEARCH_TABLE_PREFIX = ("public_name_index", "entity_names")


def described_by_models(name: str | None, type_: str, _parent_names: object = None) -> bool:
    """Alembic's ``include_name`` hook: compare only what the models describe."""
    return not (type_ == "table" and (name or "").startswith(SEARCH_TABLE_PREFIX))


# -- the publication generations ------------------------------------------------------------------
#
# The public portal keeps its answers in a response cache (hub.web.caching) keyed by the URL and these
# numbers: every transaction that writes a table the public pages show (below) adds one to the number
# of each kind of public data it wrote, as the last statement before COMMIT, on the same connection, so
# the new data and the new numbers become visible together. A page reads the numbers (one statement)
# before its data, so an answer is never kept under numbers newer than what it shows: a cached page is
# never stale, whatever its time to live.
#
# Three kinds, so that a write no page shows much of does not make every page a miss: DATA (what the
# notices are made of), DELIVERIES (the outbox: when a notice reached a platform, written as each
# message is delivered) and AUDIT (the chain's head, on the home page only; written beside many
# non-public writes: sign-ins, tokens, users). Every cached page depends on DATA; it depends on
# DELIVERIES or AUDIT only if it read the outbox or the audit log while it was rendered, which the
# engine records by itself (``track_reads``): no page can forget a dependency.

DATA, DELIVERIES, AUDIT = "data", "deliveries", "audit"
#: The row of publication_generation that holds each kind's number (1: the single number of 0014).
KIND_IDS = {DATA: 1, DELIVERIES: 2, AUDIT: 3}

#: Tables whose rows (or whose rows' presence) some public page, twin or feed shows, and their kind:
#: results and the entities and inspectors they name, tasks and their draws, item lists, plans,
#: working-day overrides; the outbox (delivery dates); the audit chain (its head is on the home page).
PUBLIC_KINDS = {
    "results": DATA,
    "entities": DATA,
    "inspectors": DATA,
    "joint_tasks": DATA,
    "task_parties": DATA,
    "frozen_chunks": DATA,
    "assignments": DATA,
    "assignment_inspectors": DATA,
    "items": DATA,
    "annual_plans": DATA,
    "plan_entries": DATA,
    "calendar_overrides": DATA,
    "outbox": DELIVERIES,
    "audit_log": AUDIT,
}
PUBLIC_TABLES = frozenset(PUBLIC_KINDS)
#: A statement that names one of these tables reads (or may read) that kind (over-reading is safe:
#: a page then depends on a kind it does not show, and is only a miss more often).
_READS = tuple(
    (re.compile(rf"\b{table}\b", re.IGNORECASE), kind) for table, kind in PUBLIC_KINDS.items() if kind != DATA
)

publication_generation = Table(
    "publication_generation",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("generation", BigInteger, nullable=False),
)

_WRITE = re.compile(r"\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)\"?", re.IGNORECASE)
_PUBLIC_WRITE = "hub_public_write"  # connection.info: the kinds of public data this transaction wrote
_READ = "SELECT id, generation FROM publication_generation"
#: Connections kept for the generation read, per process: one per thread of ``hub serve`` (4 by default)
#: and some to spare, so that no request opens one (a new PostgreSQL backend is a fork, ~ms) and then
#: closes it again because the pool was full.
GENERATION_POOL = 8


def _bump(kinds: set[str]) -> str:
    """One statement raising each kind's number (rows in id order: two writers never lock in opposite orders)."""
    rows = ", ".join(f"({KIND_IDS[k]}, 1)" for k in sorted(kinds, key=KIND_IDS.__getitem__))
    return (
        f"INSERT INTO publication_generation (id, generation) VALUES {rows} "
        "ON CONFLICT (id) DO UPDATE SET generation = publication_generation.generation + 1"
    )


def public_kind(statement: str) -> str | None:
    """The kind of public data a SQL statement inserts, updates or deletes (None: not public data)."""
    m = _WRITE.match(statement)
    return PUBLIC_KINDS.get(m.group(1).lower()) if m is not None else None


def writes_public_table(statement: str) -> bool:
    """Whether a SQL statement inserts into, updates or deletes from a table in PUBLIC_TABLES."""
    return public_kind(statement) is not None


def mark_public_write(conn: Connection | Session, kinds: Iterable[str] = (DATA,)) -> None:
    """Say that the current transaction changed public data (of ``kinds``) without going through
    SQLAlchemy's statement execution (e.g. a DB-API ``executemany`` on the driver's own connection)."""
    target = conn.connection() if isinstance(conn, Session) else conn
    target.info.setdefault(_PUBLIC_WRITE, set()).update(kinds)


def read_generations(conn: Connection) -> dict[str, int]:
    """The current number of each kind of public data (0 before the first write of that kind)."""
    stored: dict[int, int] = {row: number for row, number in conn.exec_driver_sql(_READ).all()}
    return {kind: int(stored.get(row, 0)) for kind, row in KIND_IDS.items()}


def read_generation(conn: Connection) -> int:
    """The current generation of the public DATA (0 before the first public write)."""
    return read_generations(conn)[DATA]


_reads: ContextVar[set[str] | None] = ContextVar("hub_public_reads", default=None)


def track_reads() -> set[str]:
    """From now on in this context (this thread or task), collect into the set returned the kinds of
    public data other than DATA that statements read, on any engine made by ``make_engine``."""
    seen: set[str] = set()
    _reads.set(seen)
    return seen


def stop_tracking_reads() -> None:
    _reads.set(None)


def _track_public_writes(engine: Engine) -> None:
    @event.listens_for(engine, "before_cursor_execute")
    def _mark(conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        kind = public_kind(statement)
        if kind is not None:
            conn.info.setdefault(_PUBLIC_WRITE, set()).add(kind)
        reading = _reads.get()
        if reading is not None:
            reading.update(k for pattern, k in _READS if k not in reading and pattern.search(statement))

    @event.listens_for(engine, "commit")
    def _bump_on_commit(conn: Connection) -> None:
        kinds = conn.info.pop(_PUBLIC_WRITE, None)
        if kinds:  # the last statement of the transaction, then COMMIT
            cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            try:
                cursor.execute(_bump(kinds))
            finally:
                cursor.close()

    @event.listens_for(engine, "rollback")
    def _forget(conn: Connection) -> None:
        conn.info.pop(_PUBLIC_WRITE, None)


def make_engine(url: str) -> Engine:
    engine = _make_engine(url)
    _track_public_writes(engine)
    return engine


_RELEASE_CACHE = "hub_release_cache"
CACHE_KIB = 262144  # SQLite's page cache per connection, 256 MiB (see _sqlite_pragmas)


def release_cache_after(s: Session, cache_kib: int | None = None) -> None:
    """On SQLite: the session's connection lets go of its page cache (`PRAGMA shrink_memory`, then the freed
    heap given back to the system: hub.memory) when it goes back to the pool. For a unit of work that reads or
    writes much once (a freeze, the frozen files read for a draw, a draw stored): a pooled connection otherwise
    keeps those pages (up to cache_size, 256 MiB) while it waits, in every process a later draw forks too.
    `cache_kib`: a smaller cache until then (SQLite writes the surplus of a transaction's dirty pages to the
    WAL early), for a unit of work whose process holds much else. Nothing on PostgreSQL (the server holds its
    cache)."""
    if s.get_bind().dialect.name == "sqlite":
        s.connection().info[_RELEASE_CACHE] = True
        if cache_kib is not None:
            s.execute(text(f"PRAGMA cache_size=-{int(cache_kib)}"))


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            # 8 KiB pages for a new database (an existing one keeps its size): a roster row with its raw
            # record is ~500 bytes, and larger pages split less often as random keys arrive (about a
            # tenth less time inserting at 1M entities). Only takes effect before WAL mode is set.
            cur.execute("PRAGMA page_size=8192")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            # A sync commits every `commit_every` records (100,000) arriving in random key order, so each
            # commit dirties most pages of the entity indexes: the cache holds one group's dirty pages (no
            # spilling mid-transaction), and the WAL takes several commits before a checkpoint copies the
            # pages back (each page once). At 1M entities: commits 16 s -> 6 s. The cache of a connection
            # fills only as pages are read, so a connection that reads little stays small.
            cur.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
            cur.execute("PRAGMA wal_autocheckpoint=50000")  # pages: a checkpoint every ~400 MB of WAL (8 KiB pages)
            cur.execute("PRAGMA journal_size_limit=67108864")  # after a checkpoint, the WAL file shrinks to 64 MB
            cur.execute("PRAGMA temp_store=MEMORY")
            cur.close()

        @event.listens_for(engine, "checkin")
        def _release_cache(dbapi_conn, record):
            if dbapi_conn is not None and record.info.pop(_RELEASE_CACHE, False):
                cur = dbapi_conn.cursor()
                cur.execute(f"PRAGMA cache_size=-{CACHE_KIB}")  # back to the usual size, if it was made smaller
                cur.execute("PRAGMA shrink_memory")
                cur.close()
                return_free_memory()  # the freed pages lie amid live ones: malloc keeps them resident otherwise

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


class Database:
    """One engine and session factory per process, configured from Settings."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._generation_engine: Engine | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """A session whose changes commit together on success and roll back on error."""
        session = self.sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def generations(self) -> dict[str, int]:
        """The publication generations, read as cheaply as can be: one statement, one round trip.

        On PostgreSQL through a pool of its own in autocommit mode (no BEGIN, no ROLLBACK) and without the
        ping before each checkout (a connection found broken is dropped and the read made once more on a
        new one); on SQLite through the engine (no network)."""
        if self.is_sqlite:
            with self.engine.connect() as conn:
                return read_generations(conn)
        if self._generation_engine is None:
            self._generation_engine = create_engine(
                self.url,
                isolation_level="AUTOCOMMIT",
                pool_pre_ping=False,
                pool_size=GENERATION_POOL,
                max_overflow=30,
            )
        for attempt in (1, 2):
            try:
                with self._generation_engine.connect() as conn:
                    return read_generations(conn)
            except DBAPIError as exc:
                if attempt == 2 or not exc.connection_invalidated:
                    raise
        raise AssertionError("unreachable")

    def dispose(self, close: bool = True) -> None:
        self.engine.dispose(close=close)
        if self._generation_engine is not None:
            self._generation_engine.dispose(close=close)


_current: Database | None = None


def init_db(url: str) -> Database:
    """Set this process's database (replacing any earlier one)."""
    global _current
    if _current is not None and _current.url == url:
        return _current
    if _current is not None:
        _current.dispose()
    _current = Database(url)
    return _current


def forget_inherited_connections() -> None:
    """In a process just forked: drop the pooled connections of this process's database without closing
    them (they belong to the parent), so the next use opens a connection of its own (SQLAlchemy's advice
    for multiprocessing)."""
    if _current is not None:
        _current.dispose(close=False)


def get_db() -> Database:
    if _current is None:
        raise RuntimeError("the database is not initialised; call hub.db.init_db first")
    return _current


def _alembic(url: str) -> Any:
    from alembic.config import Config

    if url.startswith("sqlite:///"):
        Path(url.split("///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
    here = Path(__file__).parent / "migrations"
    cfg = Config(str(here / "alembic.ini"))
    cfg.set_main_option("script_location", str(here))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Create or migrate the database to ``revision`` with Alembic."""
    from alembic import command

    command.upgrade(_alembic(url), revision)


def downgrade(url: str, revision: str) -> None:
    """Migrate the database back to ``revision`` with Alembic (each revision's ``downgrade``)."""
    from alembic import command

    command.downgrade(_alembic(url), revision)


_SQL_CACHE: dict[tuple, tuple[str, list]] = {}


def _converters(table, cols: list[str], dialect: str) -> list:
    """Per column, how a Python value becomes a DB-API parameter (what SQLAlchemy's types do)."""
    import json as _json
    from datetime import date, datetime

    from sqlalchemy import Date, DateTime
    from sqlalchemy.types import JSON as _JSON

    memo: dict = {}

    def dumps(v):
        if v is None:
            return None
        if isinstance(v, list) and len(v) < 8:  # short lists of names repeat: serialise once
            try:
                key = tuple(v)
                text = memo.get(key)
            except TypeError:
                return _json.dumps(v, ensure_ascii=False)
            if text is None:
                text = _json.dumps(v, ensure_ascii=False)
                if len(memo) < 4096:
                    memo[key] = text
            return text
        return _json.dumps(v, ensure_ascii=False)

    last: list = [None, None]  # a batch stamps many rows with the same moment

    def sqlite_datetime(v):
        if v is None:
            return None
        if v is not last[0]:
            last[0], last[1] = v, v.strftime("%Y-%m-%d %H:%M:%S.%f")
        return last[1]

    def sqlite_date(v):
        return None if v is None else (v.isoformat() if isinstance(v, (date, datetime)) else v)

    out: list = []
    for c in cols:
        t = table.c[c].type
        if isinstance(t, _JSON) or isinstance(getattr(t, "impl", None), _JSON) or t.__class__.__name__ == "JSONB":
            out.append(dumps)
        elif dialect == "sqlite" and isinstance(t, DateTime):
            out.append(sqlite_datetime)
        elif dialect == "sqlite" and isinstance(t, Date):
            out.append(sqlite_date)
        else:
            out.append(None)
    return out


def upsert(session: Session, table, rows: list[dict], keys: list[str], update: list[str]) -> None:
    """INSERT ... ON CONFLICT (keys) DO UPDATE SET update-columns, on SQLite and PostgreSQL.

    A hot path of every sync: the statement is built once and run as one DB-API
    executemany, with values converted here the way SQLAlchemy's column types would.
    """
    if not rows:
        return
    conn = session.connection()
    dialect = conn.dialect.name
    cols = list(rows[0])
    cache_key = (table.name, tuple(cols), tuple(keys), tuple(update), dialect)
    entry = _SQL_CACHE.get(cache_key)
    if entry is None:
        convs = _converters(table, cols, dialect)
        if dialect == "postgresql":
            marks = ", ".join("%s::jsonb" if conv is not None and conv.__name__ == "dumps" else "%s" for conv in convs)
        else:
            marks = ", ".join("?" for _ in cols)
        action = ("DO UPDATE SET " + ", ".join(f'"{c}" = excluded."{c}"' for c in update)) if update else "DO NOTHING"
        names = ", ".join('"' + c + '"' for c in cols)
        sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({marks}) ON CONFLICT ({", ".join(keys)}) {action}'
        entry = _SQL_CACHE[cache_key] = (sql, convs)
    sql, convs = entry
    take = operator.itemgetter(*cols)
    if len(cols) == 1:
        params = [(take(row),) for row in rows]
    else:
        params = [take(row) for row in rows]
    converted = [(i, conv) for i, conv in enumerate(convs) if conv is not None]
    if converted:  # only the JSON and (on SQLite) date columns need a Python conversion
        out = []
        for values in params:
            row_values = list(values)
            for i, conv in converted:
                row_values[i] = conv(row_values[i])
            out.append(tuple(row_values))
        params = out
    conn.exec_driver_sql(sql, params)


_IN_SQL_CACHE: dict[tuple[str, str, int], str] = {}


def select_in(session: Session, sql: str, fixed: tuple, values: list) -> list[tuple]:
    """Rows of ``sql`` (plain SQL: ``?`` marks the fixed parameters, ``IN ?...`` the list), on SQLite
    and PostgreSQL. A hot path of every sync: SQLAlchemy's expanding parameters compile the
    statement anew for every list, which costs more than the query itself."""
    if not values:
        return []
    conn = session.connection()
    dialect = conn.dialect.name
    key = (sql, dialect, len(values))
    text = _IN_SQL_CACHE.get(key)
    if text is None:
        mark = "%s" if dialect == "postgresql" else "?"
        text = sql.replace("IN ?...", "IN (" + ", ".join([mark] * len(values)) + ")").replace("?", mark)
        if len(_IN_SQL_CACHE) < 256:
            _IN_SQL_CACHE[key] = text
    return [tuple(row) for row in conn.exec_driver_sql(text, (*fixed, *values))]
