"""A small LRU of answers, bounded in bytes, each kept for a few seconds (pure: no Flask, no SQL).

The portal keeps its public pages here (hub.web.caching): a page read again within ``ttl``
seconds is answered from memory, without a query or a render. ``ttl`` is the bound on staleness
(docs/portal.md). Thread-safe; the clock is injectable so tests need not sleep.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Entry:
    body: bytes
    meta: Any  # what the caller needs to answer again (type, validators, headers)
    expires: float


class MicroCache:
    """``get`` answers a live entry (and marks it recently used); ``put`` stores one, evicting the
    least recently used entries until the bytes held fit ``max_bytes``. A body bigger than an
    eighth of the budget is not kept (one page must not empty the cache)."""

    def __init__(self, max_bytes: int, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        if max_bytes < 0 or ttl < 0:
            raise ValueError("max_bytes and ttl must not be negative")
        self.max_bytes, self.ttl, self._clock = max_bytes, ttl, clock
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0 and self.ttl > 0

    @property
    def size(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> Entry | None:
        if not self.enabled:
            return None
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.expires <= self._clock():
                if entry is not None:
                    self._drop(key)
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry

    def put(self, key: str, body: bytes, meta: Any) -> bool:
        """Keep ``body``; False when it is not kept (cache off, or the body too big)."""
        if not self.enabled or len(body) > self.max_bytes // 8:
            return False
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = Entry(body, meta, self._clock() + self.ttl)
            self._bytes += len(body)
            while self._bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))
            return True

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def _drop(self, key: str) -> None:
        self._bytes -= len(self._entries.pop(key).body)
