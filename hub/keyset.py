"""Keyset paging in SQL: the one way a query reads a page of a list (hub/paging.py holds the pure
part). ``read_page`` orders by the key columns, starts after (or before) the cursor with a row
comparison, reads one row more than asked, and counts with a cap so a count never scans a million
rows for a page header."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Select, func, literal_column, select, tuple_
from sqlalchemy.orm import Session

from hub.paging import Cursor, Page, make_page

T = TypeVar("T")

#: counts stop here; the pager then says "more than 2,000" (an exact count of a million rows is of
#: no use to a person paging, and it cost a scan of them on every page)
COUNT_CAP = 2_000


def read_page(
    s: Session,
    query: Select[Any],
    keys: Sequence[Any],  # columns (ORM attributes or Core columns)
    cursor: Cursor | None,
    limit: int,
    *,
    descending: bool = False,
    row_key: Callable[[Any], Sequence[Any]],
    scalars: bool = True,
    count: bool = True,
    cap: int = COUNT_CAP,
) -> Page[Any]:
    """A page of ``query`` in the order of ``keys`` (unique together; ``descending`` for newest
    first). ``row_key`` gives a row's key values, in the order of ``keys``, for the next cursor."""
    total, capped = capped_count(s, query, cap) if count else (None, False)
    backward = cursor is not None and cursor.backward
    # reading backward is reading the reverse order from the cursor on
    reverse = descending != backward
    if cursor is not None:
        row = tuple_(*keys)
        start = tuple_(*cursor.key)
        query = query.where(row < start if reverse else row > start)
    query = query.order_by(*[k.desc() if reverse else k.asc() for k in keys]).limit(limit + 1)
    fetched = list(s.scalars(query) if scalars else s.execute(query))
    return make_page(fetched, limit, row_key, cursor, total=total, total_capped=capped)


def capped_count(s: Session, query: Select[Any], cap: int = COUNT_CAP) -> tuple[int, bool]:
    """How many rows ``query`` has, counting at most ``cap + 1``: (n, True) means "more than cap"."""
    # only a constant per row: the count reads no column it does not filter on
    ones: Select[Any] = query.with_only_columns(literal_column("1"), maintain_column_froms=True)
    limited = ones.order_by(None).limit(cap + 1).subquery()
    n = s.scalar(select(func.count()).select_from(limited)) or 0
    return (cap, True) if n > cap else (n, False)
