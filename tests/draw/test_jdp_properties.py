"""JDP-2 and JDP-1 properties over random rosters and pools: the fast paths agree with jdp.py's plain reading
and with a naive reading of §3-§4 written here, independently of jdp.py."""

from __future__ import annotations

import hashlib
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.draw import jdp

REVEALS = {"hub": "ab" * 16, "A": "cd" * 16}
COMMITMENTS = {party: jdp.commitment(party, secret, "sha256", "JDP-1") for party, secret in REVEALS.items()}
PROTOCOLS = ("JDP-2", "JDP-1")


def commitments(protocol: str) -> dict[str, str]:
    return {party: jdp.commitment(party, secret, "sha256", protocol) for party, secret in REVEALS.items()}


DISTRICTS = ["370102", "370103", "370104"]
TAGS = ["fire", "food"]


def u64(data: bytes) -> int:
    return int.from_bytes(hashlib.sha256(data).digest()[:8], "big")


def naive_draw(plan: dict, roster: list[jdp.RosterEntry], pool: list[jdp.PoolEntry], seed: bytes) -> list[dict]:
    """§3-§4 read literally: every candidate scanned for every slot; the tie-break of the plan's protocol."""

    def rank(e: jdp.RosterEntry, p: jdp.PoolEntry) -> int:
        if plan["protocol"] == "JDP-2":  # rank(i, l) = u64(seed || "I" || inspector_id || LF || decimal(l))
            return u64(seed + b"I" + p.inspector_id.encode() + b"\n" + str(load[p.inspector_id]).encode())
        return u64(seed + b"I" + e.entity_id.encode() + b"\n" + p.inspector_id.encode())

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
                candidates = [
                    p
                    for p in pool
                    if p.agency == entry["agency"]
                    and p.inspector_id not in team
                    and load[p.inspector_id] < p.capacity
                    and set(entry["expertise"]) <= set(p.expertise)
                    and e.entity_id not in p.avoid
                    and not (plan["avoid_home_district"] and e.district != "-" and e.district in p.home_districts)
                ]
                if not candidates:
                    raise jdp.InfeasibleDraw(e.entity_id, entry["agency"])
                best = min(candidates, key=lambda p: (load[p.inspector_id], rank(e, p), p.inspector_id.encode()))
                team.append(best.inspector_id)
                load[best.inspector_id] += 1
        out.append({"entity_id": e.entity_id, "stratum": e.stratum, "key": f"{k:016x}", "team": team})
    return out


@st.composite
def draws(draw: st.DrawFn) -> tuple[dict, list[jdp.RosterEntry], list[jdp.PoolEntry]]:
    n = draw(st.integers(1, 30))
    entity_id = st.from_regex(r"9137[0-9A-Z]{3}|EDU:[0-9]{1,4}", fullmatch=True)
    ids = sorted(draw(st.sets(entity_id, min_size=n, max_size=n)))
    roster = [
        jdp.RosterEntry(
            i,
            draw(st.sampled_from(["s|school", "s|hotel", "t|学校"])),
            draw(st.integers(1, 5)),
            draw(st.sampled_from([*DISTRICTS, "-"])),
        )
        for i in ids
    ]
    sizes = Counter(e.stratum for e in roster)
    quotas = {s: draw(st.integers(0, size)) for s, size in sizes.items()}
    pool = []
    agencies = ["A"] * draw(st.integers(1, 10)) + ["B"] * draw(st.integers(0, 6)) + ["C"]  # C: one inspector
    for i, agency in enumerate(draw(st.permutations(agencies))):
        pool.append(
            jdp.PoolEntry(
                f"P{i:03d}",
                agency,
                tuple(sorted(draw(st.sets(st.sampled_from(TAGS))))),
                tuple(sorted(draw(st.sets(st.sampled_from(DISTRICTS), max_size=2)))),
                draw(st.integers(1, 6)),  # small capacities run out
                tuple(sorted(draw(st.sets(st.sampled_from(ids), max_size=3)))),
            )
        )
    team = [
        {
            "agency": draw(st.sampled_from(["A", "A", "B", "C"])),
            "size": draw(st.integers(1, 3)),
            "expertise": sorted(draw(st.sets(st.sampled_from(TAGS), max_size=2))),
        }
        for _ in range(draw(st.integers(1, 4)))
    ]  # often two or more from one agency
    plan = {
        "protocol": draw(st.sampled_from(PROTOCOLS)),
        "task_id": "T",
        "hash": "sha256",
        "quotas": quotas,
        "team": team,
        "avoid_home_district": draw(st.booleans()),
    }
    return plan, roster, pool


