"""Which document: its kind, its task, and what it is about (pure).

A document's ``key`` is what its number is stored under, so printing the same document again
gives the same number; its ``subject`` is how a URL or a command line names it within its task.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.errors import InvalidInput

KINDS = ("notice", "dispatch", "record", "result", "transfer")

TITLES = {
    "notice": "检查通知书",
    "dispatch": "检查人员派遣单",
    "record": "检查记录表",
    "result": "检查结果单",
    "transfer": "案件线索移送书",
}


@dataclass(frozen=True)
class DocumentRef:
    """One printable document. ``agency`` is the issuing agency, whose number series it takes."""

    kind: str
    task_id: str
    agency: str
    entity_id: str | None = None  # notice, record, result, transfer
    team: tuple[str, ...] = ()  # dispatch: the team's inspector ids, sorted
    follow_up_id: int | None = None  # transfer

    @property
    def subject(self) -> str:
        """The document's name within its task: entity, entity/agency, team members or follow-up id."""
        if self.kind == "notice":
            return str(self.entity_id)
        if self.kind == "dispatch":
            return "+".join(self.team)
        if self.kind == "transfer":
            return str(self.follow_up_id)
        return f"{self.entity_id}/{self.agency}"

    @property
    def key(self) -> str:
        return f"{self.kind}/{self.task_id}/{self.subject}"

    @property
    def title(self) -> str:
        return TITLES[self.kind]


def check_kind(kind: str, where: str = "kind") -> str:
    if kind not in KINDS:
        raise InvalidInput(f"{kind!r} is not one of {', '.join(KINDS)}", where=where)
    return kind
