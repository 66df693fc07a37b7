"""The annual plan's lifecycle and who may move it (pure): a coordinator drafts and files, a reviewer
(分管局长, documents.md "the procedure") approves or returns it."""

from __future__ import annotations

from enum import StrEnum

from hub.lifecycle import Lifecycle


class PlanState(StrEnum):
    """draft → approved → filed (upward, to the provincial platform); a change starts a new draft."""

    DRAFT = "draft"
    APPROVED = "approved"
    FILED = "filed"


PLAN_LIFECYCLE = Lifecycle(
    "plan",
    PlanState,
    {
        PlanState.DRAFT: {PlanState.DRAFT, PlanState.APPROVED},  # edited while a draft
        PlanState.APPROVED: {PlanState.FILED, PlanState.DRAFT},  # returned by the reviewer, or revised
        PlanState.FILED: {PlanState.DRAFT},  # a changed plan is approved and sent again, whole
    },
)


class PlanAction(StrEnum):
    EDIT = "edit"  # create the plan, add, change or remove entries, revise an approved or filed plan
    APPROVE = "approve"
    RETURN = "return"
    FILE = "file"
    TASK = "task"  # create a joint task from an entry


#: The roles that may take each action (admin holds every role; the service adds the agency rule).
MAY = {
    PlanAction.EDIT: ("coordinator",),
    PlanAction.APPROVE: ("reviewer",),
    PlanAction.RETURN: ("reviewer",),
    PlanAction.FILE: ("coordinator",),
    PlanAction.TASK: ("coordinator",),
}

#: Roles that may read plans (the public reads them once filed, on the portal).
READERS = ("coordinator", "reviewer", "auditor", "liaison")
