"""Who may print which document of a task, and printing them: every entry point (web, CLI) calls
``print_documents`` or ``print_document``, so the rule below is checked for each of them.

The rule: a coordinator (or admin) prints everything of a task; a liaison their agency's papers
(notices and dispatch sheets of teams with a member of their agency, their agency's record and
result sheets and transfer letters); an inspector their own assignments (notices and dispatch
sheets of their teams, the record and result sheets of their agency for the entities they visit).
Transfer letters are the liaison's (documents.md: 移送 — liaison). Nobody else prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from hub.auth.principal import Principal
from hub.db import Database
from hub.documents import content, render
from hub.documents.allocation import number_for, stored_numbers, today_in_china
from hub.documents.facts import TaskFacts, load_facts
from hub.documents.refs import KINDS, DocumentRef, check_kind
from hub.errors import Forbidden, NotFound
from hub.tasks.models import JointTask


@dataclass(frozen=True)
class Printed:
    """A PDF and the documents in it, with their numbers, in page order."""

    pdf: bytes
    documents: tuple[tuple[DocumentRef, str], ...]


def _members(ref: DocumentRef, facts: TaskFacts) -> list[tuple[str, str]]:
    """(inspector_id, agency) of the people the document is about."""
    if ref.kind == "dispatch":
        known = {i: a for ms in facts.members.values() for i, a in ms}
        return [(i, known.get(i, "")) for i in ref.team]
    return facts.members.get(str(ref.entity_id), [])


def concerns_agency(ref: DocumentRef, facts: TaskFacts, agency: str) -> bool:
    """A notice or dispatch sheet concerns the agencies on its team; the others their issuing agency."""
    if ref.kind in ("notice", "dispatch"):
        return any(a == agency for _, a in _members(ref, facts))
    return ref.agency == agency


def concerns_inspector(ref: DocumentRef, facts: TaskFacts, inspector_id: str) -> bool:
    """A notice or dispatch sheet concerns its team; the others the team's members of their agency."""
    if ref.kind in ("notice", "dispatch"):
        return any(i == inspector_id for i, _ in _members(ref, facts))
    return (inspector_id, ref.agency) in _members(ref, facts)


def may_print(principal: Principal, ref: DocumentRef, facts: TaskFacts) -> bool:
    """The rule of the module docstring, for one document."""
    if principal.has("coordinator"):
        return True
    if "liaison" in principal.roles and principal.agency and concerns_agency(ref, facts, principal.agency):
        return True
    return (
        "inspector" in principal.roles
        and bool(principal.inspector_id)
        and ref.kind != "transfer"
        and concerns_inspector(ref, facts, str(principal.inspector_id))
    )


def _check_filters(principal: Principal, facts: TaskFacts, agency: str | None, inspector: str | None) -> None:
    """A batch for another agency or another person is refused outright, not silently emptied."""
    if principal.has("coordinator"):
        return
    if agency is not None and not ("liaison" in principal.roles and principal.agency == agency):
        raise Forbidden(f"you may print the documents of your own agency only, not {agency}", where="agency")
    if inspector is not None:
        own = "inspector" in principal.roles and principal.inspector_id == inspector
        agency_of = {i: a for ms in facts.members.values() for i, a in ms}.get(inspector)
        colleague = "liaison" in principal.roles and principal.agency is not None and agency_of == principal.agency
        if not (own or colleague):
            raise Forbidden(f"you may not print the documents of inspector {inspector}", where="inspector")


def select_documents(
    facts: TaskFacts,
    principal: Principal,
    kind: str | None = None,
    agency: str | None = None,
    inspector: str | None = None,
) -> list[DocumentRef]:
    """The task's documents of ``kind`` for ``agency`` / ``inspector`` that ``principal`` may print."""
    kinds = (check_kind(kind),) if kind else KINDS
    _check_filters(principal, facts, agency, inspector)
    refs = facts.refs(kinds)
    if agency is not None:
        refs = [r for r in refs if concerns_agency(r, facts, agency)]
    if inspector is not None:
        refs = [r for r in refs if concerns_inspector(r, facts, inspector)]
    if not refs:
        what = " ".join(
            filter(None, [kind, f"agency {agency}" if agency else "", f"inspector {inspector}" if inspector else ""])
        )
        raise NotFound(
            f"task {facts.task.id} has no documents{' (' + what + ')' if what else ''} to print", where="documents"
        )
    allowed = [r for r in refs if may_print(principal, r, facts)]
    if not allowed:
        raise Forbidden(f"none of these documents of task {facts.task.id} is yours to print", where="documents")
    return allowed


def find_document(facts: TaskFacts, principal: Principal, kind: str, subject: str) -> DocumentRef:
    """One document by kind and subject (DocumentRef.subject); 404 when absent, 403 when not theirs."""
    ref = next((r for r in facts.refs((check_kind(kind),)) if r.subject == subject), None)
    if ref is None:
        raise NotFound(f"task {facts.task.id} has no {kind} {subject!r}", where="document")
    if not may_print(principal, ref, facts):
        raise Forbidden(f"the {ref.title} {subject} is not yours to print", where="document")
    return ref


def listing(db: Database, task_id: str, principal: Principal) -> tuple[JointTask, list[tuple[DocumentRef, str | None]]]:
    """The task, and the documents ``principal`` may print with the number each already has (None: not
    printed yet)."""
    facts = load_facts(db, task_id)
    refs = [r for r in facts.refs() if may_print(principal, r, facts)]
    with db.unit_of_work() as s:
        numbers = stored_numbers(s, refs)
    return facts.task, [(r, numbers.get(r.key)) for r in refs]


def _print(
    db: Database, facts: TaskFacts, refs: list[DocumentRef], actor: str, base_url: str, today: date | None
) -> Printed:
    today = today or today_in_china()
    numbered = [(r, number_for(db, r, actor, today)) for r in refs]
    with db.unit_of_work() as s:  # transfer letters name the numbers of their record and result sheets
        known = stored_numbers(
            s,
            [
                DocumentRef(k, r.task_id, r.agency, entity_id=r.entity_id)
                for r in refs
                if r.kind == "transfer"
                for k in ("record", "result")
            ],
        )
    verify_url = f"{base_url.rstrip('/')}/public/tasks/{facts.task.id}"
    pages = [render.html_of(content.view_of(facts, r, n, known, verify_url, today)) for r, n in numbered]
    title = numbered[0][0].title if len(numbered) == 1 else f"{facts.task.title} 文书（{len(numbered)}份）"
    return Printed(render.pdf_of(pages, title), tuple(numbered))


def print_documents(
    db: Database,
    task_id: str,
    principal: Principal,
    *,
    base_url: str,
    kind: str | None = None,
    agency: str | None = None,
    inspector: str | None = None,
    today: date | None = None,
) -> Printed:
    """A batch as one PDF: per task, per agency or per inspector, optionally of one kind."""
    facts = load_facts(db, task_id)
    refs = select_documents(facts, principal, kind, agency, inspector)
    return _print(db, facts, refs, principal.name, base_url, today)


def print_document(
    db: Database,
    task_id: str,
    principal: Principal,
    kind: str,
    subject: str,
    *,
    base_url: str,
    today: date | None = None,
) -> Printed:
    """One document as a PDF."""
    facts = load_facts(db, task_id)
    ref = find_document(facts, principal, kind, subject)
    return _print(db, facts, [ref], principal.name, base_url, today)
