"""Document numbers (文号): one series per agency and year, never reused, the same on every re-print,
and safe when many people print at once (threads; SQLite, and PostgreSQL with HUB_TEST_DB)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from hub.documents.allocation import number_for
from hub.documents.models import DocumentNumber
from hub.documents.numbering import format_number
from hub.documents.refs import DocumentRef

DAY = date(2026, 12, 3)


def _sheet(entity: int, agency: str = "HEALTH") -> DocumentRef:
    """A record sheet: one per entity and agency, numbered in its agency's series."""
    return DocumentRef("record", "JT-2026-0001", agency, entity_id=f"E{entity:04d}")


def test_number_reads_as_the_agency_short_name_year_and_serial():
    assert format_number("HEALTH", "notice", 2026, 17) == "济卫联查〔2026〕17号"
    assert format_number("SAMR", "transfer", 2027, 3) == "济市监移〔2027〕3号"
    assert format_number("PORT", "record", 2026, 1) == "PORT查记〔2026〕1号"  # an unknown agency keeps its code


def test_serials_run_per_agency_and_restart_with_the_year(db):  # type: ignore[no-untyped-def]
    assert number_for(db, _sheet(1), "t", DAY) == "济卫查记〔2026〕1号"
    assert number_for(db, _sheet(2), "t", DAY) == "济卫查记〔2026〕2号"
    assert number_for(db, _sheet(1, "SAMR"), "t", DAY) == "济市监查记〔2026〕1号"
    assert number_for(db, _sheet(3), "t", date(2027, 1, 4)) == "济卫查记〔2027〕1号"
    # a document keeps the number of its first printing, even in a later year
    assert number_for(db, _sheet(1), "t", date(2027, 1, 4)) == "济卫查记〔2026〕1号"


def test_a_serial_cannot_be_stored_twice(db):  # type: ignore[no-untyped-def]
    number_for(db, _sheet(1), "t", DAY)
    with pytest.raises(IntegrityError), db.unit_of_work() as s:
        s.add(
            DocumentNumber(
                key="record/other/E9/HEALTH",
                kind="record",
                task_id="other",
                agency="HEALTH",
                year=2026,
                serial=1,
                number="济卫查记〔2026〕1号",
                issued_by="t",
            )
        )


def test_concurrent_printing_gives_unique_gapless_numbers_and_one_per_document(db):  # type: ignore[no-untyped-def]
    refs = [_sheet(i % 24) for i in range(96)]  # each of 24 documents printed 4 times, all at once
    refs += [_sheet(i, "SAMR") for i in range(24)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = list(pool.map(lambda r: number_for(db, r, "t", DAY), refs))
    by_doc: dict[str, set[str]] = {}
    for ref, number in zip(refs, numbers, strict=True):
        by_doc.setdefault(ref.key, set()).add(number)
    assert all(len(n) == 1 for n in by_doc.values())  # a re-print, even a simultaneous one, keeps its number
    health = sorted(n for k, ns in by_doc.items() if k.endswith("/HEALTH") for n in ns)
    assert health == sorted(f"济卫查记〔2026〕{i}号" for i in range(1, 25))  # unique, none skipped
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(DocumentNumber)) == 48
