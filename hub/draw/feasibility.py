"""Pre-check of a draw plan against the pool: is there enough inspector capacity for the teams?

Pure and cheap; it does not prove a JDP draw will succeed (§4 can still fail on avoid lists or
unlucky order) but catches the shortfalls that make it certain to fail, and says by how much.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

from hub.draw.jdp import PoolEntry, RosterEntry, check_plan


@dataclass(frozen=True)
class Shortfall:
    """One team entry (agency + expertise) that the pool cannot staff, overall or for one district."""

    kind: str  # "team_size": fewer eligible inspectors than one team needs; "capacity": too few slots overall
    agency: str
    expertise: tuple[str, ...]
    district: str | None
    strata: tuple[str, ...]
    demand: int
    supply: int
    short_by: int
    message: str


@dataclass(frozen=True)
class FeasibilityReport:
    ok: bool
    shortfalls: list[Shortfall] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"ok": self.ok, "shortfalls": [asdict(s) for s in self.shortfalls]}


def check(plan: dict, roster: list[RosterEntry], pool: list[PoolEntry]) -> FeasibilityReport:
    """Compare each agency's team demand with the capacity of matching inspectors, overall and per district."""
    districts: dict[str, Counter[str]] = {}
    for entry in roster:
        districts.setdefault(entry.stratum, Counter())[entry.district] += 1
    tally = PoolTally(plan, districts)
    for inspector in pool:
        tally.add(inspector)
    return tally.report()


class PoolTally:
    """The pre-check fed one inspector at a time, so a freeze can run it while it writes the pool file.

    `districts` is, per stratum of the roster, how many of its entities lie in each district.
    """

    def __init__(self, plan: dict, districts: Mapping[str, Mapping[str, int]]) -> None:
        check_plan(plan, {stratum: sum(counts.values()) for stratum, counts in districts.items()})
        self.plan = plan
        self.selected = sum(plan["quotas"].get(stratum, 0) for stratum in districts)
        self.demand = _certain_district_demand(plan, districts) if plan["avoid_home_district"] else {}
        self.by_agency = _team_by_agency(plan)
        # (agency, tags, district or None) -> [inspectors, capacity]; tags None: any entry of the agency
        self.sums: dict[tuple[str, tuple[str, ...] | None, str | None], list[int]] = {}

    def _add(self, key: tuple[str, tuple[str, ...] | None, str | None], capacity: int, entities: int) -> None:
        counts = self.sums.setdefault(key, [0, 0])
        counts[0] += 1
        counts[1] += min(capacity, entities)  # one inspector serves an entity once

    def add(self, inspector: PoolEntry) -> None:
        entries = self.by_agency.get(inspector.agency)
        if not entries:
            return
        expertise = set(inspector.expertise)
        fits = False
        for tags in dict.fromkeys(tags for tags, _ in entries):
            if set(tags) <= expertise:
                fits = True
                self._add((inspector.agency, tags, None), inspector.capacity, self.selected)
                for district, (entities, _) in self.demand.items():
                    if district not in inspector.home_districts:
                        self._add((inspector.agency, tags, district), inspector.capacity, entities)
        if fits and len(entries) > 1:
            self._add((inspector.agency, None, None), inspector.capacity, self.selected)

    def _counts(self, agency: str, tags: tuple[str, ...] | None, district: str | None) -> tuple[int, int]:
        counts = self.sums.get((agency, tags, district), [0, 0])
        return counts[0], counts[1]

    def report(self) -> FeasibilityReport:
        shortfalls = []
        for agency, entries in self.by_agency.items():
            for tags, size in entries:
                eligible = self._counts(agency, tags, None)
                shortfalls += _shortfalls(agency, tags, size, self.selected, eligible, None, ())
                for district, (entities, names) in self.demand.items():
                    away = self._counts(agency, tags, district)
                    if away[0] < eligible[0]:  # else implied by the overall check
                        shortfalls += _shortfalls(agency, tags, size, entities, away, district, names)
            if len(entries) > 1:  # entries of one agency draw on the same inspectors
                size = sum(size for _, size in entries)
                shortfalls += _shortfalls(agency, (), size, self.selected, self._counts(agency, None, None), None, ())
        return FeasibilityReport(ok=not shortfalls, shortfalls=shortfalls)


def _team_by_agency(plan: dict) -> dict[str, list[tuple[tuple[str, ...], int]]]:
    by_agency: dict[str, list[tuple[tuple[str, ...], int]]] = {}
    for entry in plan["team"]:
        by_agency.setdefault(entry["agency"], []).append((tuple(sorted(entry["expertise"])), entry["size"]))
    return by_agency


def _certain_district_demand(plan: dict, districts: Mapping[str, Mapping[str, int]]) -> dict[str, tuple[int, tuple]]:
    """Per district, how many drawn entities must lie in it whatever the draw: a stratum's quota minus its
    entities elsewhere (JDP §4 home-district recusal applies to these)."""
    demand: dict[str, tuple[int, tuple]] = {}
    for stratum, counts in districts.items():
        quota = plan["quotas"].get(stratum, 0)
        size = sum(counts.values())
        for district in sorted(set(counts) - {"-"}):
            elsewhere = size - counts[district]
            certain = quota - elsewhere
            if certain > 0:
                count, names = demand.get(district, (0, ()))
                demand[district] = (count + certain, (*names, stratum))
    return demand


def _shortfalls(
    agency: str,
    tags: tuple[str, ...],
    size: int,
    entities: int,
    inspectors: tuple[int, int],
    district: str | None,
    strata: tuple[str, ...],
) -> list[Shortfall]:
    """`inspectors`: how many can go, and their capacity summed with min(capacity, entities) each."""
    if entities <= 0:
        return []
    count, supply = inspectors
    found = []
    what = f"{agency}" + (f" with {'+'.join(tags)}" if tags else "")
    where = f" for entities in district {district}" if district else ""
    if count < size:
        found.append(
            Shortfall(
                "team_size",
                agency,
                tags,
                district,
                strata,
                size,
                count,
                size - count,
                f"a team needs {size} {what}{where} but only {count} can go",
            )
        )
    demand = entities * size
    if supply < demand:
        found.append(
            Shortfall(
                "capacity",
                agency,
                tags,
                district,
                strata,
                demand,
                supply,
                demand - supply,
                f"{entities} entities{where} need {demand} {what} slots, capacity is {supply}",
            )
        )
    return found
