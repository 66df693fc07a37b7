"""The streamed freeze: the roster and pool files written from the database page by page (keyset paging in
byte order), hashed as they are written and stored in pieces, so neither file is ever whole in memory."""

from __future__ import annotations

import hashlib
import mmap
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from hub.draw import jdp
from hub.draw.feasibility import PoolTally
from hub.errors import DrawError, InvalidInput
from hub.tasks.gather import InspectionHistory, entity_pages, inspector_pages
from hub.tasks.models import FrozenChunk
from hub.tasks.plan import build_pool, roster_rows
from hub.tasks.spec import TaskSpec

CHUNK_BYTES = 1 << 20  # a stored piece: about 23,000 roster lines
KINDS = ("roster", "pool")


class FrozenFileWriter:
    """Takes the file's bytes in order, hashes every one, and hands `store(seq, piece)` pieces of about
    CHUNK_BYTES cut at line ends."""

    def __init__(self, hash_name: str, store: Callable[[int, bytes], None]) -> None:
        self.hash = hashlib.new(hash_name)
        self.store, self.seq, self.size = store, 0, 0
        self.pending: list[bytes] = []
        self.pending_bytes = 0

    def write(self, data: bytes) -> None:
        self.hash.update(data)
        self.size += len(data)
        self.pending.append(data)
        self.pending_bytes += len(data)
        if self.pending_bytes >= CHUNK_BYTES:
            self._flush()

    def _flush(self) -> None:
        if self.pending:
            self.store(self.seq, b"".join(self.pending))
            self.seq += 1
            self.pending, self.pending_bytes = [], 0

    def close(self) -> str:
        """Store what is left; the file's digest in lower-case hex."""
        self._flush()
        return self.hash.hexdigest()


def chunk_store(s: Session, task_id: str, kind: str) -> Callable[[int, bytes], None]:
    """Stores pieces as rows of frozen_chunks (a core insert: nothing stays in the session)."""
    s.execute(delete(FrozenChunk).where(FrozenChunk.task_id == task_id, FrozenChunk.kind == kind))

    def store(seq: int, data: bytes) -> None:
        s.execute(insert(FrozenChunk).values(task_id=task_id, kind=kind, seq=seq, data=data))

    return store


def discard(seq: int, data: bytes) -> None:
    """A store for the pre-check, which only needs the counts."""


@dataclass
class RosterTally:
    """What the freeze learns while it writes the roster file."""

    digest: str = ""
    size: int = 0
    districts: dict[str, Counter[str]] = field(default_factory=dict)  # stratum -> district -> entities

    @property
    def strata(self) -> dict[str, int]:
        return {stratum: sum(counts.values()) for stratum, counts in self.districts.items()}


def write_roster(
    s: Session, spec: TaskSpec, today: date, out: FrozenFileWriter, history: InspectionHistory | None
) -> RosterTally:
    """The JDP §1 roster file of the task's eligible entities, page by page in entity_id byte order."""
    tally, last = RosterTally(), b""
    for page in entity_pages(s, spec, history):
        rows = roster_rows(spec, page, today)
        if not rows:
            continue
        first = rows[0].entity_id.encode("utf-8")
        if last and not last < first:  # the pages come in byte order; a database that sorts otherwise is caught
            raise DrawError(f"entity {rows[0].entity_id!r} came out of byte order from the database", where="freeze")
        out.write(jdp.format_roster(rows))
        last = rows[-1].entity_id.encode("utf-8")
        for row in rows:
            tally.districts.setdefault(row.stratum, Counter())[row.district] += 1
        tally.size += len(rows)
    tally.digest = out.close()
    return tally


def write_pool(
    s: Session, spec: TaskSpec, out: FrozenFileWriter, tally: PoolTally | None, history: InspectionHistory | None
) -> tuple[str, int]:
    """The JDP §1 pool file, page by page in inspector_id byte order; each inspector also goes to `tally`."""
    size, last = 0, b""
    for page in inspector_pages(s, spec, history):
        rows = build_pool(spec, page, spec.window.start)
        if not rows:
            continue
        first = rows[0].inspector_id.encode("utf-8")
        if last and not last < first:
            raise InvalidInput(
                f"inspector id {rows[0].inspector_id!r} appears twice or out of byte order",
                where=f"inspector {rows[0].inspector_id!r}",
            )
        out.write(jdp.format_pool(rows))
        last = rows[-1].inspector_id.encode("utf-8")
        if tally is not None:
            for row in rows:
                tally.add(row)
        size += len(rows)
    return out.close(), size


def frozen_pieces(s: Session, task_id: str, kind: str) -> Iterator[bytes]:
    """The stored pieces of a frozen file, in order, a few at a time."""
    query = (
        select(FrozenChunk.data)
        .where(FrozenChunk.task_id == task_id, FrozenChunk.kind == kind)
        .order_by(FrozenChunk.seq)
        .execution_options(yield_per=4)
    )
    yield from s.scalars(query)


def has_pieces(s: Session, task_id: str) -> bool:
    return s.scalar(select(FrozenChunk.seq).where(FrozenChunk.task_id == task_id).limit(1)) is not None


def copy_to_file(pieces: Iterator[bytes], hash_name: str) -> tuple[IO[bytes], str]:
    """The pieces written to an anonymous temporary file, and the digest of what was written."""
    h = hashlib.new(hash_name)
    file = tempfile.TemporaryFile(prefix="hub-frozen-")
    for piece in pieces:
        h.update(piece)
        file.write(piece)
    file.flush()
    return file, h.hexdigest()


def file_bytes(file: IO[bytes]) -> Any:
    """A read-only memory map of a whole file (b"" when empty): the draw reads it like bytes."""
    if file.seek(0, 2) == 0:
        return b""
    return mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
