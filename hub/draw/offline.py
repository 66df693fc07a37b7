"""File-level JDP (JDP-2, and JDP-1 records) for the CLI: draw from plan/roster/pool files, verify a published record.

The file logic itself lives in jdp.py, because jdp.py is also the standalone verifier script.
"""

from __future__ import annotations

from pathlib import Path

from hub.draw import jdp


def draw_offline(
    plan_path: str | Path,
    roster_path: str | Path,
    pool_path: str | Path,
    reveals: list[str],
    entropy: str | None,
    out_path: str | Path,
    commitments_path: str | Path | None = None,
    workers: int = 1,
    plain: bool = False,
) -> dict:
    """Draw from files and write the record to `out_path`; commitments are computed from the reveals
    when no commitments file is given. JDPError (naming the file) on bad input."""
    return jdp.draw_files(
        plan_path, roster_path, pool_path, reveals, entropy, out_path, commitments_path, workers=workers, plain=plain
    )


def verify_files(
    record_path: str | Path, roster_path: str | Path, pool_path: str | Path, workers: int = 1, plain: bool = False
) -> list[str]:
    """Recompute a published record from the frozen files: [] when it matches, else the mismatches;
    jdp.UnknownProtocol for a record of another protocol."""
    return jdp.verify_files(record_path, roster_path, pool_path, workers=workers, plain=plain)
