"""What goes on each paper: plain dicts for the templates, built from a task's facts.

The fields follow ../shared/spec/documents.md ("Documents"): one builder per kind.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from hub.agencies import authority_name
from hub.documents.facts import TaskFacts
from hub.documents.refs import DocumentRef
from hub.results.models import Result
from vocabulary.outcomes import text as outcome_text

View = dict[str, Any]

FOLLOW_UP_WORDS = {"correction": "责令整改", "case": "立案查处", "transfer": "线索移送"}

# What an entity is asked to have ready for a joint inspection (一次检查、全面体检).
READY = (
    "营业执照、许可证等证照的原件及复印件；",
    "与下列抽查事项有关的管理制度、台账、记录和票据；",
    "法定代表人（负责人）或其书面授权的人员在场配合检查；",
    "检查人员依法要求提供的其他资料。",
)

ASK = "请你单位依法核查处理，并将处理结果书面反馈我单位。"


def chinese_date(d: date) -> str:
    """2026年12月3日: how a date is written in prose on an official paper."""
    return f"{d.year}年{d.month}月{d.day}日"


def _entity(facts: TaskFacts, entity_id: str) -> View:
    e = facts.entities.get(entity_id)
    if e is None:  # no longer in the master: print what the draw recorded
        return {"id": entity_id, "name": entity_id, "uscc": "", "address": "", "legal_rep": ""}
    return {
        "id": entity_id,
        "name": e.name,
        "uscc": e.uscc or entity_id,
        "address": e.address or "",
        "legal_rep": e.legal_rep or "",
    }


def _person(facts: TaskFacts, inspector_id: str, agency: str = "") -> View:
    i = facts.inspectors.get(inspector_id)
    agency = agency or (i.agency if i else "")
    return {
        "id": inspector_id,
        "name": i.name if i else inspector_id,
        "agency": authority_name(agency),
        "cert_no": (i.cert_no if i else None) or "",
        "cert_valid_until": i.cert_valid_until.isoformat() if i and i.cert_valid_until else "",
    }


def _items(facts: TaskFacts, agency: str, codes: list[str] | None = None) -> list[View]:
    rows = []
    for code in codes if codes is not None else facts.item_codes(agency):
        item = facts.items.get(code)
        rows.append(
            {
                "code": code,
                "agency": authority_name(agency),
                "name": item.name if item else code,
                "content": item.content if item else "",
                "method": item.method if item else "",
                "legal_basis": item.legal_basis if item else "",
            }
        )
    return rows


def _task(facts: TaskFacts) -> View:
    t = facts.task
    return {
        "id": t.id,
        "title": t.title,
        "lead": authority_name(t.lead),
        "cooperating": [authority_name(a) for a in t.agencies if a != t.lead],
        "window": f"{chinese_date(t.window_start)}至{chinese_date(t.window_end)}",
        "contact": _contact(t.spec.get("contact")),
    }


def _contact(value: Any) -> View:
    """A task file's optional [contact] (name, phone); blank lines to fill in by hand otherwise."""
    value = value if isinstance(value, dict) else {}
    return {"name": str(value.get("name") or ""), "phone": str(value.get("phone") or "")}


def _outcomes(result: Result) -> list[View]:
    return [{"code": c, "text": outcome_text(c)} for c in result.outcome_codes]


def notice(facts: TaskFacts, ref: DocumentRef, numbers: Mapping[str, str]) -> View:
    entity_id = str(ref.entity_id)
    return {
        "entity": _entity(facts, entity_id),
        "items": [row for agency in facts.agencies_of(entity_id) for row in _items(facts, agency)],
        "team": [_person(facts, i, a) for i, a in facts.members.get(entity_id, [])],
        "ready": READY,
    }


def dispatch(facts: TaskFacts, ref: DocumentRef, numbers: Mapping[str, str]) -> View:
    visits = dict(facts.teams())[ref.team]
    first = visits[0].entity_id
    agency_of = dict(facts.members.get(first, []))
    return {
        "team": [_person(facts, i, agency_of.get(i, "")) for i in ref.team],
        "entities": [{"position": a.position + 1, **_entity(facts, a.entity_id)} for a in visits],
    }


