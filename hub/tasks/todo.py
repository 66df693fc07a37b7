"""What each party of a joint task still has to do, read from its state (pure): the task page shows it
so a liaison sees "commit" or "reveal" waiting, and the coordinator sees freeze, entropy and draw."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from hub.display import N_

HUB = "hub"
COORDINATOR = "coordinator"


@dataclass(frozen=True)
class PartyState:
    party: str
    committed: bool
    revealed: bool


@dataclass(frozen=True)
class Step:
    who: str  # a party id, or "coordinator"
    action: str  # commit | reveal | freeze | entropy | draw | wait | print | none
    done: bool
    note: str = ""


def next_steps(
    state: str,
    draw_status: str | None,
    parties: Iterable[PartyState],
    entropy_source: str | None,
    entropy_entered: bool,
) -> list[Step]:
    """Every party's step at this point of the lifecycle, done or not, then the coordinator's."""
    parties = list(parties)
    steps: list[Step] = []
    if state == "void":
        return steps
    before_freeze = state in ("draft", "committing")
    for p in parties:
        if p.party == HUB:
            if state not in ("draft", "committing", "frozen"):
                continue
            steps.append(
                Step(
                    HUB,
                    "commit" if before_freeze else "reveal",
                    p.committed if before_freeze else True,
                    N_("平台在创建任务时已自行承诺，在请求抽取时自行揭示"),
                )
            )
            continue
        if before_freeze:
            steps.append(Step(p.party, "commit", p.committed))
        elif state == "frozen":
            steps.append(Step(p.party, "reveal", p.revealed))
    all_committed = all(p.committed for p in parties)
    all_revealed = all(p.revealed or p.party == HUB for p in parties)
    if before_freeze:
        steps.append(Step(COORDINATOR, "freeze", False, "" if all_committed else N_("待各方承诺后")))
    elif state == "frozen":
        if entropy_source:
            steps.append(Step(COORDINATOR, "entropy", entropy_entered, entropy_source))
        if draw_status in ("queued", "running"):
            steps.append(Step(COORDINATOR, "wait", False))
        else:
            steps.append(Step(COORDINATOR, "draw", False, "" if all_revealed else N_("待各方揭示后")))
    elif state == "drawn":
        steps.append(Step(COORDINATOR, "print", False))
    return steps
