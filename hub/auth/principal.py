"""Who is asking, as the services see it (pure): the rules of who may see what take one of these."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Principal:
    """The caller of a request, as far as access control cares."""

    name: str
    roles: frozenset[str]
    agency: str | None = None
    inspector_id: str | None = None

    def has(self, *roles: str) -> bool:
        return "admin" in self.roles or bool(self.roles & set(roles))
