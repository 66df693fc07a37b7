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


def test_the_near_copy_answers_without_the_far_cache_and_fills_from_it(redis_db_url: str) -> None:
    """TieredCache: an answer stored or read by this process is served from its memory; another
    process (another near copy) reads it from Redis once and keeps it too."""
    import redis as redis_client

    from hub.microcache import RedisCache, TieredCache

    redis_client.Redis.from_url(redis_db_url).flushdb()
    one = TieredCache(MicroCache(8000, 60), RedisCache(redis_db_url, 60, 1000))
    two = TieredCache(MicroCache(8000, 60), RedisCache(redis_db_url, 60, 1000))
    assert one.get("k") is None and one.far.misses == 1
    assert one.put("k", b"body", ["meta"])
    entry = one.get("k")
    assert entry is not None and entry.body == b"body" and one.far.hits == 0  # from memory, Redis not asked
    entry = two.get("k")
    assert entry is not None and (entry.body, entry.meta) == (b"body", ["meta"]) and two.far.hits == 1
    one.far.clear()  # Redis forgets it: each process still has its copy of that (unchanging) answer
    assert two.get("k") is not None and two.far.hits == 1 and len(two.near) == 1
    # over the bound of both (1/8 of 8000, as the portal sets them): kept nowhere
    assert not one.put("big", b"." * 1001, None) and one.get("big") is None
    assert not TieredCache(MicroCache(10_000, 60), RedisCache(redis_db_url, 0, 1000)).enabled


def test_a_near_copy_the_caller_refuses_is_passed_over_for_the_far_one(redis_db_url: str) -> None:
    """What another process stored anew under the same key (the portal: a page whose deliveries changed)."""
    import redis as redis_client

    from hub.microcache import RedisCache, TieredCache

    redis_client.Redis.from_url(redis_db_url).flushdb()
    one = TieredCache(MicroCache(8000, 60), RedisCache(redis_db_url, 60, 1000))
    two = TieredCache(MicroCache(8000, 60), RedisCache(redis_db_url, 60, 1000))
    one.put("k", b"old", {"deliveries": 1})
    assert two.get("k") is not None  # two keeps a near copy of the old answer
    one.put("k", b"new", {"deliveries": 2})
    fresh = lambda entry: entry.meta == {"deliveries": 2}  # noqa: E731
    entry = two.get("k", fresh)
    assert entry is not None and entry.body == b"new"
    assert two.near.get("k") is not None and two.near.get("k").body == b"new"  # type: ignore[union-attr]
    assert two.get("k", lambda entry: False) is None


def test_an_entry_that_does_not_decode_is_a_miss(redis_db_url: str) -> None:
    """An entry another version of the hub kept in another shape (or a damaged one) is not an error."""
    import redis as redis_client

    from hub.microcache import RedisCache

    def decode(stored: list[str]) -> tuple[str, str]:
        first, second = stored  # this version's shape: two values
        return first, second

    client = redis_client.Redis.from_url(redis_db_url)
    client.flushdb()
    cache = RedisCache(redis_db_url, 60, 1000, decode_meta=decode)
    for stored in (b'["a","b","c"]\nbody', b"not json\nbody", b"\xff\xfe\nbody"):
        client.set(RedisCache.PREFIX + "k", stored)
        assert cache.get("k") is None
    client.set(RedisCache.PREFIX + "k", b'["a","b"]\nbody')
    entry = cache.get("k")
    assert entry is not None and (entry.body, entry.meta) == (b"body", ("a", "b"))
    assert (cache.hits, cache.misses) == (1, 3)
