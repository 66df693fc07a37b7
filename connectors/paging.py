"""Reading a cursor-paged source ahead of its consumer.

A page's ``next_cursor`` is only certain once the page is parsed, and parsing (then turning items
into records) takes a while; meanwhile the source would sit idle. ``PagesAhead`` guesses each next
cursor from the page's raw bytes and asks for that page at once, so the source prepares it while
the consumer is still busy. The consumer says which cursor it really wants; a page fetched on a wrong
guess is dropped (one wasted request) and fetching starts again from the right cursor. What the
consumer gets is therefore exactly what plain page-by-page reading gives, errors included: an error
met fetching a page is raised when that page is asked for, not before.
"""

from __future__ import annotations

import queue
import re
import threading
from collections import deque
from collections.abc import Callable

Fetch = Callable[[str | None], bytes]

_NEXT_CURSOR = re.compile(rb'"next_cursor"\s*:\s*(?:"([A-Za-z0-9_\-.~=+/]{1,512})"|null)')


def guess_next_cursor(content: bytes) -> str | None:
    """The last ``"next_cursor": "..."`` in the raw page (looked for near the end first, where
    servers put it), or None. Only a guess: the parsed page decides."""
    for start in (max(0, len(content) - 4096), 0):
        last = deque(_NEXT_CURSOR.finditer(content, start), maxlen=1)
        if last:
            value = last[0].group(1)
            return value.decode("ascii") if value else None
    return None


_AFTER_FAILURE = object()  # what a consumer can expect after a failed page: nothing (a restart)


class PagesAhead:
    """Pages of one paged listing, fetched up to ``depth`` pages ahead of ``page(cursor)`` calls."""

    def __init__(self, fetch: Fetch, name: str, depth: int = 2) -> None:
        self._fetch, self._name, self._depth = fetch, name, depth
        self._results: queue.Queue = queue.Queue()
        self._generation = 0
        self._room = threading.Semaphore(depth)  # pages the current fetcher may still put ahead
        self._expected: object = _AFTER_FAILURE  # the cursor the current fetcher is on (its last guess)

    def page(self, cursor: str | None) -> bytes:
        """The raw page at ``cursor`` (None: the first); raises what fetching it raised."""
        if cursor != self._expected:
            self._restart(cursor)
        while True:
            generation, room, at, content, error, guess = self._results.get()
            room.release()
            if generation != self._generation or at != cursor:
                continue  # fetched on a wrong guess, or by a fetcher since replaced
            self._expected = _AFTER_FAILURE if error is not None else guess
            if error is not None:
                raise error
            return content

    def close(self) -> None:
        """Stop fetching (a request under way ends on its own; its page is dropped)."""
        self._generation += 1
        self._room.release()  # a fetcher waiting for room wakes up and sees it is replaced

    def _restart(self, cursor: str | None) -> None:
        self.close()
        self._room = threading.Semaphore(self._depth)
        threading.Thread(
            target=self._run, args=(self._generation, self._room, cursor), name=f"{self._name}-pages-ahead", daemon=True
        ).start()

    def _run(self, generation: int, room: threading.Semaphore, cursor: str | None) -> None:
        while True:
            room.acquire()
            if generation != self._generation:
                return
            try:
                content = self._fetch(cursor)
            except BaseException as exc:  # noqa: BLE001  (raised in the consumer, when it asks for this page)
                self._results.put((generation, room, cursor, None, exc, None))
                return
            guess = guess_next_cursor(content)
            self._results.put((generation, room, cursor, content, None, guess))
            if guess is None:
                return
            cursor = guess
