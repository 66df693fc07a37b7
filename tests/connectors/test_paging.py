"""PagesAhead: reading a cursor-paged listing ahead of its consumer, exactly as page-by-page reading would."""

from __future__ import annotations

import json
import threading
import time

import pytest

from connectors.base import TransientError
from connectors.paging import PagesAhead, guess_next_cursor


class Listing:
    """Pages c0 -> c1 -> ... -> c{n-1}; ``lie`` maps a page to a decoy next_cursor placed after the real one."""

    def __init__(self, n: int, lie: dict[str, str] | None = None, fail: str | None = None) -> None:
        self.n, self.lie, self.fail = n, lie or {}, fail
        self.asked: list[str | None] = []
        self.lock = threading.Lock()

    def fetch(self, cursor: str | None) -> bytes:
        with self.lock:
            self.asked.append(cursor)
        at = 0 if cursor is None else int(cursor[1:])
        if self.fail is not None and cursor == self.fail:
            raise TransientError(f"HTTP 503 for {cursor}")
        nxt = f"c{at + 1}" if at + 1 < self.n else None
        page = {"next_cursor": nxt, "items": [at]}
        text = json.dumps(page)
        if cursor in self.lie:  # an item further on that says next_cursor too: the guess goes wrong
            text = text[:-1] + f', "extra": {{"next_cursor": "{self.lie[cursor]}"}}}}'
        return text.encode()


def read_all(listing: Listing, pages: PagesAhead) -> list[int]:
    got, cursor = [], None
    while True:
        page = json.loads(pages.page(cursor))
        got += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return got


def test_guess_reads_the_last_plain_cursor_in_the_page() -> None:
    assert guess_next_cursor(b'{"items": [], "next_cursor": "eyJh-_=="}') == "eyJh-_=="
    assert guess_next_cursor(b'{"next_cursor": null, "items": []}') is None
    assert guess_next_cursor(b'{"next_cursor": "a", "items": [{"next_cursor": "b"}]}') == "b"
    assert guess_next_cursor(b'{"items": []}') is None
    assert guess_next_cursor(b'{"next_cursor": "' + b"x" * 9000 + b'"}') is None  # not a plain cursor


def test_every_page_in_order_and_no_request_wasted() -> None:
    listing = Listing(7)
    assert read_all(listing, PagesAhead(listing.fetch, "t")) == list(range(7))
    assert listing.asked == [None] + [f"c{i}" for i in range(1, 7)]


def test_a_wrong_guess_costs_one_request_and_changes_nothing() -> None:
    listing = Listing(6, lie={"c2": "c5"})
    assert read_all(listing, PagesAhead(listing.fetch, "t")) == list(range(6))
    assert "c3" in listing.asked and listing.asked.count("c5") <= 2


def test_the_fetcher_stays_at_most_depth_pages_ahead() -> None:
    listing = Listing(50)
    pages = PagesAhead(listing.fetch, "t", depth=2)
    pages.page(None)
    time.sleep(0.2)
    assert len(listing.asked) <= 3
    pages.close()
    time.sleep(0.1)
    assert len(listing.asked) <= 3


def test_an_error_is_raised_when_its_page_is_asked_for_not_before() -> None:
    listing = Listing(5, fail="c3")
    pages = PagesAhead(listing.fetch, "t")
    assert json.loads(pages.page(None))["items"] == [0]
    assert json.loads(pages.page("c1"))["items"] == [1]
    assert json.loads(pages.page("c2"))["items"] == [2]
    with pytest.raises(TransientError, match="c3"):
        pages.page("c3")
    listing.fail = None  # e.g. the next run: asking again fetches again
    assert json.loads(pages.page("c3"))["items"] == [3]
