"""JDP-1 properties over random rosters and pools, and agreement with a naive reading of the spec."""
from __future__ import annotations

import hashlib
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.draw import jdp

REVEALS = {"hub": "ab" * 16, "A": "cd" * 16}
COMMITMENTS = {party: jdp.commitment(party, secret, "sha256") for party, secret in REVEALS.items()}
DISTRICTS = ["370102", "370103", "370104"]
TAGS = ["fire", "food"]


def u64(data: bytes) -> int:
    return int.from_bytes(hashlib.sha256(data).digest()[:8], "big")


def naive_draw(plan: dict, roster: list[jdp.RosterEntry], pool: list[jdp.PoolEntry], seed: bytes) -> list[dict]:
    """JDP-1 §3-§4 read literally: every candidate scanned for every slot."""
    def key(e: jdp.RosterEntry) -> int:
        return min(u64(seed + b"E" + e.entity_id.encode() + b"\n" + str(t).encode()) for t in range(1, e.weight + 1))

    chosen = []
    for stratum, quota in plan["quotas"].items():
        members = sorted((key(e), e.entity_id.encode(), e) for e in roster if e.stratum == stratum)
        chosen += members[:quota]
    chosen.sort()
    load = {p.inspector_id: 0 for p in pool}
    out = []
    for k, _, e in chosen:
        team: list[str] = []
        for entry in plan["team"]:
            for _ in range(entry["size"]):
                candidates = [p for p in pool if p.agency == entry["agency"] and p.inspector_id not in team
                              and load[p.inspector_id] < p.capacity and set(entry["expertise"]) <= set(p.expertise)
                              and e.entity_id not in p.avoid
                              and not (plan["avoid_home_district"] and e.district != "-"
                                       and e.district in p.home_districts)]
                if not candidates:
                    raise jdp.InfeasibleDraw(e.entity_id, entry["agency"])
                best = min(candidates, key=lambda p: (load[p.inspector_id], u64(
                    seed + b"I" + e.entity_id.encode() + b"\n" + p.inspector_id.encode()), p.inspector_id.encode()))
                team.append(best.inspector_id)
                load[best.inspector_id] += 1
        out.append({"entity_id": e.entity_id, "stratum": e.stratum, "key": f"{k:016x}", "team": team})
    return out


@st.composite
def draws(draw: st.DrawFn) -> tuple[dict, list[jdp.RosterEntry], list[jdp.PoolEntry]]:
    n = draw(st.integers(1, 30))
    ids = sorted(draw(st.sets(st.from_regex(r"9137[0-9A-Z]{3}|EDU:[0-9]{1,4}", fullmatch=True), min_size=n, max_size=n)))
    roster = [jdp.RosterEntry(i, draw(st.sampled_from(["s|school", "s|hotel", "t|学校"])), draw(st.integers(1, 5)),
                              draw(st.sampled_from(DISTRICTS + ["-"]))) for i in ids]
    sizes = Counter(e.stratum for e in roster)
    quotas = {s: draw(st.integers(0, size)) for s, size in sizes.items()}
    pool = []
    for i in range(draw(st.integers(1, 12))):
        pool.append(jdp.PoolEntry(
            f"P{i:03d}", draw(st.sampled_from(["A", "B"])),
            tuple(sorted(draw(st.sets(st.sampled_from(TAGS))))),
            tuple(sorted(draw(st.sets(st.sampled_from(DISTRICTS), max_size=1)))),
            draw(st.integers(1, 6)),
            tuple(sorted(draw(st.sets(st.sampled_from(ids), max_size=2))))))
    team = [{"agency": draw(st.sampled_from(["A", "B"])), "size": draw(st.integers(1, 2)),
             "expertise": sorted(draw(st.sets(st.sampled_from(TAGS), max_size=1)))}
            for _ in range(draw(st.integers(1, 3)))]
    plan = {"protocol": "JDP-1", "task_id": "T", "hash": "sha256", "quotas": quotas, "team": team,
            "avoid_home_district": draw(st.booleans())}
    return plan, roster, pool


def run(plan: dict, roster: list[jdp.RosterEntry], pool: list[jdp.PoolEntry], workers: int = 1) -> dict:
    return jdp.draw(plan, jdp.format_roster(roster), jdp.format_pool(pool), COMMITMENTS, REVEALS, "e",
                    workers=workers)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(draws())
