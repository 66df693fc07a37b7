"""Rate limits: fixed windows counted in Redis when the broker is Redis (shared by every web
process), in this process's memory otherwise. A limit is ``count`` per ``seconds`` for one key
(an address or a user name) in one bucket (``verify``, ``offline_draw``, ``login_ip``)."""

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

    def _count(self, bucket: str, key: str, limit: RateLimit, add: int) -> tuple[int, int]:
        number, left = self._window(limit, time.time())
        if self._redis is not None:
            name = f"hub:limit:{bucket}:{limit.seconds}:{number}:{key}"
            try:
                if add:
                    pipe = self._redis.pipeline()
                    pipe.incrby(name, add)
                    pipe.expire(name, limit.seconds + 1)
                    count = int(pipe.execute()[0])
                else:
                    count = int(self._redis.get(name) or 0)
            except Exception as exc:  # noqa: BLE001  (redis raises many kinds; all mean "unreachable")
                raise Unavailable(
                    f"the rate-limit store (Redis) cannot be reached: {type(exc).__name__}", where="broker"
                ) from None
            return count, left
        with self._lock:
            k = (bucket, key, limit.seconds, number)
            self._counts[k] = self._counts.get(k, 0) + add
            if add and len(self._counts) > 10_000:
                for old in [c for c in self._counts if c[3] < number]:
                    del self._counts[old]
            return self._counts[k], left

    def hit(self, bucket: str, key: str, limit: RateLimit) -> int:
        """Count one request; the seconds to wait when this one is over the limit, else 0."""
        count, left = self._count(bucket, key, limit, 1)
        return left if count > limit.count else 0

    def blocked(self, bucket: str, key: str, limit: RateLimit) -> int:
        """Seconds to wait when the key has used up its window (without counting), else 0."""
        count, left = self._count(bucket, key, limit, 0)
        return left if count >= limit.count else 0


def limiter() -> RateLimiter:
    """The app's limiter (made by ``create_app``)."""
    return current_app.extensions["hub_limiter"]


def make_limiter(broker_url: str | None) -> RateLimiter:
    return RateLimiter(broker_url if broker_url and broker_url.startswith(("redis://", "rediss://")) else None)
