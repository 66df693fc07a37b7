"""From a joint task and plain roster facts to JDP's inputs: the roster, the pool and the plan (pure).

Policy lives here (who is eligible, how ratios become quotas, recusal); the byte-exact
draw over these inputs is ``hub.draw.jdp``.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

from hub.draw.jdp import PoolEntry, RosterEntry
from hub.errors import InvalidInput
from hub.tasks.spec import DISTRICT, TASK_ID, TaskSpec

HASHES = ("sha256", "sm3")  # JDP: H is SHA-256, or SM3
PROTOCOLS = ("JDP-2", "JDP-1")  # JDP-2 for new tasks; JDP-1 for tasks created before it
MAX_CAPACITY = 10_000  # JDP §1
_ID_BAD = re.compile(r"[,\s]")  # a comma or any white space (TAB, LF, space, ...)
_ID_FORBIDDEN = {"\t": "a TAB", "\n": "a line feed", ",": "a comma", " ": "a space"}  # JDP §1


@dataclass(frozen=True)
class EntityFacts:
    """What the draw needs to know about one entity of the entity master."""

    entity_id: str
    district: str | None
    categories: tuple[str, ...]
    entity_type: str | None
    status: str
    active: bool
    abnormal_list: bool = False
    serious_violation: bool = False
    credit_class: str | None = None
    last_inspected_on: date | None = None  # by any participating agency; the caller computes it


@dataclass(frozen=True)
class InspectorFacts:
    """What the draw needs to know about one inspector of the inspector roster."""

    inspector_id: str
    agency: str
    expertise: tuple[str, ...]
    home_districts: tuple[str, ...]
    capacity: int
    active: bool
    cert_valid_until: date | None
    conflicts: tuple[str, ...] = ()  # entity ids the inspector declared
    last_paired: tuple[str, ...] = ()  # entity ids this inspector inspected last time


def eligible(spec: TaskSpec, entities: Iterable[EntityFacts], today: date) -> list[EntityFacts]:
    """The entities of the task's population, in the order given."""
    pop = spec.population
    return [
        e
        for e in entities
        if _category(spec, e) is not None
        and (pop.districts is None or e.district in pop.districts)
        and e.active
        and e.status in pop.statuses
        and not recently_inspected(spec, e, today)
    ]


def recently_inspected(spec: TaskSpec, entity: EntityFacts, today: date) -> bool:
    """Inspected on or after ``today`` minus N days (N = exclude_inspected_within_days; 0 turns it off)."""
    days = spec.population.exclude_inspected_within_days
    last = entity.last_inspected_on
    return days > 0 and last is not None and last >= today - timedelta(days=days)


def stratum_label(spec: TaskSpec, entity: EntityFacts) -> str:
    """The entity's values for ``strata.by`` joined by "|"; a missing value is "-"."""
    values = {
        "district": entity.district or "-",
        "category": _category(spec, entity) or "-",
        "entity_type": entity.entity_type or "-",
    }
    return "|".join(values[key] for key in spec.strata.by)


def weight(spec: TaskSpec, entity: EntityFacts) -> int:
    """Lottery tickets: the largest matching rule of ``[weights]`` wins; 1 when none matches."""
    rules = spec.weights
    matches = [1]
    if entity.abnormal_list and rules.abnormal_list is not None:
        matches.append(rules.abnormal_list)
    if entity.serious_violation and rules.serious_violation is not None:
        matches.append(rules.serious_violation)
    credit = dict(rules.credit_class).get((entity.credit_class or "").strip().upper())
    if credit is not None:
        matches.append(credit)
    return max(matches)


def quotas(spec: TaskSpec, strata_sizes: Mapping[str, int]) -> dict[str, int]:
    """Per stratum: its count if given, else ceil(ratio × n) with the stratum's own ratio first; never above n."""
    ratios = dict(spec.strata.ratios)
    counts = dict(spec.strata.counts)
    out = {}
    for label in sorted(strata_sizes, key=str.encode):
        n = strata_sizes[label]
        if n < 0:
            raise ValueError(f"stratum {label!r} has a negative size {n}")
        if label in counts:
            out[label] = min(counts[label], n)
        else:
            # Exact: Fraction(Decimal("0.2")) is 1/5, so 0.2 × 5 is 1; Fraction(0.2) of the float gives 2.
            out[label] = min(math.ceil(Fraction(ratios.get(label, spec.strata.ratio)) * n), n)
    return out


def check_entity_ids(entities: Iterable[EntityFacts]) -> None:
    """Refuse ids a JDP roster cannot carry: empty, TAB, LF, comma, space, or repeated."""
    seen: set[str] = set()
    for e in entities:
        eid = e.entity_id
        if not eid:
            raise InvalidInput("an entity id is empty", where="entity ''")
        found = _ID_BAD.search(eid)  # the one pass in C; the usual id has none
        if found is not None:
            bad = found.group()
            what = _ID_FORBIDDEN.get(bad, "white space")
            raise InvalidInput(
                f"entity id {eid!r} contains {what} (JDP §1: no TAB, LF, comma or space)",
                where=f"entity {eid!r}",
            )
        if eid in seen:
            raise InvalidInput(f"entity id {eid!r} appears twice", where=f"entity {eid!r}")
        seen.add(eid)


def build_roster(spec: TaskSpec, entities: Iterable[EntityFacts], today: date) -> list[RosterEntry]:
    """The JDP roster: eligible entities with stratum, weight and district, sorted by entity_id bytes."""
    return roster_rows(spec, entities, today)