def run(
    plan: dict, roster: list[jdp.RosterEntry], pool: list[jdp.PoolEntry], workers: int = 1, plain: bool = False
) -> dict:
    return jdp.draw(
        plan,
        jdp.format_roster(roster),
        jdp.format_pool(pool),
        commitments(plan["protocol"]),
        REVEALS,
        "e",
        workers=workers,
        plain=plain,
    )


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
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
        with pytest.raises(jdp.InfeasibleDraw) as plain:
            run(plan, roster, pool, plain=True)
        assert (plain.value.entity_id, plain.value.agency) == (failure.entity_id, failure.agency)
        return
    assert record["protocol"] == plan["protocol"]
    selections = record["selections"]
    assert selections == naive_draw(plan, roster, pool, bytes.fromhex(record["seed"]))
    assert run(plan, roster, pool, plain=True) == record  # fast paths == jdp.py's plain reading
    assert Counter(s["stratum"] for s in selections) == Counter({s: q for s, q in plan["quotas"].items() if q})
    assert len({s["entity_id"] for s in selections}) == len(selections)
    assert [(s["key"], s["entity_id"].encode()) for s in selections] == sorted(
        (s["key"], s["entity_id"].encode()) for s in selections
    )
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
    digest = {
        name: jdp.hexdigest(data, "sha256")
        for name, data in (
            ("plan", jdp.canonical_plan(plan)),
            ("roster", jdp.format_roster(roster)),
            ("pool", jdp.format_pool(pool)),
        )
    }
    return jdp.compute_seed(
        digest["plan"], digest["roster"], digest["pool"], REVEALS, "e", "sha256", plan["protocol"]
    ).hex()


@settings(max_examples=40, deadline=None)
@given(draws())
def test_two_workers_and_small_pieces_give_the_same_record(case: tuple) -> None:
    plan, roster, pool = case
    try:
        one = run(plan, roster, pool)
    except jdp.InfeasibleDraw as failure:
        with pytest.raises(jdp.InfeasibleDraw) as two:
            run(plan, roster, pool, workers=2)
        assert (two.value.entity_id, two.value.agency) == (failure.entity_id, failure.agency)
        return
    assert run(plan, roster, pool, workers=2) == one
    with pytest.MonkeyPatch.context() as patch:  # many small pieces, each pruned by the bounds of earlier ones
        patch.setattr(jdp, "_CHUNK_BYTES", 40)
        assert run(plan, roster, pool) == run(plan, roster, pool, workers=2) == one


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 15), st.integers(5, 80), st.integers(1, 3), st.integers(0, 10**6), st.sampled_from(PROTOCOLS))
def test_interchangeable_inspectors_get_loads_within_one(
    inspectors: int, entities: int, size: int, salt: int, protocol: str
) -> None:
    size = min(size, inspectors)
    roster = [jdp.RosterEntry(f"E{salt}-{i:04d}", "s", 1 + i % 4, "370102") for i in range(entities)]
    pool = [jdp.PoolEntry(f"A{i:03d}", "A", (), (), 10000, ()) for i in range(inspectors)]
    plan = {
        "protocol": protocol,
        "task_id": "T",
        "hash": "sha256",
        "quotas": {"s": entities},
        "team": [{"agency": "A", "size": size, "expertise": []}],
        "avoid_home_district": True,
    }
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
    plan = {
        "protocol": "JDP-1",
        "task_id": "T",
        "hash": "sha256",
        "quotas": {"s": 5},
        "team": [{"agency": "A", "size": 1, "expertise": []}, {"agency": "B", "size": 1, "expertise": []}],
        "avoid_home_district": False,
    }
    with pytest.raises(jdp.InfeasibleDraw) as failure:
        run(plan, roster, pool)
    assert (failure.value.entity_id, failure.value.agency) == (_draw_order(plan, roster, pool)[0], "B")


def test_exhausted_capacity_fails_naming_the_entity_that_found_no_one() -> None:
    roster = [jdp.RosterEntry(f"E{i:03d}", "s", 1, "-") for i in range(20)]
    pool = [jdp.PoolEntry("A1", "A", (), (), 2, ()), jdp.PoolEntry("A2", "A", (), (), 1, ())]
    plan = {
        "protocol": "JDP-1",
        "task_id": "T",
        "hash": "sha256",
        "quotas": {"s": 4},
        "team": [{"agency": "A", "size": 1, "expertise": []}],
        "avoid_home_district": False,
    }
    with pytest.raises(jdp.InfeasibleDraw) as failure:
        run(plan, roster, pool)
    assert (failure.value.entity_id, failure.value.agency) == (_draw_order(plan, roster, pool)[3], "A")


