"""Rate limits counted in Redis when the broker is Redis (shared by every web process), in this
process's memory otherwise. A limit is ``count`` per ``seconds`` for one key (an address or a user
name) in one bucket (``verify``, ``offline_draw``, ``login_ip``).

Requests are counted in fixed windows of ``seconds``, and a key is over its limit when the current
window and the one before it hold ``count`` or more between them. Any ``count`` requests made within
``seconds`` of each other therefore always trip the limit, wherever a window boundary falls (a
fixed window alone lets through up to twice the limit across a boundary); the price is that a key
may wait up to one extra window."""

from __future__ import annotations

import threading
import time

from flask import current_app

from hub.config import RateLimit
from hub.errors import Unavailable


class RateLimiter:
    """``hit`` counts a request; ``blocked`` says how long a key must still wait (0: not at all)."""

    def __init__(self, redis_url: str | None = None) -> None:
        self._redis = None
        if redis_url:
            import redis

            self._redis = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
        self._counts: dict[tuple[str, str, int, int], int] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _window(limit: RateLimit, now: float) -> tuple[int, int]:
        """The current window's number and the seconds left in it."""
        number = int(now // limit.seconds)
        return number, int((number + 1) * limit.seconds - now) + 1

    def _count(self, bucket: str, key: str, limit: RateLimit, add: int) -> tuple[int, int, int]:
        """Add ``add`` to the current window; the counts of the previous and the current window,
        and the seconds left in the current one."""
        number, left = self._window(limit, time.time())
        if self._redis is not None:
            names = [f"hub:limit:{bucket}:{limit.seconds}:{n}:{key}" for n in (number - 1, number)]
            try:
                pipe = self._redis.pipeline()
                if add:
                    pipe.incrby(names[1], add)
                    pipe.expire(names[1], 2 * limit.seconds + 1)
                pipe.mget(names)
                previous, current = (int(v or 0) for v in pipe.execute()[-1])
            except Exception as exc:  # noqa: BLE001  (redis raises many kinds; all mean "unreachable")
                raise Unavailable(
                    f"the rate-limit store (Redis) cannot be reached: {type(exc).__name__}", where="broker"
                ) from None
            return previous, current, left
        with self._lock:
            k = (bucket, key, limit.seconds, number)
            self._counts[k] = self._counts.get(k, 0) + add
            if add and len(self._counts) > 10_000:
                for old in [c for c in self._counts if c[3] < number - 1]:
                    del self._counts[old]
            return self._counts.get((bucket, key, limit.seconds, number - 1), 0), self._counts[k], left

    @staticmethod
    def _wait(previous: int, current: int, left: int, limit: RateLimit, over: int) -> int:
        """Seconds until the key is under its limit again when ``previous + current > over``, else 0.
        Once this window ends, only its own count stays in view, for one more window."""
        if previous + current <= over:
            return 0
        return left + limit.seconds if current > over else left

    def hit(self, bucket: str, key: str, limit: RateLimit) -> int:
        """Count one request; the seconds to wait when this one is over the limit, else 0."""
        return self._wait(*self._count(bucket, key, limit, 1), limit, limit.count)

    def blocked(self, bucket: str, key: str, limit: RateLimit) -> int:
        """Seconds to wait when the key has used up its limit (without counting), else 0."""
        return self._wait(*self._count(bucket, key, limit, 0), limit, limit.count - 1)


def limiter() -> RateLimiter:
    """The app's limiter (made by ``create_app``)."""
    return current_app.extensions["hub_limiter"]


def make_limiter(broker_url: str | None) -> RateLimiter:
    return RateLimiter(broker_url if broker_url and broker_url.startswith(("redis://", "rediss://")) else None)
