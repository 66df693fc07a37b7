"""Giving a document its number once, safely when several people print at the same moment.

The counter row of (agency, year) is raised by one UPDATE ... RETURNING, which holds the row
(PostgreSQL) or the database (SQLite) until the number is stored in the same transaction; a
unique key per document and per (agency, year, serial) turns any race that slips through into
an IntegrityError, after which the attempt is repeated and finds the number already stored.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from hub.audit.log import record as audit
from hub.db import Database
from hub.documents.models import DocumentCounter, DocumentNumber
from hub.documents.numbering import format_number
from hub.documents.refs import DocumentRef
from hub.errors import Conflict

ATTEMPTS = 8
SHANGHAI = ZoneInfo("Asia/Shanghai")


def today_in_china() -> date:
    """A number's year is the issuing office's: Beijing time, not UTC (1 January 07:00 is still 2025 in UTC)."""
    return datetime.now(SHANGHAI).date()


def stored_numbers(s: Session, refs: Iterable[DocumentRef]) -> dict[str, str]:
    """Numbers already issued for these documents, by key (nothing is allocated)."""
    keys = [r.key for r in refs]
    if not keys:
        return {}
    rows = s.execute(select(DocumentNumber.key, DocumentNumber.number).where(DocumentNumber.key.in_(keys)))
    return {key: number for key, number in rows}


def number_for(db: Database, ref: DocumentRef, actor: str, today: date | None = None) -> str:
    """The document's number: the stored one, else the next serial of its agency and year."""
    today = today or today_in_china()
    for attempt in range(ATTEMPTS):
        with db.unit_of_work() as s:
            found = s.scalar(select(DocumentNumber.number).where(DocumentNumber.key == ref.key))
        if found is not None:
            return found
        try:
            with db.unit_of_work() as s:
                return _allocate(s, ref, actor, today.year)
        except IntegrityError:
            continue  # someone stored this document (or this serial) first: read again
        except OperationalError as exc:  # SQLite: another writer held the database past the busy timeout
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            time.sleep(0.05 * (attempt + 1))
    raise Conflict(f"could not give {ref.title} a number after {ATTEMPTS} attempts; try again", where=ref.key)


def _allocate(s: Session, ref: DocumentRef, actor: str, year: int) -> str:
    dialect = s.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # A write first: on SQLite it takes the write lock before anything is read in this transaction.
    s.execute(
        insert(DocumentCounter)
        .values(agency=ref.agency, year=year, last=0)
        .on_conflict_do_nothing(index_elements=["agency", "year"])
    )
    serial = s.execute(
        update(DocumentCounter)
        .where(DocumentCounter.agency == ref.agency, DocumentCounter.year == year)
        .values(last=DocumentCounter.last + 1)
        .returning(DocumentCounter.last)
    ).scalar_one()
    number = format_number(ref.agency, ref.kind, year, serial)
    s.add(
        DocumentNumber(
            key=ref.key,
            kind=ref.kind,
            task_id=ref.task_id,
            agency=ref.agency,
            year=year,
            serial=serial,
            number=number,
            issued_by=actor,
        )
    )
    s.flush()
    audit(s, actor, "document.number", f"document:{number}", details={"task": ref.task_id, "document": ref.key})
    return number
