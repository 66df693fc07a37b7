"""Pre-check of a draw plan against the pool: is there enough inspector capacity for the teams?

Pure and cheap; it does not prove a JDP-1 draw will succeed (§4 can still fail on avoid lists or
unlucky order) but catches the shortfalls that make it certain to fail, and says by how much.
"""
from __future__ import annotations

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
    strata: dict[str, list[RosterEntry]] = {}
    for entry in roster:
        strata.setdefault(entry.stratum, []).append(entry)
    check_plan(plan, {stratum: len(members) for stratum, members in strata.items()})
    selected = sum(plan["quotas"].get(stratum, 0) for stratum in strata)
    district_demand = _certain_district_demand(plan, strata) if plan["avoid_home_district"] else {}
    shortfalls = []
    for agency, entries in _team_by_agency(plan).items():
        for tags, size in entries:
            eligible = [p for p in pool if p.agency == agency and set(tags) <= set(p.expertise)]
            shortfalls += _shortfalls(agency, tags, size, selected, eligible, None, ())
            for district, (demand_entities, names) in district_demand.items():
                away = [p for p in eligible if district not in p.home_districts]
                if len(away) < len(eligible):  # else implied by the overall check
                    shortfalls += _shortfalls(agency, tags, size, demand_entities, away, district, names)
        if len(entries) > 1:  # entries of one agency draw on the same inspectors
            size = sum(size for _, size in entries)
            members = [p for p in pool if p.agency == agency and any(set(t) <= set(p.expertise) for t, _ in entries)]
            shortfalls += _shortfalls(agency, (), size, selected, members, None, ())
    return FeasibilityReport(ok=not shortfalls, shortfalls=shortfalls)


def _team_by_agency(plan: dict) -> dict[str, list[tuple[tuple[str, ...], int]]]:
    by_agency: dict[str, list[tuple[tuple[str, ...], int]]] = {}
    for entry in plan["team"]:
        by_agency.setdefault(entry["agency"], []).append((tuple(sorted(entry["expertise"])), entry["size"]))
    return by_agency


def _certain_district_demand(plan: dict, strata: dict[str, list[RosterEntry]]) -> dict[str, tuple[int, tuple]]:
    """Per district, how many drawn entities must lie in it whatever the draw: a stratum's quota minus its
    entities elsewhere (JDP-1 §4 home-district recusal applies to these)."""
    demand: dict[str, tuple[int, tuple]] = {}
    for stratum, members in strata.items():
        quota = plan["quotas"].get(stratum, 0)
        for district in {m.district for m in members} - {"-"}:
            elsewhere = sum(1 for m in members if m.district != district)
            certain = quota - elsewhere
            if certain > 0:
                count, names = demand.get(district, (0, ()))
                demand[district] = (count + certain, (*names, stratum))
    return demand


def _shortfalls(agency: str, tags: tuple[str, ...], size: int, entities: int, inspectors: list[PoolEntry],
                district: str | None, strata: tuple[str, ...]) -> list[Shortfall]:
    if entities <= 0:
        return []
    found = []
    what = f"{agency}" + (f" with {'+'.join(tags)}" if tags else "")
    where = f" for entities in district {district}" if district else ""
    if len(inspectors) < size:
        found.append(Shortfall("team_size", agency, tags, district, strata, size, len(inspectors),
                               size - len(inspectors),
                               f"a team needs {size} {what}{where} but only {len(inspectors)} can go"))
    demand = entities * size
    supply = sum(min(p.capacity, entities) for p in inspectors)  # one inspector serves an entity once
    if supply < demand:
        found.append(Shortfall("capacity", agency, tags, district, strata, demand, supply, demand - supply,
                               f"{entities} entities{where} need {demand} {what} slots, capacity is {supply}"))
    return found