def test_infeasible_draw_survives_pickling_with_its_fields() -> None:
    import pickle

    error = pickle.loads(pickle.dumps(jdp.InfeasibleDraw("E1", "SAMR")))
    assert (error.entity_id, error.agency) == ("E1", "SAMR")
    assert isinstance(error, jdp.JDPError)


@settings(max_examples=100, deadline=None)
@given(draws())
def test_format_then_parse_gives_back_the_entries_sorted(case: tuple) -> None:
    _, roster, pool = case
    assert jdp.parse_roster(jdp.format_roster(reversed(roster))) == sorted(roster)
    assert jdp.parse_pool(jdp.format_pool(reversed(pool))) == sorted(pool)


def test_roster_of_several_pieces_round_trips() -> None:
    big = [jdp.RosterEntry(f"E{i:07d}", "s", 1 + i % 100, "-") for i in range(120_000)]
    assert jdp.parse_roster(jdp.format_roster(big)) == big


GOOD_ROSTER = b"A1\ts\t1\t370102\nA2\ts|x y\t100\t-\n"


@pytest.mark.parametrize(
    ("data", "line", "words"),
    [
        (b"A1\ts\t1\t370102\nA1\ts\t1\t370102\n", 2, "duplicate"),
        (b"B1\ts\t1\t370102\nA1\ts\t1\t370102\n", 2, "byte order"),
        (b"A1\ts\t0\t370102\n", 1, "weight"),
        (b"A1\ts\t01\t370102\n", 1, "weight"),
        (b"A1\ts\t101\t370102\n", 1, "weight"),
        (b"A1\ts\t1\t37010\n", 1, "district"),
        (b"A1\ts\t1\t\n", 1, "district"),
        (b"A 1\ts\t1\t-\n", 1, "entity_id"),
        (b"A,1\ts\t1\t-\n", 1, "entity_id"),
        (b"A1\t\t1\t-\n", 1, "stratum"),
        (GOOD_ROSTER + b"A3\ts\t1\t-\textra\n", 3, "4 TAB"),
        (GOOD_ROSTER + b"A3\ts\t1\t-", 3, "LF"),
        (GOOD_ROSTER + b"A3\ts\xff\t1\t-\n", 3, "UTF-8"),
    ],
)
def test_bad_roster_line_is_refused_naming_its_number(data: bytes, line: int, words: str) -> None:
    with pytest.raises(jdp.JDPError, match=rf"roster line {line}: .*{words}"):
        jdp.parse_roster(data)


def test_bad_roster_line_far_down_is_found() -> None:
    data = jdp.format_roster([jdp.RosterEntry(f"E{i:07d}", "s", 1, "-") for i in range(200_000)])
    at = data.index(b"E0150000\t") + len(b"E0150000\ts\t")
    bad = data[:at] + b"0" + data[at + 1 :]
    with pytest.raises(jdp.JDPError, match="roster line 150001: weight"):
        jdp.parse_roster(bad)
    plan = {
        "protocol": "JDP-1",
        "task_id": "T",
        "hash": "sha256",
        "quotas": {"s": 1},
        "team": [],
        "avoid_home_district": False,
    }
    for workers in (1, 2):
        with pytest.raises(jdp.JDPError, match="roster line 150001: weight"):
            jdp.draw(plan, bad, b"", COMMITMENTS, REVEALS, "", workers=workers)
    doubled = data.replace(b"E0180000\t", b"E0179999\t")
    with pytest.raises(jdp.JDPError, match="roster line 180001: entity_id 'E0179999' is duplicate"):
        jdp.draw(plan, doubled, b"", COMMITMENTS, REVEALS, "", workers=2)


GOOD_POOL = b"I1\tSAMR\tfire,food\t370102,370103\t5\tA1,A2\n"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (GOOD_POOL + b"I0\tSAMR\t-\t-\t5\t-\n", "byte order"),
        (GOOD_POOL + GOOD_POOL, "duplicate"),
        (b"I1\tSAMR\tfood,fire\t-\t5\t-\n", "expertise must be sorted"),
        (b"I1\tSAMR\t-\t370103,370102\t5\t-\n", "home_districts must be sorted"),
        (b"I1\tSAMR\t-\t3701\t5\t-\n", "home_districts item"),
        (b"I1\tSAMR\t-\t-\t0\t-\n", "capacity"),
        (b"I1\tSAMR\t-\t-\t10001\t-\n", "capacity"),
        (b"I1\tSAMR\t-\t-\t5\tA2,A1\n", "avoid must be sorted"),
        (b"I1\tSAMR\t-\t-\t5\n", "6 TAB"),
        (b"I 1\tSAMR\t-\t-\t5\t-\n", "inspector_id"),
        (b"I1\t\t-\t-\t5\t-\n", "agency"),
        (b"I1\tSAMR\t-\t-\t5\t-", "LF"),
    ],
)
def test_bad_pool_line_is_refused(data: bytes, words: str) -> None:
    with pytest.raises(jdp.JDPError, match=rf"pool line \d+: .*{words}"):
        jdp.parse_pool(data)


