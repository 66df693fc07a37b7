"""A sync run's lifecycle as one table (pure). The column is ``sync_runs.outcome`` (kept for the API)."""

from __future__ import annotations

from enum import StrEnum

from hub.lifecycle import Lifecycle


class RunState(StrEnum):
    RUNNING = "running"
    OK = "ok"
    FAILED = "failed"
    INTERRUPTED = "interrupted"  # found running when the next run started: its process died


RUN_LIFECYCLE = Lifecycle(
    "sync run",
    RunState,
    {
        RunState.RUNNING: {RunState.OK, RunState.FAILED, RunState.INTERRUPTED},
        RunState.OK: set(),
        RunState.FAILED: set(),
        RunState.INTERRUPTED: set(),
    },
)
