"""A lifecycle: its states and the one table of allowed transitions (pure).

Each domain writes its table once (hub/tasks/states.py, results/states.py, outbox/states.py,
rosters/states.py); services ask ``allows`` / ``require`` instead of comparing strings, and a
test walks every table trying every forbidden transition.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from enum import StrEnum
from typing import Generic, TypeVar

from hub.errors import Conflict

S = TypeVar("S", bound=StrEnum)


class Lifecycle(Generic[S]):
    """The allowed moves between the states of one kind of thing (a task, a result, ...)."""

    def __init__(self, name: str, states: type[S], allowed: Mapping[S, Iterable[S]]) -> None:
        missing = [s for s in states if s not in allowed]
        if missing:
            raise ValueError(f"{name}: no row for state(s) {', '.join(missing)}")
        self.name = name
        self.states = states
        self.allowed: dict[S, frozenset[S]] = {s: frozenset(allowed[s]) for s in states}

    def allows(self, current: str, target: str) -> bool:
        """Whether ``current`` may become ``target`` (unknown states never may)."""
        try:
            return self.states(target) in self.allowed[self.states(current)]
        except ValueError:
            return False

    def sources(self, target: S) -> list[S]:
        """The states that may become ``target``, in the enum's order."""
        return [s for s in self.states if target in self.allowed[s]]

    def require(self, current: str, target: S, *, doing: str, where: str) -> None:
        """Conflict naming the state and the states that would do, unless ``current`` may become ``target``."""
        if not self.allows(current, target):
            raise Conflict(
                f"cannot {doing}: {where} is {current}, not {' or '.join(self.sources(target))}", where=where
            )

    def forbidden(self) -> Iterator[tuple[S, S]]:
        """Every move the table does not allow (for tests)."""
        for a in self.states:
            for b in self.states:
                if b not in self.allowed[a]:
                    yield a, b
