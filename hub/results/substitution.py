"""Whether an officer off the drawn team may stand in for it (pure).

A substitute must be an officer of the inspector roster, of the result's agency, active, certified on
the inspection day, and pass the draw's own recusal rules (draw-protocol.md §4): not holding the
entity on their avoid list (declared conflicts, and the last pairing when the task avoids it), and
not living in the entity's district when the plan says ``avoid_home_district``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Officer:
    """What the rule needs to know of one inspector of the roster."""

    inspector_id: str
    agency: str
    active: bool
    cert_valid_until: date | None
    home_districts: tuple[str, ...]
    avoid: frozenset[str]  # entity ids: declared conflicts, the frozen pool's avoid list, last pairing


@dataclass(frozen=True)
class Visit:
    """The inspection a substitute would join."""

    agency: str
    entity_id: str
    district: str | None
    inspected_on: date
    avoid_home_district: bool


def substitute_problems(inspector_id: str, officer: Officer | None, visit: Visit) -> list[str]:
    """Each reason ``inspector_id`` cannot stand in on ``visit``; empty when they can."""
    if officer is None:
        return [f"{inspector_id} is not in the inspector roster"]
    problems = []
    if officer.agency != visit.agency:
        problems.append(f"{inspector_id} is an officer of {officer.agency}, not {visit.agency}")
    if not officer.active:
        problems.append(f"{inspector_id} is not active in the inspector roster")
    if officer.cert_valid_until is None or officer.cert_valid_until < visit.inspected_on:
        until = officer.cert_valid_until.isoformat() if officer.cert_valid_until else "none"
        problems.append(
            f"{inspector_id}'s enforcement certificate is not valid on "
            f"{visit.inspected_on.isoformat()} (valid until {until})"
        )
    if visit.entity_id in officer.avoid:
        problems.append(f"{inspector_id} must stay away from {visit.entity_id} (recusal: avoid list)")
    if visit.avoid_home_district and visit.district and visit.district in officer.home_districts:
        problems.append(
            f"{inspector_id}'s home district is {visit.district}, the entity's own (recusal: avoid_home_district)"
        )
    return problems


def all_substitute_problems(substitutes: Collection[str], officers: dict[str, Officer], visit: Visit) -> list[str]:
    return [p for i in substitutes for p in substitute_problems(i, officers.get(i), visit)]