def test_format_refuses_what_the_file_cannot_hold() -> None:
    with pytest.raises(jdp.JDPError, match="weight"):
        jdp.format_roster([jdp.RosterEntry("A1", "s", 101, "-")])
    with pytest.raises(jdp.JDPError, match="duplicate"):
        jdp.format_roster([jdp.RosterEntry("A1", "s", 1, "-"), jdp.RosterEntry("A1", "t", 1, "-")])
    with pytest.raises(jdp.JDPError, match="capacity"):
        jdp.format_pool([jdp.PoolEntry("I1", "A", (), (), 0, ())])


roster_texts = st.text(alphabet=st.sampled_from("AB1,\t\n -|学"), max_size=4)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            roster_texts,
            roster_texts,
            st.one_of(st.integers(-1, 102), st.booleans(), st.sampled_from(["1", None])),
            st.one_of(st.sampled_from(["370102", "-", "37010", "", "３７０１０２"]), st.integers()),
        ),
        max_size=5,
    )
)
def test_format_roster_writes_exactly_what_parse_roster_accepts(rows: list[tuple]) -> None:
    """The column-wise quick check in format_roster never lets through what the line-by-line check refuses."""
    entries = [jdp.RosterEntry(*row) for row in rows]
    try:
        data = jdp.format_roster(entries)
    except jdp.JDPError:
        ordered = sorted(entries, key=lambda e: str(e.entity_id))
        try:
            written = "".join("\t".join(map(str, e)) + "\n" for e in ordered).encode("utf-8")
        except UnicodeEncodeError:
            return
        with pytest.raises(jdp.JDPError):
            jdp.parse_roster(written)
        return
    assert [tuple(map(str, e)) for e in jdp.parse_roster(data)] == [tuple(map(str, e)) for e in sorted(entries)]
    assert data == "".join("\t".join(map(str, e)) + "\n" for e in sorted(entries)).encode("utf-8")


PLAN = {
    "protocol": "JDP-1",
    "task_id": "T",
    "hash": "sm3",
    "quotas": {"s": 1, "t": 0},
    "team": [{"agency": "A", "size": 1, "expertise": ["fire"]}],
    "avoid_home_district": True,
}


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"protocol": "JDP-3"}, "'JDP-3' is not a protocol"),
        ({"protocol": "jdp-2"}, "protocol"),
        ({"hash": "md5"}, "hash"),
        ({"quotas": {"s": 3, "t": 0}}, "exceeds"),
        ({"quotas": {"s": 1}}, "does not name stratum 't'"),
        ({"quotas": {"s": 1, "t": 0, "u": 1}}, "does not have"),
        ({"quotas": {"s": -1, "t": 0}}, "quota must be"),
        ({"quotas": {"s": True, "t": 0}}, "quota must be"),
        ({"title": 1.5}, "float"),
        ({"title": None}, "NoneType"),
        ({"team": [{"agency": "A", "size": 0, "expertise": []}]}, "size"),
        ({"team": [{"agency": "", "size": 1, "expertise": []}]}, "agency"),
        ({"team": [{"agency": "A", "size": 1}]}, "expertise"),
        ({"team": [{"agency": "A", "size": 1, "expertise": ["a,b"]}]}, "expertise"),
        ({"avoid_home_district": "yes"}, "avoid_home_district"),
    ],
)
def test_invalid_plan_is_refused_naming_the_member(change: dict, words: str) -> None:
    jdp.check_plan(PLAN, {"s": 2, "t": 1})
    with pytest.raises(jdp.JDPError, match=words):
        jdp.check_plan({**PLAN, **change}, {"s": 2, "t": 1})
    with pytest.raises(jdp.JDPError, match="task_id"):
        jdp.check_plan({k: v for k, v in PLAN.items() if k != "task_id"}, {"s": 2, "t": 1})


@given(st.lists(st.integers(1, 100), min_size=1, max_size=40), st.binary(min_size=32, max_size=32))
def test_entity_keys_take_the_least_of_every_ticket_for_weights_up_to_100(weights: list[int], seed: bytes) -> None:
    ids = [b"91370000%010d" % i for i in range(len(weights))]
    keys = jdp._entity_keys(ids, [b"%d" % w for w in weights], seed, "sha256")
    assert [int.from_bytes(k, "big") for k in keys] == [
        min(u64(seed + b"E" + entity_id + b"\n" + str(t).encode()) for t in range(1, w + 1))
        for entity_id, w in zip(ids, weights)
    ]