def test_draw_obeys_every_rule_and_matches_a_naive_reading(case: tuple) -> None:
    plan, roster, pool = case
    by_id = {e.entity_id: e for e in roster}
    inspectors = {p.inspector_id: p for p in pool}
    try:
        record = run(plan, roster, pool)
    except jdp.InfeasibleDraw as failure:
        assert failure.entity_id in by_id
        assert failure.agency in {entry["agency"] for entry in plan["team"]}
        seed = bytes.fromhex(_seed(plan, roster, pool))
        with pytest.raises(jdp.InfeasibleDraw) as naive:
            naive_draw(plan, roster, pool, seed)
        assert (naive.value.entity_id, naive.value.agency) == (failure.entity_id, failure.agency)
        return
    selections = record["selections"]
    assert selections == naive_draw(plan, roster, pool, bytes.fromhex(record["seed"]))
    assert Counter(s["stratum"] for s in selections) == Counter({s: q for s, q in plan["quotas"].items() if q})
    assert len({s["entity_id"] for s in selections}) == len(selections)
    assert [(s["key"], s["entity_id"].encode()) for s in selections] == sorted(
        (s["key"], s["entity_id"].encode()) for s in selections)
    load: Counter[str] = Counter()
    for s in selections:
        entity = by_id[s["entity_id"]]
        assert s["stratum"] == entity.stratum
        slots = [entry for entry in plan["team"] for _ in range(entry["size"])]
        assert len(s["team"]) == len(slots) == len(set(s["team"]))
        for inspector_id, entry in zip(s["team"], slots):
            p = inspectors[inspector_id]
            assert p.agency == entry["agency"]
            assert set(entry["expertise"]) <= set(p.expertise)
            assert entity.entity_id not in p.avoid
            if plan["avoid_home_district"] and entity.district != "-":
                assert entity.district not in p.home_districts
            load[inspector_id] += 1
    assert all(load[i] <= inspectors[i].capacity for i in load)


def _seed(plan: dict, roster: list[jdp.RosterEntry], pool: list[jdp.PoolEntry]) -> str:
    digest = {name: jdp.hexdigest(data, "sha256") for name, data in (
        ("plan", jdp.canonical_plan(plan)), ("roster", jdp.format_roster(roster)), ("pool", jdp.format_pool(pool)))}
    return jdp.compute_seed(digest["plan"], digest["roster"], digest["pool"], REVEALS, "e", "sha256").hex()


@settings(max_examples=40, deadline=None)
@given(draws())
def test_two_workers_give_the_same_record(case: tuple) -> None:
    plan, roster, pool = case
    try:
        one = run(plan, roster, pool)
    except jdp.InfeasibleDraw as failure:
        with pytest.raises(jdp.InfeasibleDraw) as two:
            run(plan, roster, pool, workers=2)
        assert (two.value.entity_id, two.value.agency) == (failure.entity_id, failure.agency)
        return
    assert run(plan, roster, pool, workers=2) == one


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 15), st.integers(5, 80), st.integers(1, 3), st.integers(0, 10**6))
def test_interchangeable_inspectors_get_loads_within_one(inspectors: int, entities: int, size: int,
                                                         salt: int) -> None:
    size = min(size, inspectors)
    roster = [jdp.RosterEntry(f"E{salt}-{i:04d}", "s", 1 + i % 4, "370102") for i in range(entities)]
    pool = [jdp.PoolEntry(f"A{i:03d}", "A", (), (), 10000, ()) for i in range(inspectors)]
    plan = {"protocol": "JDP-1", "task_id": "T", "hash": "sha256", "quotas": {"s": entities},
            "team": [{"agency": "A", "size": size, "expertise": []}], "avoid_home_district": True}
    load = Counter(i for s in run(plan, roster, pool)["selections"] for i in s["team"])
    loads = [load[p.inspector_id] for p in pool]
    assert max(loads) - min(loads) <= 1
    assert sum(loads) == entities * size


def _draw_order(plan: dict, roster: list[jdp.RosterEntry], pool: list[jdp.PoolEntry]) -> list[str]:
    """The entities JDP-1 §3 selects for this very plan, roster and pool (same seed), in draw order."""
    seed = bytes.fromhex(_seed(plan, roster, pool))
    return [s["entity_id"] for s in naive_draw(dict(plan, team=[]), roster, [], seed)]


def test_agency_without_inspectors_fails_on_the_first_entity_in_draw_order() -> None:
    roster = [jdp.RosterEntry(f"E{i:03d}", "s", 1, "-") for i in range(20)]
    pool = [jdp.PoolEntry("A1", "A", (), (), 100, ())]
    plan = {"protocol": "JDP-1", "task_id": "T", "hash": "sha256", "quotas": {"s": 5},
            "team": [{"agency": "A", "size": 1, "expertise": []}, {"agency": "B", "size": 1, "expertise": []}],
            "avoid_home_district": False}
    with pytest.raises(jdp.InfeasibleDraw) as failure:
        run(plan, roster, pool)
    assert (failure.value.entity_id, failure.value.agency) == (_draw_order(plan, roster, pool)[0], "B")


def test_exhausted_capacity_fails_naming_the_entity_that_found_no_one() -> None:
    roster = [jdp.RosterEntry(f"E{i:03d}", "s", 1, "-") for i in range(20)]
    pool = [jdp.PoolEntry("A1", "A", (), (), 2, ()), jdp.PoolEntry("A2", "A", (), (), 1, ())]
    plan = {"protocol": "JDP-1", "task_id": "T", "hash": "sha256", "quotas": {"s": 4},
            "team": [{"agency": "A", "size": 1, "expertise": []}], "avoid_home_district": False}
    with pytest.raises(jdp.InfeasibleDraw) as failure:
        run(plan, roster, pool)
    assert (failure.value.entity_id, failure.value.agency) == (_draw_order(plan, roster, pool)[3], "A")


def test_infeasible_draw_survives_pickling_with_its_fields() -> None:
    import pickle

    error = pickle.loads(pickle.dumps(jdp.InfeasibleDraw("E1", "SAMR")))
    assert (error.entity_id, error.agency) == ("E1", "SAMR")
    assert isinstance(error, jdp.JDPError)
