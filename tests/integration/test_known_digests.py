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


def test_the_lookup_probes_the_index_per_key_in_a_large_unanalysed_table(db) -> None:  # type: ignore[no-untyped-def]
    """Issue 14: a lookup by key that the planner turns into a join scans every record of the source per
    batch (a sync grows quadratically). Its plan, at 50,000 stored records and no statistics, is one index
    probe per key."""
    from hub.rosters import known as known_module

    count = 50_000
    if db.is_sqlite:
        fill = (
            f"WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < {count}) "
            "INSERT INTO entity_sources (source, record_key, entity_id, raw, digest, active, seen_at) "
            "SELECT 'samr', printf('K%08d', n), printf('K%08d', n), '{}', 'd', TRUE, :t FROM g"
        )
    else:
        fill = (
            "INSERT INTO entity_sources (source, record_key, entity_id, raw, digest, active, seen_at) "
            f"SELECT 'samr', 'K' || lpad(n::text, 8, '0'), 'K' || lpad(n::text, 8, '0'), '{{}}', 'd', TRUE, :t "
            f"FROM generate_series(1, {count}) AS g(n)"
        )
    with db.unit_of_work() as s:
        s.execute(text(fill), {"t": datetime(2026, 12, 1)})
    keys = [f"K{n:08d}" for n in range(1, 1001)]
    with db.engine.connect() as conn:
        raw = conn.connection.driver_connection
        if db.is_sqlite:
            sql = known_module._SQLITE.format(marks=",".join("?" * len(keys)))
            plan = "\n".join(str(r[-1]) for r in raw.execute("EXPLAIN QUERY PLAN " + sql, ("samr", *keys)))
            assert "USING INDEX" in plan and "SCAN entity_sources" not in plan, plan
        else:
            with raw.cursor() as cur:
                cur.execute(known_module._PLAN)
                cur.execute("EXPLAIN " + known_module._POSTGRESQL, (keys, "samr"))
                plan = "\n".join(r[0] for r in cur.fetchall())
            assert "Index Scan" in plan, plan
            for bad in ("Seq Scan on entity_sources", "Bitmap Heap Scan", "Hash Join", "Merge Join"):
                assert bad not in plan, plan
        conn.rollback()
    known = KnownDigests(db.url, "samr", uncommitted=10, batches_ahead=1)
    try:
        assert known.stored(["K00000001", "nope"]) == {"K00000001": ("d", True)}
    finally:
        known.close()
