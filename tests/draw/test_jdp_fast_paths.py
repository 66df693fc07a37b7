"""jdp.py part 3 held to part 2 where the fast paths take their shortcuts: §3 over spans of many pieces in
several processes (bounds kept per span, spans merged), heavy tickets heaviest first, §4's queues of bytes
entries with inspectors passed over and capacities running out, progress from the workers, and the record
laid out from whole columns."""

from __future__ import annotations

import json
import mmap
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.draw import jdp

REVEALS = {"hub": "ab" * 16, "A": "cd" * 16}
DISTRICTS = ["370102", "370103", "370104", "-"]


def _draw(plan: dict, roster: bytes, pool: bytes, **options: object) -> dict:
    commitments = {p: jdp.commitment(p, s, plan["hash"], plan["protocol"]) for p, s in REVEALS.items()}
    return jdp.draw(plan, roster, pool, commitments, REVEALS, "e", **options)  # type: ignore[arg-type]


def _case(rng: random.Random, entities: int, strata: int, heavy_to: int) -> tuple[list[jdp.RosterEntry], dict]:
    roster = [
        jdp.RosterEntry(
            f"9137{i:06d}{rng.choice('AB')}",
            f"s{rng.randrange(strata)}|类",
            rng.choice([1, 1, 1, 2, 3, rng.randint(1, heavy_to)]),
            rng.choice(DISTRICTS),
        )
        for i in range(entities)
    ]
    sizes: dict[str, int] = {}
    for e in roster:
        sizes[e.stratum] = sizes.get(e.stratum, 0) + 1
    quotas = {s: rng.choice([0, 1, max(1, n // 20), n // 3, n]) for s, n in sizes.items()}  # 0 and all too
    return roster, quotas


@settings(max_examples=40, deadline=None)
@given(
    st.integers(0, 10**6),
    st.integers(40, 400),
    st.integers(1, 5),
    st.sampled_from([1, 2, 3]),
    st.sampled_from([64, 300, 1500, 1 << 21]),
    st.sampled_from(["sha256", "sm3"]),
    st.sampled_from([0, 100_000]),
)
def test_section_3_over_spans_and_pieces_selects_what_the_plain_reading_selects(
    salt: int, entities: int, strata: int, workers: int, piece_bytes: int, hash_name: str, prune_slack: int
) -> None:
    roster, quotas = _case(random.Random(salt), entities, strata, heavy_to=100)
    plan = {
        "protocol": "JDP-2",
        "task_id": "T",
        "hash": hash_name,
        "quotas": quotas,
        "team": [],
        "avoid_home_district": True,
    }
    roster_bytes, pool_bytes = jdp.format_roster(roster), b""
    plain = _draw(plan, roster_bytes, pool_bytes, plain=True)
    with pytest.MonkeyPatch.context() as patch:  # many pieces: each span bounds its later pieces
        patch.setattr(jdp, "_CHUNK_BYTES", piece_bytes)
        patch.setattr(jdp, "_PRUNE_SLACK", prune_slack)  # 0: the districts of candidates pushed out let go often
        assert _draw(plan, roster_bytes, pool_bytes, workers=workers) == plain


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10**6), st.integers(30, 200), st.integers(2, 40), st.booleans(), st.integers(1, 3))
def test_section_4_queues_pass_over_and_run_out_as_the_plain_reading_does(
    salt: int, entities: int, inspectors: int, avoid_home: bool, size: int
) -> None:
    rng = random.Random(salt)
    roster, _ = _case(rng, entities, 2, heavy_to=5)
    ids = [e.entity_id for e in roster]
    pool = [
        jdp.PoolEntry(
            f"{agency}{i:03d}",
            agency,
            (),
            tuple(sorted(rng.sample(DISTRICTS[:3], rng.choice([0, 0, 1, 2])))),  # many live where they'd inspect
            rng.randint(1, 12),  # capacities run out
            tuple(sorted(rng.sample(ids, rng.choice([0, 0, 1, 3])))),
        )
        for i in range(inspectors)
        for agency in ("A", "B")
    ]
    strata = {e.stratum for e in roster}
    plan = {
        "protocol": "JDP-2",
        "task_id": "T",
        "hash": "sha256",
        "quotas": {s: sum(e.stratum == s for e in roster) // 2 for s in strata},
        "team": [{"agency": "A", "size": size, "expertise": []}, {"agency": "B", "size": 1, "expertise": []}],
        "avoid_home_district": avoid_home,
    }
    roster_bytes, pool_bytes = jdp.format_roster(roster), jdp.format_pool(pool)
    try:
        plain = _draw(plan, roster_bytes, pool_bytes, plain=True)
    except jdp.InfeasibleDraw as failure:
        for workers in (1, 2):
            with pytest.raises(jdp.InfeasibleDraw) as fast:
                _draw(plan, roster_bytes, pool_bytes, workers=workers)
            assert (fast.value.entity_id, fast.value.agency) == (failure.entity_id, failure.agency)
        return
    assert _draw(plan, roster_bytes, pool_bytes) == _draw(plan, roster_bytes, pool_bytes, workers=2) == plain


@pytest.mark.parametrize("workers", [1, 2])
def test_districts_of_candidates_pushed_out_are_let_go_and_the_kept_keep_theirs(
    workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """§3 lets go of the districts of candidates no longer kept (a worker held every candidate ever kept); the
    districts of those still kept are what §4's home-district rule reads, so the teams show a wrong one."""
    rng = random.Random(11)
    roster, _ = _case(rng, 3000, 4, heavy_to=5)
    sizes: dict[str, int] = {}
    for e in roster:
        sizes[e.stratum] = sizes.get(e.stratum, 0) + 1
    pool = [
        jdp.PoolEntry(f"{agency}{i:03d}", agency, (), (DISTRICTS[i % 3],), 100, ())
        for i in range(12)
        for agency in ("A", "B")
    ]
    plan = {
        "protocol": "JDP-2",
        "task_id": "T",
        "hash": "sha256",
        "quotas": {s: n // 20 for s, n in sizes.items()},  # most candidates are pushed out again
        "team": [{"agency": "A", "size": 1, "expertise": []}, {"agency": "B", "size": 1, "expertise": []}],
        "avoid_home_district": True,
    }
    roster_bytes, pool_bytes = jdp.format_roster(roster), jdp.format_pool(pool)
    plain = _draw(plan, roster_bytes, pool_bytes, plain=True)
    monkeypatch.setattr(jdp, "_CHUNK_BYTES", 500)  # ~150 pieces: pruned after most of them
    monkeypatch.setattr(jdp, "_PRUNE_SLACK", 0)
    assert _draw(plan, roster_bytes, pool_bytes, workers=workers) == plain


def test_progress_from_the_workers_rises_to_the_total(monkeypatch: pytest.MonkeyPatch) -> None:
    roster, quotas = _case(random.Random(7), 3000, 4, heavy_to=9)
    plan = {"protocol": "JDP-2", "task_id": "T", "hash": "sha256", "quotas": quotas, "team": []}
    plan["avoid_home_district"] = False
    monkeypatch.setattr(jdp, "_CHUNK_BYTES", 2000)  # ~50 pieces in two spans
    calls: list[tuple[int, int]] = []
    record = _draw(plan, jdp.format_roster(roster), b"", workers=2, progress=lambda d, t: calls.append((d, t)))
    assert calls[-1] == (calls[-1][1], calls[-1][1])
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert record == _draw(plan, jdp.format_roster(roster), b"")


def test_a_mapped_roster_draws_as_its_bytes_while_its_pages_are_let_go(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The hub maps its frozen roster; the draw drops the pages it has read (the whole file once hashed, each
    piece once copied out) and reads them again as needed: the same record as from bytes, in one process and
    in two, pieces of many pages and of less than one."""
    roster, quotas = _case(random.Random(9), 4000, 5, heavy_to=9)
    plan = {"protocol": "JDP-2", "task_id": "T", "hash": "sha256", "quotas": quotas, "team": []}
    plan["avoid_home_district"] = False
    data = jdp.format_roster(roster)
    (tmp_path / "roster.tsv").write_bytes(data)
    expected = _draw(plan, data, b"")
    for chunk in (3 * mmap.PAGESIZE + 17, 1000):
        monkeypatch.setattr(jdp, "_CHUNK_BYTES", chunk)
        for workers in (1, 2):
            with (tmp_path / "roster.tsv").open("rb") as file:
                mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
                assert _draw(plan, mapped, b"", workers=workers) == expected  # type: ignore[arg-type]
                assert mapped[:] == data
                mapped.close()


def test_a_bad_line_in_the_second_span_is_named_as_in_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    roster, quotas = _case(random.Random(8), 600, 2, heavy_to=3)
    plan = {"protocol": "JDP-2", "task_id": "T", "hash": "sha256", "quotas": quotas, "team": []}
    plan["avoid_home_district"] = False
    lines = jdp.format_roster(roster).splitlines(keepends=True)
    monkeypatch.setattr(jdp, "_CHUNK_BYTES", 500)
    # line `at` replaced: weight 0 (named at 500); a repeat of line 299 (at 300); a later id (451 is out of order)
    for at, bad, named in ((500, b"X\tY\t0\t-\n", 500), (300, lines[298], 300), (450, lines[460], 451)):
        broken = b"".join([*lines[: at - 1], bad, *lines[at:]])
        with pytest.raises(jdp.JDPError) as one:
            _draw(plan, broken, b"")
        with pytest.raises(jdp.JDPError) as two:
            _draw(plan, broken, b"", workers=2)
        assert str(two.value) == str(one.value) and str(one.value).startswith(f"roster line {named}:")


def test_verify_names_a_changed_team_after_the_quick_comparison() -> None:
    roster, quotas = _case(random.Random(9), 200, 2, heavy_to=3)
    pool = [jdp.PoolEntry(f"A{i:02d}", "A", (), (), 100, ()) for i in range(5)]
    plan = {
        "protocol": "JDP-2",
        "task_id": "T",
        "hash": "sha256",
        "quotas": quotas,
        "team": [{"agency": "A", "size": 1, "expertise": []}],
        "avoid_home_district": False,
    }
    roster_bytes, pool_bytes = jdp.format_roster(roster), jdp.format_pool(pool)
    record = _draw(plan, roster_bytes, pool_bytes)
    assert jdp.verify(record, roster_bytes, pool_bytes) == []
    edited = json.loads(json.dumps(record))
    edited["selections"][1]["team"] = ["A99"]
    assert jdp.verify(edited, roster_bytes, pool_bytes) == [
        f"selections[1].team: record has ['A99'], recomputed {record['selections'][1]['team']!r}"
    ]
    edited["selections"][1] = dict(record["selections"][1], note="added members are ignored")
    assert jdp.verify(edited, roster_bytes, pool_bytes) == []


@pytest.mark.parametrize(
    "selections",
    [
        [{"entity_id": "a", "stratum": "s", "key": "k", "team": ("x",)}],  # a tuple, not a list
        [{"entity_id": "a", "stratum": "s", "key": "k", "team": ["x"]}, ["not", "a", "dict"]],
        [{"stratum": "s", "entity_id": "a", "key": "k", "team": []}],  # members in another order
        [{"entity_id": "a", "stratum": 3, "key": "k", "team": [None]}],  # not strings
        [{"entity_id": "a", "stratum": "s", "key": "k", "team": [], "more": 1}],
    ],
)
def test_record_text_of_unusual_selections_is_json_dumps(selections: list) -> None:
    record = {"protocol": "JDP-2", "selections": selections}
    assert jdp.record_text(record) == json.dumps(record, ensure_ascii=False, indent=1) + "\n"
