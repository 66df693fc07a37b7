"""An inspection result's lifecycle as one table (pure); an amendment is a new result, not a move.

draft (saved, not submitted) → entered (submitted for review) → approved (published, frozen);
a reviewer may return an entered result with a reason (returned), which its enterer edits again.
"""

from __future__ import annotations

from enum import StrEnum

from hub.lifecycle import Lifecycle


class ResultState(StrEnum):
    DRAFT = "draft"
    ENTERED = "entered"
    RETURNED = "returned"
    APPROVED = "approved"


EDITABLE = frozenset({ResultState.DRAFT, ResultState.ENTERED, ResultState.RETURNED})

RESULT_LIFECYCLE = Lifecycle(
    "result",
    ResultState,
    {
        ResultState.DRAFT: {ResultState.DRAFT, ResultState.ENTERED},
        # re-entry replaces the entered one; a reviewer approves or returns it
        ResultState.ENTERED: {ResultState.DRAFT, ResultState.ENTERED, ResultState.APPROVED, ResultState.RETURNED},
        ResultState.RETURNED: {ResultState.DRAFT, ResultState.ENTERED},
        ResultState.APPROVED: set(),
    },
)
