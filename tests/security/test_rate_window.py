"""Rate limits hold across a window boundary: ``count`` requests made close together are always
over the limit, wherever the boundary of the counting window falls, in memory and in Redis."""

from __future__ import annotations

import types

import pytest

from hub.auth import limits
from hub.auth.limits import RateLimiter
from hub.config import RateLimit

LIMIT = RateLimit(count=10, seconds=60)


@pytest.fixture(params=["memory", "redis"])
def limiter(request):  # type: ignore[no-untyped-def]
    return RateLimiter(request.getfixturevalue("redis_db_url") if request.param == "redis" else None)


@pytest.fixture
def clock(monkeypatch):  # type: ignore[no-untyped-def]
    now = [600_000.0]  # a window boundary (a multiple of 60)
    monkeypatch.setattr(limits, "time", types.SimpleNamespace(time=lambda: now[0]))
    return now


@pytest.mark.parametrize("before_boundary", [0, 1, 5, 9, 10])
def test_the_limit_holds_however_the_requests_straddle_a_boundary(limiter, clock, before_boundary):
    key = f"straddle-{before_boundary}"
    clock[0] = 600_000.0 - 0.5
    assert [limiter.hit("verify", key, LIMIT) for _ in range(before_boundary)] == [0] * before_boundary
    clock[0] = 600_000.0 + 0.5
    rest = 10 - before_boundary
    assert [limiter.hit("verify", key, LIMIT) for _ in range(rest)] == [0] * rest
    assert limiter.blocked("verify", key, LIMIT) > 0
    assert limiter.hit("verify", key, LIMIT) > 0


def test_the_wait_ends_when_the_requests_leave_view(limiter, clock):
    clock[0] = 600_000.0 + 50
    for _ in range(10):
        limiter.hit("login_ip", "a", LIMIT)
    wait = limiter.blocked("login_ip", "a", LIMIT)
    assert wait == 11 + 60  # the rest of this window, then the next one (which still sees them)
    clock[0] += wait - 2
    assert limiter.blocked("login_ip", "a", LIMIT) > 0
    clock[0] += 2
    assert limiter.blocked("login_ip", "a", LIMIT) == 0
    assert limiter.blocked("login_ip", "another address", LIMIT) == 0
