"""What a source's stored records say, looked up where its batches are fetched: a record whose digest
is the stored one is unchanged, so it skips its check and crosses to the applying process as a claim
(key and digest only). A full re-sync of an unchanged roster then costs little more than the fetch.

The lookup reads what is committed, on a connection of its own (opened in the fetching process or
thread). A record this run sent earlier may not be committed yet when a later copy of it is looked up:
the stored digest would then be stale. So a key sent within the last ``window`` records (at least what
can be in flight and uncommitted: a commit group plus the batches queued ahead) is never claimed, and
the applying side checks every claim against the master (``stage.EntityStage``) and fails loudly on one
that does not hold.

A page the hub registered whole (``sync_pages``, 0017_sync_pages) is recognised by its fingerprint before
its records are even made (``page_unchanged``): it crosses as one claim. The registered pages are read once,
at the first page; one of them holds only while none of its keys was read in this run in another page
(that record may have changed since the pages were read, or be about to), and it is claimed once. The
applying side checks that the page is still registered.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import text

from hub.db import make_engine

_CHUNK = 5000  # keys per lookup (SQLite takes at most 32,766 parameters)
_SQLITE = "SELECT record_key, digest, active FROM entity_sources WHERE source = ? AND record_key IN ({marks})"
# One index probe per key, whatever the table's statistics: the LIMIT keeps the lateral lookup from being
# flattened into a join, which a planner without statistics makes a scan of the source's every record.
_POSTGRESQL = (
    "SELECT k.key, es.digest, es.active FROM unnest(%s::text[]) AS k(key) JOIN LATERAL (SELECT digest, active "
    "FROM entity_sources WHERE source = %s AND record_key = k.key LIMIT 1) AS es ON TRUE"
)

_PAGES = text("SELECT fp FROM sync_pages WHERE source = :source")
_PLAN = "SET LOCAL enable_seqscan = off; SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off; SET LOCAL jit = off"


class KnownDigests:
    """Stored digests of ``source``'s active records, by key; ``recent`` keeps claims off fresh keys."""

    def __init__(self, url: str, source: str, uncommitted: int, batches_ahead: int) -> None:
        """``uncommitted``: records a commit group may hold; ``batches_ahead``: batches that may be queued
        between here and the applying side (the window counts them at the largest batch seen)."""
        self.url, self.source = url, source
        self.uncommitted, self.ahead, self.largest = uncommitted, batches_ahead, 0
        self._engine: Any = None
        self._recent: deque[str] = deque()
        self._counts: dict[str, int] = {}
        self._pages: set[bytes] | None = None  # fingerprints of the registered pages (read at the first page)
        self._read: set[str] = set()  # keys of the records read one by one in this run (while pages are known)

    def page_unchanged(self, fingerprint: bytes, keys: list[str]) -> bool:
        """Whether the page with ``fingerprint`` and ``keys`` is one the hub holds unchanged: registered when
        the run began, not claimed yet in this run, and none of its keys read in another page since."""
        pages = self._registered_pages()
        if fingerprint not in pages or not self._read.isdisjoint(keys):
            return False
        pages.discard(fingerprint)  # once: the same page twice in a run is read the second time
        return True

    def read(self, keys: Sequence[str]) -> None:
        """``keys`` were read one by one in this run (a page no claim covers)."""
        if self._registered_pages():
            self._read.update(keys)

    def _registered_pages(self) -> set[bytes]:
        if self._pages is None:
            with self._connect() as (conn, _raw):
                rows = conn.execute(_PAGES, {"source": self.source}).all()
            self._pages = {bytes(fp) for (fp,) in rows}
        return self._pages

    @contextmanager
    def _connect(self) -> Iterator[tuple[Any, Any]]:
        """A connection of this process's own (made here, in the fetching process or thread), and its
        driver's connection; rolled back after."""
        if self._engine is None:
            self._engine = make_engine(self.url)
        with self._engine.connect() as conn:
            yield conn, conn.connection.driver_connection
            conn.rollback()

    def lookup(self, keys: Sequence[str]) -> dict[str, str]:
        """The stored digest of each of ``keys`` that has an active record and was not sent lately."""
        return {k: digest for k, (digest, active) in self.stored(keys).items() if active}

    def recent(self, key: str) -> bool:
        """Whether ``key`` was sent within the window (what is stored of it may be stale)."""
        return key in self._counts

    def stored(self, keys: Sequence[str]) -> dict[str, tuple[str, bool]]:
        """(digest, active) of each of ``keys`` that has a stored record and was not sent lately: for
        those, what is committed is what the applying side sees (a key absent here and not recent is new)."""
        if not keys:
            return {}
        if len(keys) > _CHUNK:
            found: dict[str, tuple[str, bool]] = {}
            for at in range(0, len(keys), _CHUNK):
                found.update(self.stored(keys[at : at + _CHUNK]))
            return found
        with self._connect() as (conn, raw):
            if conn.dialect.name == "postgresql":
                with raw.cursor() as cur:
                    cur.execute(_PLAN)
                    cur.execute(_POSTGRESQL, (list(keys), self.source))
                    rows = cur.fetchall()
            else:
                rows = raw.execute(_SQLITE.format(marks=",".join("?" * len(keys))), (self.source, *keys)).fetchall()
        counts = self._counts
        return {k: (d, bool(a)) for k, d, a in rows if k not in counts}

    def sent(self, keys: Sequence[str]) -> None:
        """``keys`` are on their way to be written: no claim on them within the window."""
        recent, counts = self._recent, self._counts
        self.largest = max(self.largest, len(keys))
        window = self.uncommitted + self.ahead * self.largest
        for k in keys:
            recent.append(k)
            counts[k] = counts.get(k, 0) + 1
        while len(recent) > window:
            k = recent.popleft()
            n = counts[k] - 1
            if n:
                counts[k] = n
            else:
                del counts[k]

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
