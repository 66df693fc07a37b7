"""The JDP-2 and JDP-1 worked examples (draw-protocol.md §6), loaded as the draw API takes them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

# A copy of ../shared/spec/vectors, so the suite runs wherever the repository is cloned.
VECTORS = Path(__file__).with_name("vectors")
NAMES = ("v2-public", "v2-public-sm3", "v-public", "v-public-sm3")  # JDP-2 first, then JDP-1 (§7)
JDP2_NAMES = ("v2-public", "v2-public-sm3")


class Vector(NamedTuple):
    plan: dict
    roster: bytes
    pool: bytes
    reveals: dict[str, str]
    entropy: str
    record: dict

    @property
    def commitments(self) -> dict[str, str]:
        return self.record["commitments"]


def path(name: str, suffix: str) -> Path:
    return VECTORS / f"{name}.{suffix}"


def load(name: str) -> Vector:
    return Vector(
        plan=json.loads(path(name, "plan.json").read_text(encoding="utf-8")),
        roster=path(name, "roster.tsv").read_bytes(),
        pool=path(name, "pool.tsv").read_bytes(),
        reveals=dict(line.split("=", 1) for line in path(name, "reveals").read_text().split()),
        entropy=path(name, "entropy.txt").read_text(encoding="utf-8"),
        record=json.loads(path(name, "record.json").read_text(encoding="utf-8")),
    )


def reveal_lines(name: str) -> list[str]:
    return path(name, "reveals").read_text().split()
