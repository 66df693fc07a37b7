"""The joint task's lifecycle and its draw request's, each as one table (pure)."""

from __future__ import annotations

from enum import StrEnum

from hub.lifecycle import Lifecycle


class TaskState(StrEnum):
    """A joint task: draft → committing → frozen → drawn; void from anywhere before void."""

    DRAFT = "draft"
    COMMITTING = "committing"
    FROZEN = "frozen"
    DRAWN = "drawn"
    VOID = "void"


TASK_LIFECYCLE = Lifecycle(
    "task",
    TaskState,
    {
        TaskState.DRAFT: {TaskState.COMMITTING, TaskState.VOID},
        TaskState.COMMITTING: {TaskState.COMMITTING, TaskState.FROZEN, TaskState.VOID},  # more parties commit
        TaskState.FROZEN: {TaskState.DRAWN, TaskState.VOID},
        TaskState.DRAWN: {TaskState.VOID},  # a draw is one-time: never drawn again
        TaskState.VOID: set(),
    },
)


class DrawStatus(StrEnum):
    """The draw request of a frozen task (column ``draw_status``; NULL is NOT_REQUESTED, never stored)."""

    NOT_REQUESTED = "not_requested"
    QUEUED = "queued"
    RUNNING = "running"
    FAILED = "failed"
    DONE = "done"


#: queued or running: a worker has it (or lost it, after LOST_DRAW)
IN_FLIGHT = (DrawStatus.QUEUED, DrawStatus.RUNNING)

DRAW_LIFECYCLE = Lifecycle(
    "draw",
    DrawStatus,
    {
        DrawStatus.NOT_REQUESTED: {DrawStatus.QUEUED},
        DrawStatus.QUEUED: {DrawStatus.RUNNING, DrawStatus.FAILED, DrawStatus.QUEUED},  # a lost job is asked again
        DrawStatus.RUNNING: {DrawStatus.RUNNING, DrawStatus.DONE, DrawStatus.FAILED, DrawStatus.QUEUED},
        DrawStatus.FAILED: {DrawStatus.QUEUED, DrawStatus.RUNNING, DrawStatus.FAILED},
        DrawStatus.DONE: set(),
    },
)


def draw_status_of(value: str | None) -> DrawStatus:
    """The stored column as a DrawStatus (NULL: not requested)."""
    return DrawStatus(value) if value else DrawStatus.NOT_REQUESTED
