"""Who may enter, change and see a result (pure): one rule for the JSON API, the CSV import, the
command line and the web, applied by the results service whatever calls it.

- a coordinator (and an admin) may enter any agency's result;
- a liaison only their own agency's;
- an inspector only a result of their own agency for an entity whose drawn team holds them;
- a reviewer approves or returns results; one whose account names an agency only that agency's;
- a reviewer, an auditor and a coordinator see every result; a liaison their agency's; an
  inspector the results of their own assignments.
"""

from __future__ import annotations

from collections.abc import Mapping

from hub.auth.principal import Principal

OPERATOR_ROLES = frozenset({"admin"})


def acting(who: Principal | str) -> Principal:
    """The principal acting: a plain name is the operator of the hub itself (command line without
    ``--as``, demo, jobs), who holds the database credentials and so may do anything."""
    return Principal(who, OPERATOR_ROLES) if isinstance(who, str) else who


def entry_refusal(caller: Principal, agency: str, team: Mapping[str, str]) -> str | None:
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


def review_refusal(caller: Principal, agency: str | None) -> str | None:
    """Why ``caller`` may not approve or return ``agency``'s result (None: any agency's); None when they may.

    A reviewer (分管局长) whose account names an agency reviews that agency's results only; a reviewer
    without an agency (the coordinating office's) reviews every agency's."""
    if not caller.has("reviewer"):
        return f"{caller.name} is not a reviewer"
    if agency is None or "admin" in caller.roles or not caller.agency or caller.agency == agency:
        return None
    return f"a reviewer of {caller.agency} cannot review results of {agency}"


def sees_everything(caller: Principal) -> bool:
    """Coordinators, reviewers and auditors see every agency's results and the whole outbox."""
    return caller.has("coordinator", "reviewer", "auditor")


def may_see(caller: Principal, agency: str, team: Mapping[str, str]) -> bool:
    """Whether ``caller`` may see ``agency``'s result of an entity whose team is ``team``."""
    if sees_everything(caller):
        return True
    if "liaison" in caller.roles and caller.agency == agency:
        return True
    return "inspector" in caller.roles and bool(caller.inspector_id) and caller.inspector_id in team
