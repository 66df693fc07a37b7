"""Everything the documents of one drawn task are made from, read in one unit of work."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select

from hub.db import Database
from hub.documents.refs import KINDS, DocumentRef
from hub.draw.models import Assignment, AssignmentInspector
from hub.errors import Conflict, NotFound
from hub.items.models import Item
from hub.results.models import FollowUp, Result
from hub.rosters.models import Entity, Inspector
from hub.tasks.models import JointTask


@dataclass
class TaskFacts:
    """A drawn task with its assignments, people, items, results and follow-ups."""

    task: JointTask
    assignments: list[Assignment]
    members: dict[str, list[tuple[str, str]]]  # entity_id -> [(inspector_id, agency)] of its team
    entities: dict[str, Entity]
    inspectors: dict[str, Inspector]
    items: dict[str, Item]
    results: dict[tuple[str, str], Result]  # (entity_id, agency) -> result
    follow_ups: dict[int, list[FollowUp]] = field(default_factory=dict)  # Result.id -> its follow-ups

    def agencies_of(self, entity_id: str) -> list[str]:
        """The agencies on the entity's team, in the task's order (each inspects and keeps a record)."""
        on_team = {agency for _, agency in self.members.get(entity_id, [])}
        return [a for a in self.task.agencies if a in on_team] or list(self.task.agencies)

    def item_codes(self, agency: str) -> list[str]:
        """The items the task names for an agency, from its team entries (the task's item list)."""
        codes: list[str] = []
        for entry in self.task.spec.get("team", []):
            if entry.get("agency") == agency:
                codes += [c for c in entry.get("items", []) if c not in codes]
        return codes

    def teams(self) -> list[tuple[tuple[str, ...], list[Assignment]]]:
        """Each distinct team (its members, sorted) with the entities it visits, in draw order."""
        grouped: dict[tuple[str, ...], list[Assignment]] = {}
        for a in self.assignments:
            grouped.setdefault(tuple(sorted(a.team)), []).append(a)
        return list(grouped.items())

    def transfers(self) -> list[tuple[FollowUp, Result]]:
        by_id = {r.id: r for r in self.results.values()}
        return [(f, by_id[rid]) for rid, fs in self.follow_ups.items() for f in fs if f.kind == "transfer"]

    def refs(self, kinds: tuple[str, ...] = KINDS) -> list[DocumentRef]:
        """Every document the task has now, kind by kind, each in draw order."""
        tid, lead = self.task.id, self.task.lead
        out: list[DocumentRef] = []
        if "notice" in kinds:
            out += [DocumentRef("notice", tid, lead, entity_id=a.entity_id) for a in self.assignments]
        if "dispatch" in kinds:
            out += [DocumentRef("dispatch", tid, lead, team=team) for team, _ in self.teams()]
        if "record" in kinds:
            out += [
                DocumentRef("record", tid, agency, entity_id=a.entity_id)
                for a in self.assignments
                for agency in self.agencies_of(a.entity_id)
            ]
        if "result" in kinds:
            out += [
                DocumentRef("result", tid, agency, entity_id=a.entity_id)
                for a in self.assignments
                for agency in self.agencies_of(a.entity_id)
                if (a.entity_id, agency) in self.results
            ]
        if "transfer" in kinds:
            order = {a.entity_id: a.position for a in self.assignments}
            for f, r in sorted(self.transfers(), key=lambda fr: (order.get(fr[1].entity_id, 0), fr[0].id)):
                out.append(DocumentRef("transfer", tid, r.agency, entity_id=r.entity_id, follow_up_id=f.id))
        return out


def load_facts(db: Database, task_id: str) -> TaskFacts:
    """The task's facts; documents exist only for a drawn task."""
    with db.unit_of_work() as s:
        task = s.get(JointTask, task_id)
        if task is None:
            raise NotFound(f"no joint task {task_id!r}", where="task")
        if task.state != "drawn":
            raise Conflict(
                f"task {task_id} is {task.state}: documents are printed after the draw", where=f"task {task_id}"
            )
        assignments = list(
            s.scalars(select(Assignment).where(Assignment.task_id == task_id).order_by(Assignment.position))
        )
        members: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for link in s.scalars(
            select(AssignmentInspector).where(AssignmentInspector.task_id == task_id).order_by(AssignmentInspector.id)
        ):
            members[link.entity_id].append((link.inspector_id, link.agency))
        entity_ids = [a.entity_id for a in assignments]
        entities = {e.entity_id: e for e in s.scalars(select(Entity).where(Entity.entity_id.in_(entity_ids)))}
        revisions = list(s.scalars(select(Result).where(Result.task_id == task_id).order_by(Result.revision)))
        results = {(r.entity_id, r.agency): r for r in revisions}  # the newest revision (an amendment) wins
        newest = {r.id: results[(r.entity_id, r.agency)].id for r in revisions}
        people = {i for a in assignments for i in a.team} | {i for r in results.values() for i in r.inspectors}
        inspectors = {i.inspector_id: i for i in s.scalars(select(Inspector).where(Inspector.inspector_id.in_(people)))}
        follow_ups: dict[int, list[FollowUp]] = defaultdict(list)
        if results:  # an amendment keeps the follow-ups of the revisions before it
            for f in s.scalars(select(FollowUp).where(FollowUp.result_id.in_(list(newest))).order_by(FollowUp.id)):
                follow_ups[newest[f.result_id]].append(f)
        codes = {c for entry in task.spec.get("team", []) for c in entry.get("items", [])}
        codes |= {c for r in results.values() for c in r.items}
        items = {i.code: i for i in s.scalars(select(Item).where(Item.code.in_(codes)))} if codes else {}
        return TaskFacts(task, assignments, dict(members), entities, inspectors, items, results, dict(follow_ups))
