"""The feasibility pre-check names the agency, expertise and district that lack capacity, and by how much."""

from __future__ import annotations

import json

import pytest

from hub.draw import feasibility
from hub.draw.jdp import JDPError, PoolEntry, RosterEntry


def roster(n: int, stratum: str = "370102|school", district: str = "370102") -> list[RosterEntry]:
    return [RosterEntry(f"E{stratum[-3:]}{i:03d}", stratum, 1, district) for i in range(n)]


def inspector(
    i: int, agency: str = "SAMR", capacity: int = 5, expertise: tuple[str, ...] = (), home: tuple[str, ...] = ()
) -> PoolEntry:
    return PoolEntry(f"{agency}-{i:03d}", agency, expertise, home, capacity, ())


def plan(quotas: dict[str, int], team: list[tuple[str, int, list[str]]], avoid_home: bool = True) -> dict:
    return {
        "protocol": "JDP-1",
        "task_id": "T",
        "hash": "sha256",
        "quotas": quotas,
        "team": [{"agency": a, "size": s, "expertise": e} for a, s, e in team],
        "avoid_home_district": avoid_home,
    }


def test_enough_capacity_is_ok() -> None:
    report = feasibility.check(
        plan({"370102|school": 10}, [("SAMR", 1, [])]), roster(20), [inspector(i) for i in range(3)]
    )
    assert report.ok and report.shortfalls == []


def test_capacity_shortfall_says_by_how_much() -> None:
    report = feasibility.check(
        plan({"370102|school": 10}, [("SAMR", 1, [])]), roster(20), [inspector(0, capacity=4), inspector(1, capacity=3)]
    )
    assert not report.ok
    (shortfall,) = report.shortfalls
    assert (shortfall.kind, shortfall.agency, shortfall.demand, shortfall.supply, shortfall.short_by) == (
        "capacity",
        "SAMR",
        10,
        7,
        3,
    )
    assert "SAMR" in shortfall.message and "10" in shortfall.message


def test_team_larger_than_the_matching_inspectors_is_a_shortfall() -> None:
    pool = [inspector(0, expertise=("food",)), inspector(1, expertise=("fire", "food")), inspector(2)]
    report = feasibility.check(plan({"370102|school": 1}, [("SAMR", 3, ["food"])]), roster(5), pool)
    kinds = {(s.kind, s.expertise, s.short_by) for s in report.shortfalls}
    assert ("team_size", ("food",), 1) in kinds


def test_one_inspector_serves_an_entity_only_once() -> None:
    report = feasibility.check(
        plan({"370102|school": 2}, [("SAMR", 2, [])]), roster(2), [inspector(0, capacity=100), inspector(1, capacity=1)]
    )
    assert [(s.kind, s.demand, s.supply) for s in report.shortfalls] == [("capacity", 4, 3)]


def test_home_district_recusal_is_counted_per_district() -> None:
    entities = roster(10) + roster(10, "370103|hotel", "370103")
    pool = [inspector(0, capacity=50, home=("370102",)), inspector(1, capacity=3)]
    report = feasibility.check(plan({"370102|school": 5, "370103|hotel": 1}, [("SAMR", 1, [])]), entities, pool)
    (shortfall,) = report.shortfalls
    assert (shortfall.district, shortfall.demand, shortfall.supply, shortfall.short_by) == ("370102", 5, 3, 2)
    assert shortfall.strata == ("370102|school",)
    assert feasibility.check(
        plan({"370102|school": 5, "370103|hotel": 1}, [("SAMR", 1, [])], avoid_home=False), entities, pool
    ).ok


def test_entries_of_one_agency_share_its_capacity() -> None:
    pool = [inspector(i, capacity=2, expertise=("fire", "food")) for i in range(3)]
    report = feasibility.check(
        plan({"370102|school": 4}, [("SAMR", 1, ["fire"]), ("SAMR", 1, ["food"])]), roster(4), pool
    )
    assert [(s.kind, s.expertise, s.demand, s.supply) for s in report.shortfalls] == [("capacity", (), 8, 6)]


def test_report_serialises_to_json() -> None:
    report = feasibility.check(plan({"370102|school": 3}, [("HEALTH", 1, [])]), roster(3), [])
    data = json.loads(json.dumps(report.to_dict()))
    assert data["ok"] is False
    assert {s["kind"] for s in data["shortfalls"]} == {"team_size", "capacity"}
    assert data["shortfalls"][0]["agency"] == "HEALTH"


def test_invalid_plan_is_refused() -> None:
    with pytest.raises(JDPError, match="quota"):
        feasibility.check(plan({"370102|school": 30}, [("SAMR", 1, [])]), roster(3), [inspector(0)])
