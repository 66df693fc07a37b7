"""Who may enter, change and see a result (pure): one rule for the JSON API, the CSV import, the
command line and the web, applied by the results service whatever calls it.

- a coordinator (and an admin) may enter any agency's result;
- a liaison only their own agency's;
- an inspector only a result of their own agency for an entity whose drawn team holds them;
- a reviewer, an auditor and a coordinator see every result; a liaison their agency's; an
  inspector the results of their own assignments.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol


class Acting(Protocol):
    """Whoever acts: a signed-in principal, or the operator at the command line."""

    @property
    def name(self) -> str: ...
    @property
    def roles(self) -> frozenset[str]: ...
    @property
    def agency(self) -> str | None: ...
    @property
    def inspector_id(self) -> str | None: ...


@dataclass(frozen=True)
class Caller:
    """A person acting, as far as results care (the same fields as the web's Principal)."""

    name: str
    roles: frozenset[str]
    agency: str | None = None
    inspector_id: str | None = None

    @classmethod
    def of(cls, who: Acting | str) -> Caller:
        """A plain name is the operator of the hub itself (command line, demo, jobs): it may do anything."""
        if isinstance(who, str):
            return cls(who, frozenset({"admin"}))
        return cls(who.name, frozenset(who.roles), who.agency, who.inspector_id)

    def has(self, *roles: str) -> bool:
        return "admin" in self.roles or bool(self.roles & set(roles))


def entry_refusal(caller: Caller, agency: str, team: Mapping[str, str]) -> str | None:
    """Why ``caller`` may not enter (or change, or follow up) ``agency``'s result for an entity whose
    drawn team is ``team`` (inspector id -> agency); None when they may."""
    if caller.has("coordinator"):
        return None
    if "liaison" in caller.roles and caller.agency == agency:
        return None
    if "inspector" in caller.roles and caller.inspector_id and team.get(caller.inspector_id) == agency:
        return None
    if "inspector" in caller.roles:
        who = caller.inspector_id or "an inspector without an inspector id"
        return f"{caller.name} ({who}) is not on the {agency} side of this entity's team"
    if "liaison" in caller.roles:
        return f"a liaison of {caller.agency} cannot enter results of {agency}"
    return f"{caller.name} may not enter results"


def sees_everything(caller: Caller) -> bool:
    """Coordinators, reviewers and auditors see every agency's results and the whole outbox."""
    return caller.has("coordinator", "reviewer", "auditor")


def may_see(caller: Caller, agency: str, team: Mapping[str, str]) -> bool:
    """Whether ``caller`` may see ``agency``'s result of an entity whose team is ``team``."""
    if sees_everything(caller):
        return True
    if "liaison" in caller.roles and caller.agency == agency:
        return True
    return "inspector" in caller.roles and bool(caller.inspector_id) and caller.inspector_id in team
