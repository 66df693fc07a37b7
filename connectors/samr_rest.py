"""``samr-rest``: the market-regulation entity registry, pulled incrementally page by page.

State is the stored bookmark: ``{"updated_since": high-water, "cursor": None}`` after a
complete run; ``{"cursor", "run_since", "run_high_water", ...}`` after each page of a run
that has not finished, so a killed run resumes at its next page. A new run starts from the
high-water mark less ``overlap_seconds`` (re-sent items are idempotent); the high-water mark
is the ``server_time`` of the run's first page.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from functools import partial
from operator import itemgetter
from typing import Any

from connectors.base import (
    Batch,
    ConnectorSettings,
    FatalError,
    MalformedResponse,
    Source,
    SourceRecord,
    number_option,
)
from connectors.http import JsonPage, SignedSession
from connectors.paging import PagesAhead

PATH = "/api/v1/entities"
MAX_PAGE_SIZE = 1000
ITEM_FIELDS = frozenset(
    {
        "uscc",
        "name",
        "entity_type",
        "legal_rep",
        "address",
        "district",
        "industry",
        "status",
        "established",
        "updated_at",
        "abnormal_list",
        "serious_violation",
        "credit_class",
        "phone",
    }
)  # the rest of an item is kept under "attributes"
_BLANK = {**dict.fromkeys(sorted(ITEM_FIELDS)), "scheme_id": None}  # a record's fields before the item's
_USCC = itemgetter("uscc")
PAGE_FORMAT = 1  # part of every page fingerprint: bump it when an item becomes another record than before


def _keys(items: list[Any]) -> list[str] | None:
    """The records' keys of a page whose items are objects (their credit codes), or None when an item has
    none (such a page is read record by record, and never recognised whole)."""
    try:
        keys = list(map(_USCC, items))
    except KeyError:
        return None
    return keys if set(map(type, keys)) == {str} and "" not in keys else None


class SamrRestSource(Source):
    """Options: ``categories`` (industry-code prefix -> category), ``overlap_seconds`` (300),
    ``page_size`` (1000)."""

    kind = "samr-rest"
    record_type = "entity"

    def __init__(self, settings: ConnectorSettings, http: Any = None) -> None:
        super().__init__(settings, http or SignedSession(settings))
        opts = settings.options
        self.page_size = number_option(settings, "page_size", MAX_PAGE_SIZE, int, 1, MAX_PAGE_SIZE)
        self.overlap = timedelta(seconds=number_option(settings, "overlap_seconds", 300, float, 0))
        self.categories: Mapping[str, Any] = opts.get("categories") or {}
        # what a page's fingerprint covers besides its items: how they become records (PAGE_FORMAT, bumped
        # whenever ``_records`` maps an item otherwise) and the options that take part (the categories)
        self._salt = json.dumps([self.kind, PAGE_FORMAT, self.categories], sort_keys=True, ensure_ascii=False).encode()
        self._category_memo: dict[str, list[str]] = {}
        url = settings.url.rstrip("/")
        self.url = url if url.endswith("/entities") else url + PATH

    def batches(self, state: Mapping[str, Any], full: bool = False) -> Iterator[Batch]:
        previous = None if full else (state or {}).get("updated_since")
        if not full and state and state.get("cursor"):  # resume the run that stopped midway
            since, cursor = state.get("run_since"), state["cursor"]
            high_water = state.get("run_high_water")
        else:
            since, cursor, high_water = (self._less_overlap(previous) if previous else None), None, None
        seen: set[str] = set()
        page = 1
        where = self._where(page, cursor)
        # Pages are asked for ahead of their use (PagesAhead), so the source prepares the next one while
        # this one is parsed, turned into records and applied: the agency's server never waits on us.
        pages = PagesAhead(partial(self._fetch, since), self.settings.name)
        try:
            while True:
                page_read = self._read_page(pages.page(cursor), where)
                body = page_read.body
                high_water = high_water or body["server_time"]
                next_cursor = body.get("next_cursor")
                if next_cursor and (not isinstance(next_cursor, str) or next_cursor in seen):
                    raise MalformedResponse(f"{where}: next_cursor {next_cursor!r} repeats or is not a string")
                if next_cursor:
                    bookmark = {
                        "updated_since": previous,
                        "cursor": next_cursor,
                        "run_since": since,
                        "run_high_water": high_water,
                    }
                else:
                    bookmark = {"updated_since": high_water, "cursor": None, "run_since": None, "run_high_water": None}
                yield self._batch(page_read, where, bookmark, f"page {page}")
                if not next_cursor:
                    return
                seen.add(next_cursor)
                cursor = next_cursor
                page += 1
                where = self._where(page, cursor)
        finally:
            pages.close()

    def _batch(self, page: JsonPage, where: str, bookmark: dict[str, Any], label: str) -> Batch:
        """A page as a batch: its records, or none when the hub holds the page unchanged (``known_page``)."""
        fingerprint = page.fingerprint(self._salt)
        keys = _keys(page.items) if fingerprint is not None else None
        if fingerprint is None or keys is None:  # a page that is never recognised whole
            return Batch(self._records(page.items, page.raws(), where), bookmark, label=label)
        if self.known_page is not None and self.known_page(fingerprint, keys):
            return Batch([], bookmark, label=label, page=fingerprint, unchanged=len(keys))
        return Batch(self._records(page.items, page.raws(), where), bookmark, label=label, page=fingerprint)

    def _where(self, page: int, cursor: str | None) -> str:
        return f"{self.settings.name}: page {page} (cursor {cursor or 'none'})"

    def _less_overlap(self, high_water: str) -> str:
        try:
            moment = datetime.fromisoformat(high_water)
        except (AttributeError, ValueError):
            raise FatalError(
                f"{self.settings.name}: stored updated_since {high_water!r} is not an RFC 3339 time"
            ) from None
        return (moment - self.overlap).isoformat(timespec="seconds")

    def _fetch(self, since: str | None, cursor: str | None) -> bytes:
        params = [("limit", str(self.page_size))]
        if since:
            params.append(("updated_since", since))
        if cursor:
            params.append(("cursor", cursor))
        return self.http.get(self.url, params=params).content

    @staticmethod
    def _read_page(content: bytes, where: str) -> JsonPage:
        page = JsonPage(content, where)
        if not isinstance(page.body.get("server_time"), str):
            raise MalformedResponse(f"{where}: the page has no 'server_time'")
        return page

    def _records(self, items: list[Any], raws: list[str], where: str) -> list[SourceRecord]:
        """A page's items (and their texts as sent) as records: the hot path of a full pull, a million
        records, so the common item (an object of known fields with a credit code) is made inline and the
        rest by ``_record``."""
        known_fields, blank, categories = ITEM_FIELDS.issuperset, _BLANK, self._categories
        make = tuple.__new__  # a named tuple made in C (SourceRecord(...) goes through Python-level __new__)
        records: list[SourceRecord] = []
        add = records.append
        for index, (item, raw) in enumerate(zip(items, raws)):
            uscc = item.get("uscc") if item.__class__ is dict else None
            if uscc.__class__ is str and uscc and known_fields(item):
                fields = {**blank, **item}
                fields["categories"] = categories(item.get("industry"))
                fields["attributes"] = {}
                add(make(SourceRecord, (uscc, fields, raw, None, None)))
            else:
                add(self._record(item, raw, where, index))
        return records

    def _record(self, item: Any, raw: str, where: str, index: int) -> SourceRecord:
        """One item (and its text as sent) as a record: a hot path, a million of them in a full pull."""
        if not isinstance(item, dict):
            return SourceRecord(
                f"{where} item {index}", {}, raw, error=f"item is a JSON {type(item).__name__}, not an object"
            )
        get = item.get
        uscc = get("uscc")
        if not isinstance(uscc, str) or not uscc:
            return SourceRecord(f"{where} item {index}", {}, raw, error="field 'uscc' is missing or not a string")
        industry = get("industry")
        if item.keys() <= ITEM_FIELDS:  # the common case, in two C-level copies: every field, None if missing
            fields = {**_BLANK, **item}
            fields["categories"] = self._categories(industry)
            fields["attributes"] = {}
            return SourceRecord(uscc, fields, raw)
        fields = {
            "uscc": uscc,
            "scheme_id": None,
            "name": get("name"),
            "entity_type": get("entity_type"),
            "legal_rep": get("legal_rep"),
            "phone": get("phone"),
            "address": get("address"),
            "district": get("district"),
            "industry": industry,
            "status": get("status"),
            "established": get("established"),
            "updated_at": get("updated_at"),
            "abnormal_list": get("abnormal_list"),
            "serious_violation": get("serious_violation"),
            "credit_class": get("credit_class"),
            "categories": self._categories(industry),
            "attributes": {} if item.keys() <= ITEM_FIELDS else {k: v for k, v in item.items() if k not in ITEM_FIELDS},
        }
        return SourceRecord(uscc, fields, raw)

    def _categories(self, industry: Any) -> list[str]:
        """categories_for, remembered per industry code (a feed repeats a few hundred of them)."""
        if not isinstance(industry, str):
            return []
        known = self._category_memo.get(industry)
        if known is None:
            known = self._category_memo[industry] = categories_for(industry, self.categories)
        return list(known)


def categories_for(industry: Any, table: Mapping[str, Any]) -> list[str]:
    """The category of the longest industry-code prefix in ``table`` that matches, as a list."""
    if not isinstance(industry, str):
        return []
    best = max((prefix for prefix in table if industry.startswith(prefix)), key=len, default=None)
    if best is None:
        return []
    value = table[best]
    return list(value) if isinstance(value, list | tuple) else [value]