def _verdict(result: Result | None) -> str:
    """A whole-inspection outcome marks every item: 1 no problem found, 7 no such activity."""
    if result is None:
        return ""
    if list(result.outcome_codes) == ["1"]:
        return "符合"
    if list(result.outcome_codes) == ["7"]:
        return "不适用"
    return ""


def record(facts: TaskFacts, ref: DocumentRef, numbers: Mapping[str, str]) -> View:
    entity_id, agency = str(ref.entity_id), ref.agency
    result = facts.results.get((entity_id, agency))
    codes = list(result.items) if result is not None and result.items else None
    members = sorted(facts.members.get(entity_id, []), key=lambda m: m[1] != agency)  # this agency's first
    team = [_person(facts, i, a) for i, a in members]
    signers = team + [{"name": "", "agency": "", "cert_no": ""}] * max(0, 2 - len(team))  # at least two inspectors sign
    view: View = {
        "entity": _entity(facts, entity_id),
        "agency": authority_name(agency),
        "items": _items(facts, agency, codes),
        "verdict": _verdict(result),
        "signers": signers,
        "result": None,
    }
    if result is not None:
        view["result"] = {
            "inspected_on": chinese_date(result.inspected_on),
            "outcomes": _outcomes(result),
            "findings": result.findings,
            "inspectors": [_person(facts, i) for i in result.inspectors],
        }
    return view


def result(facts: TaskFacts, ref: DocumentRef, numbers: Mapping[str, str]) -> View:
    entity_id, agency = str(ref.entity_id), ref.agency
    r = facts.results[(entity_id, agency)]
    follow_ups = [
        {
            "kind": FOLLOW_UP_WORDS.get(f.kind, f.kind),
            "content": f.content,
            "due_on": chinese_date(f.due_on) if f.due_on else "",
            "to_agency": authority_name(f.to_agency) if f.to_agency else "",
        }
        for f in facts.follow_ups.get(r.id, [])
    ]
    state = (
        f"已审核（{chinese_date(r.approved_at.date())}）"
        if r.state == "approved" and r.approved_at
        else "已审核"
        if r.state == "approved"
        else "待审核"
    )
    return {
        "entity": _entity(facts, entity_id),
        "agency": authority_name(agency),
        "items": _items(facts, agency, list(r.items) or None),
        "inspected_on": chinese_date(r.inspected_on),
        "outcomes": _outcomes(r),
        "findings": r.findings,
        "follow_ups": follow_ups,
        "inspectors": [_person(facts, i) for i in r.inspectors],
        "state": state,
    }


def transfer(facts: TaskFacts, ref: DocumentRef, numbers: Mapping[str, str]) -> View:
    f, r = next((f, r) for f, r in facts.transfers() if f.id == ref.follow_up_id)
    entity_id = r.entity_id
    record_key = DocumentRef("record", ref.task_id, r.agency, entity_id=entity_id).key
    result_key = DocumentRef("result", ref.task_id, r.agency, entity_id=entity_id).key
    items = _items(facts, r.agency, list(r.items) or None)
    return {
        "to": authority_name(f.to_agency or ""),
        "entity": _entity(facts, entity_id),
        "inspected_on": chinese_date(r.inspected_on),
        "findings": r.findings,
        "content": f.content,
        "outcomes": _outcomes(r),
        "legal_basis": [i["legal_basis"] for i in items if i["legal_basis"]],
        "items": items,
        "evidence": [
            f"检查记录表 {numbers.get(record_key, '')}".strip(),
            f"检查结果单 {numbers.get(result_key, '')}".strip(),
            "现场检查照片、询问笔录等材料（如有）",
        ],
        "ask": ASK,
    }


BUILDERS: dict[str, Callable[[TaskFacts, DocumentRef, Mapping[str, str]], View]] = {
    "notice": notice,
    "dispatch": dispatch,
    "record": record,
    "result": result,
    "transfer": transfer,
}


def view_of(
    facts: TaskFacts, ref: DocumentRef, number: str, numbers: Mapping[str, str], verify_url: str, today: date
) -> View:
    """Everything one template needs: the common head (number, issuer, task, QR target) and the body."""
    return {
        "kind": ref.kind,
        "title": ref.title,
        "number": number,
        "issuer": authority_name(ref.agency),
        "task": _task(facts),
        "verify_url": verify_url,
        "date": chinese_date(today),
        **BUILDERS[ref.kind](facts, ref, numbers),
    }
