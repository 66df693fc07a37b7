"""The paging arguments of a list page: ``cursor`` and ``limit`` from the query string, checked
(an edited cursor or a bad limit is a clear 400 page, never a crash)."""

from __future__ import annotations

from collections.abc import Sequence

from flask import request

from hub.paging import Cursor, check_limit, decode_cursor


def page_args(types: Sequence[type]) -> tuple[Cursor | None, int]:
    """The cursor (its key of ``types``) and the page size of this request."""
    return decode_cursor(request.args.get("cursor"), types), check_limit(request.args.get("limit"))
