"""An inspection result's lifecycle as one table (pure); an amendment is a new result, not a move."""

from __future__ import annotations

from enum import StrEnum

from hub.lifecycle import Lifecycle


class ResultState(StrEnum):
    ENTERED = "entered"
    APPROVED = "approved"


RESULT_LIFECYCLE = Lifecycle(
    "result",
    ResultState,
    {
        ResultState.ENTERED: {ResultState.ENTERED, ResultState.APPROVED},  # re-entry replaces the entered one
        ResultState.APPROVED: set(),
    },
)
