"""Keyset paging (pure): a ``Page`` of rows with cursors to the next and previous pages, and the
cursor's text form. Lists never load a whole table and never skip with OFFSET.

A cursor is the sort key of the row it starts after, with a direction, as
``base64url(JSON).checksum``. The checksum catches edited or truncated cursors (a clear 400, never
a crash); it is no signature: a hand-made cursor only moves the starting point inside what the
caller may see anyway, because every query applies its visibility rule whatever the cursor says.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from hub.errors import InvalidInput

T = TypeVar("T")
Key = tuple[Any, ...]

#: rows per page unless the caller asks otherwise; MAX_LIMIT bounds what a caller may ask
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
_TAG = b"hub-cursor-1\n"
_SCALARS = (str, int, float, bool, type(None))


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: after ``key`` in the list's order, or before it when ``backward``."""

    key: Key
    backward: bool = False


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list. ``total`` is exact unless ``total_capped`` (then: at least ``total``)."""

    rows: list[T]
    next_cursor: str | None = None
    prev_cursor: str | None = None
    total: int | None = None
    total_capped: bool = False
    limit: int = DEFAULT_LIMIT
    extra: dict[str, Any] = field(default_factory=dict)

    def __iter__(self) -> Iterator[T]:  # a page reads like its rows in templates
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def _checksum(payload: bytes) -> str:
    return hashlib.sha256(_TAG + payload).hexdigest()[:12]


def encode_cursor(key: Sequence[Any], backward: bool = False) -> str:
    """The text form of a cursor; ``key`` holds plain values (str, int, float, bool, None)."""
    values = [v.isoformat() if hasattr(v, "isoformat") else v for v in key]
    payload = json.dumps(["b" if backward else "f", *values], ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=") + "." + _checksum(payload)


def decode_cursor(text: str | None, types: Sequence[type], where: str = "cursor") -> Cursor | None:
    """The cursor in ``text`` (None when empty), its key checked against ``types`` (one per column;
    ``type(None)`` allowed in any); InvalidInput naming ``where`` for anything edited or malformed."""
    if not text:
        return None
    bad = InvalidInput(
        "翻页参数无效或已被改动，请从第一页重新开始 (the cursor is malformed or was edited)", where=where
    )
    body, dot, check = text.partition(".")
    if not dot or len(text) > 2000:
        raise bad
    try:
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (ValueError, TypeError):
        raise bad from None
    if _checksum(payload) != check:
        raise bad
    try:
        data = json.loads(payload)
    except ValueError:
        raise bad from None
    if not isinstance(data, list) or len(data) != len(types) + 1 or data[0] not in ("f", "b"):
        raise bad
    key = tuple(data[1:])
    for value, kind in zip(key, types, strict=True):
        if value is not None and not (isinstance(value, kind) and not (kind is int and isinstance(value, bool))):
            raise bad
    return Cursor(key, backward=data[0] == "b")


def check_limit(limit: int | str | None, where: str = "limit") -> int:
    """A page size from a request: DEFAULT_LIMIT when absent, 1..MAX_LIMIT, else InvalidInput."""
    if limit is None or limit == "":
        return DEFAULT_LIMIT
    try:
        n = int(limit)
    except (TypeError, ValueError):
        raise InvalidInput(
            f"每页条数须为 1 至 {MAX_LIMIT} 的整数 (limit must be 1..{MAX_LIMIT})", where=where
        ) from None
    if not 1 <= n <= MAX_LIMIT:
        raise InvalidInput(f"每页条数须为 1 至 {MAX_LIMIT} 的整数 (limit must be 1..{MAX_LIMIT})", where=where)
    return n


def make_page(
    fetched: Sequence[T],
    limit: int,
    key: Callable[[T], Sequence[Any]],
    cursor: Cursor | None,
    total: int | None = None,
    total_capped: bool = False,
) -> Page[T]:
    """The page from up to ``limit + 1`` rows fetched from ``cursor`` in its direction (backward:
    in reverse order); the extra row only tells that more rows lie that way."""
    more = len(fetched) > limit
    rows = list(fetched[:limit])
    if cursor is not None and cursor.backward:
        rows.reverse()
        has_next, has_prev = True, more
    else:
        has_next, has_prev = more, cursor is not None
    return Page(
        rows=rows,
        next_cursor=encode_cursor(key(rows[-1])) if rows and has_next else None,
        prev_cursor=encode_cursor(key(rows[0]), backward=True) if rows and has_prev else None,
        total=total,
        total_capped=total_capped,
        limit=limit,
    )
