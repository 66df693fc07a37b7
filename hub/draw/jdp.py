"""JDP-1, the Joint Draw Protocol (draw-protocol.md), to the byte. Standard library only.

(Types only so far: the engine is being written.)
"""
from __future__ import annotations

from typing import NamedTuple


class RosterEntry(NamedTuple):
    entity_id: str
    stratum: str
    weight: int
    district: str  # 6 digits or "-"


class PoolEntry(NamedTuple):
    inspector_id: str
    agency: str
    expertise: tuple[str, ...]
    home_districts: tuple[str, ...]
    capacity: int
    avoid: tuple[str, ...]
