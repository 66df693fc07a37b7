"""Where the portal keeps the answers it gave (no Flask, no SQL): a small LRU in this process's
memory, bounded in bytes, or Redis, shared by every web process.

The portal keeps its public pages here (hub.web.caching) under keys that hold the publication
generation (hub.db), so a kept answer is never stale; ``ttl`` only bounds how long an answer nobody
asks for again takes up room. The LRU is thread-safe and its clock injectable so tests need not sleep.
"""

from __future__ import annotations

import json
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


class RedisCache:
    """The same interface over Redis, shared by every web process (and every host) using that Redis.

    An entry lives ``ttl`` seconds (Redis expires it); its meta is kept as JSON beside the body, so
    ``meta`` must be made of JSON values and ``encode_meta``/``decode_meta`` turn it into them and
    back. A body over ``max_body`` bytes is not kept. Redis out of reach is a miss (the page is
    rendered as if nothing were cached), never an error."""

    PREFIX = "hub:portal:"

    def __init__(
        self,
        url: str,
        ttl: float,
        max_body: int,
        encode_meta: Callable[[Any], Any] = lambda m: m,
        decode_meta: Callable[[Any], Any] = lambda m: m,
    ) -> None:
        import redis

        if ttl < 0 or max_body < 0:
            raise ValueError("ttl and max_body must not be negative")
        self.ttl, self.max_body = ttl, max_body
        self._encode, self._decode = encode_meta, decode_meta
        self._redis = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        self.hits = self.misses = self.failures = 0

    @property
    def enabled(self) -> bool:
        return self.max_body > 0 and self.ttl > 0

    def get(self, key: str) -> Entry | None:
        if not self.enabled:
            return None
        try:
            stored = self._redis.get(self.PREFIX + key)
        except Exception:  # noqa: BLE001  (redis raises many kinds; all mean "unreachable")
            self.failures += 1
            stored = None
        if not stored:
            self.misses += 1
            return None
        head, _, body = bytes(stored).partition(b"\n")  # type: ignore[arg-type]
        try:
            meta = self._decode(json.loads(head))
        except (ValueError, TypeError, KeyError):  # kept by another version of the hub, or damaged: a miss
            self.misses += 1
            return None
        self.hits += 1
        return Entry(body, meta, 0.0)

    def put(self, key: str, body: bytes, meta: Any) -> bool:
        if not self.enabled or len(body) > self.max_body:
            return False
        head = json.dumps(self._encode(meta), ensure_ascii=True, separators=(",", ":")).encode("ascii")
        try:
            self._redis.set(self.PREFIX + key, head + b"\n" + body, ex=max(1, int(self.ttl)))
        except Exception:  # noqa: BLE001
            self.failures += 1
            return False
        return True

    def clear(self) -> None:
        """Remove every kept answer (of every process) from this Redis db."""
        for name in self._redis.scan_iter(match=self.PREFIX + "*", count=1000):
            self._redis.delete(name)

    def __len__(self) -> int:
        return sum(1 for _ in self._redis.scan_iter(match=self.PREFIX + "*", count=1000))


class TieredCache:
    """A small copy in this process's memory in front of a shared cache (Redis): an answer this process
    has read or stored lately is served without the round trip to Redis. Sound because a key names
    what its answer depends on (the publication generation among it): an entry is never changed, only
    written again with the same body, so the near copy can be no staler than the shared one; when the
    shared cache drops or expires an entry, the near copy lives at most its own ``ttl`` longer."""

    def __init__(self, near: MicroCache, far: RedisCache) -> None:
        self.near, self.far = near, far

    @property
    def enabled(self) -> bool:
        return self.far.enabled

    @property
    def hits(self) -> int:
        return self.near.hits + self.far.hits

    def get(self, key: str, accept: Callable[[Entry], bool] = lambda _entry: True) -> Entry | None:
        """The entry, from the near copy if it has one that ``accept`` takes, else from the far cache
        (then kept near); None if neither has one ``accept`` takes."""
        if not self.enabled:
            return None
        entry = self.near.get(key)
        if entry is not None and accept(entry):
            return entry
        entry = self.far.get(key)
        if entry is None or not accept(entry):
            return None
        self.near.put(key, entry.body, entry.meta)
        return entry

    def put(self, key: str, body: bytes, meta: Any) -> bool:
        kept = self.far.put(key, body, meta)
        self.near.put(key, body, meta)
        return kept

    def clear(self) -> None:
        self.near.clear()
        self.far.clear()

    def __len__(self) -> int:
        return len(self.far)