def roster_rows(spec: TaskSpec, entities: Iterable[EntityFacts], today: date) -> list[RosterEntry]:
    """Roster lines of the eligible ones among `entities` (a whole roster, or one page of a streamed freeze)."""
    chosen = eligible(spec, entities, today)
    check_entity_ids(chosen)
    rows = [RosterEntry(e.entity_id, _checked_label(spec, e), weight(spec, e), _roster_district(e)) for e in chosen]
    return sorted(rows, key=lambda row: row.entity_id.encode())


def build_pool(spec: TaskSpec, inspectors: Iterable[InspectorFacts], draw_date: date) -> list[PoolEntry]:
    """The JDP pool: active inspectors of the task's agencies certified on ``draw_date``, sorted by id bytes."""
    rows = []
    for i in inspectors:
        # product.md: officers whose certificate has expired on the inspection date are never drawn
        certified = i.cert_valid_until is not None and i.cert_valid_until >= draw_date
        if i.agency not in spec.agencies or not i.active or not certified or i.capacity < 1:
            continue
        avoid = set(i.conflicts) | (set(i.last_paired) if spec.recusal.avoid_last_pairing else set())
        row = PoolEntry(
            inspector_id=i.inspector_id,
            agency=i.agency,
            expertise=_byte_sorted(i.expertise),
            home_districts=_byte_sorted(i.home_districts),
            capacity=i.capacity,
            avoid=_byte_sorted(avoid),
        )
        _check_pool_entry(row)
        rows.append(row)
    ids = Counter(row.inspector_id for row in rows)
    for inspector_id, n in ids.items():
        if n > 1:
            raise InvalidInput(
                f"inspector id {inspector_id!r} appears {n} times",
                where=f"inspector {inspector_id!r}",
            )
    return sorted(rows, key=lambda row: row.inspector_id.encode())


def strata_sizes(roster: Iterable[RosterEntry]) -> dict[str, int]:
    """How many roster entities each stratum holds."""
    return dict(Counter(row.stratum for row in roster))


def build_plan(
    spec: TaskSpec,
    task_id: str,
    roster: Iterable[RosterEntry] | Mapping[str, int],
    hash_name: str = "sha256",
    protocol: str = "JDP-2",
    entropy_source: str | None = None,
) -> dict[str, Any]:
    """The JDP plan: required members, plus title, window, agencies, lead and items for the record, and the
    entropy's declared source (covered by plan_digest, so fixed before any secret is revealed).

    `roster` is the roster itself or, for a streamed freeze, its strata sizes."""
    if protocol not in PROTOCOLS:
        raise InvalidInput(f"{protocol!r} is not a protocol the hub draws with", where="plan.protocol")
    if hash_name not in HASHES:
        raise InvalidInput(f"{hash_name!r} is not a JDP hash ({', '.join(HASHES)})", where="plan.hash")
    if not isinstance(task_id, str) or not TASK_ID.fullmatch(task_id):
        raise InvalidInput(f"{task_id!r} is not a task id", where="plan.task_id")
    if spec.id is not None and spec.id != task_id:
        raise InvalidInput(f"the task file says id {spec.id!r}, not {task_id!r}", where="plan.task_id")
    items: dict[str, list[str]] = {agency: [] for agency in spec.agencies}
    for entry in spec.team:
        for code in entry.items:
            if code not in items[entry.agency]:
                items[entry.agency].append(code)
    sizes = roster if isinstance(roster, Mapping) else strata_sizes(roster)
    plan = {
        "protocol": protocol,
        "task_id": task_id,
        "hash": hash_name,
        "title": spec.title,
        "quotas": quotas(spec, sizes),
        "team": [{"agency": t.agency, "size": t.size, "expertise": list(_byte_sorted(t.expertise))} for t in spec.team],
        "avoid_home_district": spec.recusal.avoid_home_district,
        "window": [spec.window.start.isoformat(), spec.window.end.isoformat()],
        "agencies": list(spec.agencies),
        "lead": spec.lead,
        "items": items,
    }
    if entropy_source:
        plan["entropy_source"] = entropy_source
    return plan


def _category(spec: TaskSpec, entity: EntityFacts) -> str | None:
    """The first of the task's categories the entity has, in the task's order."""
    return next((c for c in spec.population.categories if c in entity.categories), None)


def _byte_sorted(values: Iterable[str]) -> tuple[str, ...]:
    # UTF-8 keeps code point order, but say what JDP means: raw bytes, ascending; no repeats
    return tuple(sorted(set(values), key=str.encode))


def _roster_district(entity: EntityFacts) -> str:
    if not entity.district:
        return "-"
    if not DISTRICT.fullmatch(entity.district):
        raise InvalidInput(
            f"district {entity.district!r} is not a 6-digit division code",
            where=f"entity {entity.entity_id!r}",
        )
    return entity.district


def _checked_label(spec: TaskSpec, entity: EntityFacts) -> str:
    label = stratum_label(spec, entity)
    if "\t" in label or "\n" in label:
        raise InvalidInput(f"stratum {label!r} contains a TAB or line feed", where=f"entity {entity.entity_id!r}")
    return label


def _check_pool_entry(row: PoolEntry) -> None:
    where = f"inspector {row.inspector_id!r}"
    if not row.inspector_id or any(c in row.inspector_id for c in "\t\n"):
        raise InvalidInput("an inspector id must be non-empty, without TAB or line feed", where=where)
    if row.capacity > MAX_CAPACITY:
        raise InvalidInput(f"capacity {row.capacity} is above JDP's {MAX_CAPACITY}", where=where)
    for name, values in (
        ("expertise", row.expertise),
        ("home_districts", row.home_districts),
        ("avoid", row.avoid),
    ):
        for value in values:
            if not value or value == "-" or any(c in value for c in ",\t\n"):
                raise InvalidInput(f"{name} value {value!r} cannot be written in a JDP pool file", where=where)
