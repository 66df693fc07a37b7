"""hub.microcache alone: the bound in bytes, least recently used first out, the time to live."""

from __future__ import annotations

import pytest

from hub.microcache import MicroCache


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def test_an_entry_lives_for_its_ttl_and_no_longer() -> None:
    clock = Clock()
    cache = MicroCache(1000, 5, clock=clock)
    assert cache.put("a", b"x" * 10, "meta")
    clock.now = 4.99
    entry = cache.get("a")
    assert entry is not None and entry.body == b"x" * 10 and entry.meta == "meta"
    clock.now = 5.0
    assert cache.get("a") is None and len(cache) == 0 and cache.size == 0


def test_the_bytes_held_stay_within_the_bound_dropping_the_least_recently_used() -> None:
    cache = MicroCache(800, 60, clock=Clock())
    for key in "abcdefgh":
        assert cache.put(key, b"." * 100, None)
    assert cache.size == 800
    assert cache.get("a") is not None  # now the most recently used
    assert cache.put("i", b"." * 100, None)
    assert cache.size == 800 and cache.get("b") is None and cache.get("a") is not None
    assert cache.put("a", b"." * 50, None) and cache.size == 750  # replaced, not counted twice


def test_a_body_too_big_is_not_kept_and_a_zero_budget_or_ttl_keeps_nothing() -> None:
    assert not MicroCache(800, 60).put("big", b"." * 101, None)
    for off in (MicroCache(0, 60), MicroCache(800, 0)):
        assert not off.enabled and not off.put("a", b".", None) and off.get("a") is None


def test_negative_bounds_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        MicroCache(-1, 5)
