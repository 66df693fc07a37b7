"""Every lifecycle table, walked: each allowed move passes, each forbidden one is refused by name."""

from __future__ import annotations

import pytest

from hub.errors import Conflict
from hub.lifecycle import Lifecycle
from hub.outbox.states import MESSAGE_LIFECYCLE, MessageState
from hub.results.states import RESULT_LIFECYCLE, ResultState
from hub.rosters.states import RUN_LIFECYCLE, RunState
from hub.tasks.states import DRAW_LIFECYCLE, TASK_LIFECYCLE, DrawStatus, TaskState, draw_status_of

LIFECYCLES: list[Lifecycle] = [TASK_LIFECYCLE, DRAW_LIFECYCLE, RESULT_LIFECYCLE, MESSAGE_LIFECYCLE, RUN_LIFECYCLE]
FORBIDDEN = [(lc, a, b) for lc in LIFECYCLES for a, b in lc.forbidden()]
ALLOWED = [(lc, a, b) for lc in LIFECYCLES for a in lc.states for b in lc.states if b in lc.allowed[a]]


@pytest.mark.parametrize("lifecycle, current, target", FORBIDDEN, ids=[f"{lc.name}:{a}->{b}" for lc, a, b in FORBIDDEN])
def test_every_forbidden_transition_is_refused(lifecycle, current, target):
    assert not lifecycle.allows(current, target)
    with pytest.raises(Conflict, match=f"is {current}, not") as caught:
        lifecycle.require(current, target, doing="move", where="thing 1")
    assert caught.value.where == "thing 1"


@pytest.mark.parametrize("lifecycle, current, target", ALLOWED, ids=[f"{lc.name}:{a}->{b}" for lc, a, b in ALLOWED])
def test_every_allowed_transition_passes(lifecycle, current, target):
    assert lifecycle.allows(str(current), str(target))  # the database hands back plain strings
    lifecycle.require(str(current), target, doing="move", where="thing 1")


def test_the_tables_cover_every_state_and_nothing_else():
    for lc in LIFECYCLES:
        assert set(lc.allowed) == set(lc.states)
        assert all(set(targets) <= set(lc.states) for targets in lc.allowed.values())
    with pytest.raises(ValueError, match="no row for state"):
        Lifecycle("broken", TaskState, {TaskState.DRAFT: set()})


def test_stored_values_are_unchanged():  # str-valued enums: no migration of existing rows
    assert [s.value for s in TaskState] == ["draft", "committing", "frozen", "drawn", "void"]
    assert {s.value for s in DrawStatus} - {"not_requested"} == {"queued", "running", "failed", "done"}
    assert {"entered", "approved"} <= {s.value for s in ResultState}  # stored values kept; draft, returned added
    assert [s.value for s in MessageState] == ["pending", "delivered", "rejected"]
    assert [s.value for s in RunState] == ["running", "ok", "failed", "interrupted"]


def test_a_draw_is_one_time_and_void_is_final():
    assert not TASK_LIFECYCLE.allows(TaskState.DRAWN, TaskState.DRAWN)
    assert not DRAW_LIFECYCLE.allows(DrawStatus.DONE, DrawStatus.QUEUED)
    assert TASK_LIFECYCLE.allowed[TaskState.VOID] == frozenset()
    assert draw_status_of(None) is DrawStatus.NOT_REQUESTED


def test_unknown_states_are_never_allowed():
    assert not TASK_LIFECYCLE.allows("archived", TaskState.VOID)
    assert not MESSAGE_LIFECYCLE.allows(MessageState.PENDING, "lost")
