"""Unchanged records are found where they are fetched, from what is committed; a key sent lately may
have a newer version on its way, so it is never taken for unchanged."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text

from hub.rosters.known import KnownDigests


def test_a_key_is_known_by_its_committed_active_digest_unless_sent_within_the_window(db) -> None:  # type: ignore[no-untyped-def]
    with db.unit_of_work() as s:
        for key, active in (("A", True), ("B", True), ("C", False)):
            s.execute(
                text(
                    "INSERT INTO entity_sources (source, record_key, entity_id, raw, digest, active, seen_at) "
                    "VALUES ('samr', :k, :k, '{}', :d, :a, :t)"
                ),
                {"k": key, "d": f"digest-{key}", "a": active, "t": datetime(2026, 12, 1)},
            )
    known = KnownDigests(db.url, "samr", uncommitted=2, batches_ahead=1)
    try:
        assert known.lookup(["A", "B", "C", "D"]) == {"A": "digest-A", "B": "digest-B"}  # C inactive, D new
        known.sent(["A"])
        assert known.lookup(["A", "B"]) == {"B": "digest-B"}
        known.sent(["x"])
        known.sent(["y"])  # window: 2 uncommitted + 1 batch of 1 ahead = 3 keys
        assert known.lookup(["A"]) == {}
        known.sent(["z"])
        assert known.lookup(["A"]) == {"A": "digest-A"}
    finally:
        known.close()
