"""Entry, review and amendment (issue 16): drafts stay out of the queue, a return needs its reason and
goes back to the enterer, a reviewer of one agency reviews only it, what is approved is frozen, and a
change after publication is an amendment that both sink sandboxes record as one (not a duplicate)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select, update

from connectors.sandboxes.sinks import start_sinks
from hub.audit.models import AuditEntry
from hub.auth.principal import Principal
from hub.errors import Conflict, Forbidden, InvalidInput
from hub.outbox.delivery import drain
from hub.outbox.models import OutboxMessage
from hub.results.models import Result
from hub.results.services import add_follow_up, approve, enter_result, return_result
from hub.results.worklists import QueueFilter, my_assignments, open_follow_ups, review_queue
from hub.rosters.models import Entity
from tests.integration.outbox_factory import SECRET, sink_settings, uscc
from tests.web import scenario as sc

TODAY = date(2026, 12, 20)
REVIEWER = Principal("shenhe", frozenset({"reviewer"}))
HEALTH_REVIEWER = Principal("shenhe-wjw", frozenset({"reviewer"}), agency="HEALTH")


@pytest.fixture
def sandboxes() -> Iterator[dict[str, Any]]:
    servers = start_sinks("hub-370100", SECRET)
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture
def drawn(make_settings, db, sandboxes):  # type: ignore[no-untyped-def]
    settings = sink_settings(make_settings, sandboxes)
    scenario = sc.drawn_task(db, settings, "JT-2026-0160")
    with db.unit_of_work() as s:  # the credit system takes entities with a credit code only
        for n, e in enumerate(scenario.drawn_entities()):
            s.execute(update(Entity).where(Entity.entity_id == e).values(uscc=uscc(n + 1)))
    return scenario


def _inspector(drawn: sc.Scenario, entity_id: str, agency: str = "HEALTH") -> Principal:
    member = next(i for i in drawn.team_of(entity_id) if i.startswith(agency))
    return Principal(f"insp-{member}", frozenset({"inspector"}), agency=agency, inspector_id=member)


def _entry(drawn: sc.Scenario, entity_id: str, codes: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "entity_id": entity_id,
        "agency": "HEALTH",
        "inspected_on": "2026-12-10",
        "outcome_codes": codes,
        "inspectors": drawn.team_of(entity_id),
        "findings": "教学环境照度不足",
        **extra,
    }


def _queue(drawn: sc.Scenario, who: Principal = REVIEWER, state: str = "entered") -> list[str]:
    return [row["r"].result_id for row in review_queue(drawn.db, who, QueueFilter(state=state)).rows]


def test_draft_return_correct_approve_then_amend_reaches_both_sinks_as_an_amendment(drawn, sandboxes):
    e = drawn.drawn_entities()[0]
    me = _inspector(drawn, e)
    correction = {"kind": "correction", "due_on": "2026-12-31", "content": "限期整改照明"}
    draft = enter_result(
        drawn.db, drawn.task_id, _entry(drawn, e, ["8"], draft=True, follow_ups=[correction]), me, TODAY
    )
    assert draft.state == "draft" and _queue(drawn) == []

    submitted = enter_result(drawn.db, drawn.task_id, _entry(drawn, e, ["8"], follow_ups=[correction]), me, TODAY)
    assert submitted.result_id == draft.result_id and _queue(drawn) == [draft.result_id]

    with pytest.raises(InvalidInput, match="reason"):
        return_result(drawn.db, draft.result_id, "  ", REVIEWER)
    returned = return_result(drawn.db, draft.result_id, "整改期限应写明具体日期", REVIEWER)
    assert returned.state == "returned" and _queue(drawn) == []
    mine = {a.result_id: a for a in my_assignments(drawn.db, me).rows}
    assert mine[draft.result_id].state == "returned"
    assert mine[draft.result_id].returned_reason == "整改期限应写明具体日期"
    with drawn.db.unit_of_work() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "result.return")).one()
        assert entry.actor == "shenhe" and "整改期限" in str(entry.details)

    again = enter_result(drawn.db, drawn.task_id, _entry(drawn, e, ["8"], follow_ups=[correction]), me, TODAY)
    assert again.state == "entered"
    assert approve(drawn.db, drawn.settings, None, REVIEWER, [draft.result_id], TODAY) == [draft.result_id]
    with pytest.raises(Conflict, match="amendment"):
        enter_result(drawn.db, drawn.task_id, _entry(drawn, e, ["5"]), me, TODAY)  # frozen
    drain(drawn.db, drawn.settings, respect_backoff=False)
    assert sandboxes["provincial"].accepted_counts == {draft.result_id: 1}

    # the re-inspection found it corrected: the published 8 becomes 5, as an amendment (更正)
    add_follow_up(
        drawn.db, draft.result_id, {"kind": "reinspection", "reinspected_on": "2026-12-18", "outcome": "5"}, me, TODAY
    )
    amendment = enter_result(drawn.db, drawn.task_id, _entry(drawn, e, ["5"], amends=draft.result_id), me, TODAY)
    assert amendment.result_id != draft.result_id and amendment.revision == 2
    approve(drawn.db, drawn.settings, drawn.task_id, REVIEWER, [amendment.result_id], TODAY)
    drain(drawn.db, drawn.settings, respect_backoff=False)

    for sink in ("provincial", "credit"):
        box = sandboxes[sink]
        assert box.amendments == {amendment.result_id: draft.result_id}, sink
        assert box.accepted_counts == {draft.result_id: 1, amendment.result_id: 1}, sink
        assert box.duplicate_counts == {}, sink
    assert sandboxes["provincial"].results[amendment.result_id]["outcomes"][0]["code"] == "5"
    with drawn.db.unit_of_work() as s:
        old = s.scalar(select(Result).where(Result.result_id == draft.result_id))
        assert old is not None and old.superseded and old.state == "approved" and old.outcome_codes == ["8"]
        keys = {m.key for m in s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "result"))}
        assert keys == {draft.result_id, amendment.result_id}


def test_an_amendment_must_name_the_published_result(drawn):
    e = drawn.drawn_entities()[0]
    rid = sc.enter(drawn, e, "HEALTH", "")
    with pytest.raises(Conflict, match="not the published result"):
        enter_result(drawn.db, drawn.task_id, _entry(drawn, e, ["1"], amends="0" * 32), "t", TODAY)
    approve(drawn.db, drawn.settings, drawn.task_id, REVIEWER, [rid], TODAY)
    with pytest.raises(Conflict, match=f"amends the published result {rid}"):
        enter_result(drawn.db, drawn.task_id, _entry(drawn, e, ["1"], amends="0" * 32), "t", TODAY)


def test_a_reviewer_of_one_agency_reviews_only_its_results(drawn):
    e = drawn.drawn_entities()[0]
    health = sc.enter(drawn, e, "HEALTH", "")
    samr = sc.enter(drawn, e, "SAMR", "")
    assert _queue(drawn, HEALTH_REVIEWER) == [health]
    assert set(_queue(drawn)) == {health, samr}
    with pytest.raises(Forbidden, match="HEALTH cannot review results of SAMR"):
        approve(drawn.db, drawn.settings, None, HEALTH_REVIEWER, [samr], TODAY)
    with pytest.raises(Forbidden):
        return_result(drawn.db, samr, "请核实", HEALTH_REVIEWER)
    with pytest.raises(Forbidden):
        review_queue(drawn.db, HEALTH_REVIEWER, QueueFilter(agency="SAMR"))
    assert approve(drawn.db, drawn.settings, drawn.task_id, HEALTH_REVIEWER, None, TODAY) == [health]  # "all": its own
    with pytest.raises(Forbidden, match="not a reviewer"):
        return_result(drawn.db, samr, "请核实", Principal("x", frozenset({"liaison"}), agency="SAMR"))


def test_an_inspector_enters_only_their_own_assignments(drawn):
    e1, e2 = drawn.drawn_entities()[:2]
    me = _inspector(drawn, e1)
    assert {(a.entity_id, a.agency) for a in my_assignments(drawn.db, me).rows} == {(e1, "HEALTH")}
    if me.inspector_id not in drawn.team_of(e2):
        with pytest.raises(Forbidden):
            enter_result(drawn.db, drawn.task_id, _entry(drawn, e2, ["1"]), me, TODAY)
    other_side = {**_entry(drawn, e1, ["1"]), "agency": "SAMR"}
    with pytest.raises(Forbidden):
        enter_result(drawn.db, drawn.task_id, other_side, me, TODAY)


def test_follow_ups_run_to_their_end_with_clocks_and_an_overdue_list(drawn):
    e1, e2, e3 = drawn.drawn_entities()[:3]
    coordinator = Principal("coord", frozenset({"coordinator"}))
    r1 = enter_result(
        drawn.db,
        drawn.task_id,
        _entry(drawn, e1, ["8"], follow_ups=[{"kind": "correction", "due_on": "2026-12-15"}]),
        coordinator,
        TODAY,
    )
    r2 = enter_result(
        drawn.db,
        drawn.task_id,
        _entry(drawn, e2, ["8"], follow_ups=[{"kind": "case", "penalty_no": "济卫立〔2026〕3号"}]),
        coordinator,
        TODAY,
    )
    r3 = enter_result(
        drawn.db,
        drawn.task_id,
        _entry(drawn, e3, ["8"], follow_ups=[{"kind": "transfer", "to_agency": "SAMR"}]),
        coordinator,
        TODAY,
    )
    overdue = open_follow_ups(drawn.db, coordinator, TODAY, overdue_only=True).rows
    assert [(row["f"].kind, row["r"].result_id) for row in overdue] == [("correction", r1.result_id)]
    everything = {row["f"].kind: row for row in open_follow_ups(drawn.db, coordinator, TODAY).rows}
    assert everything["transfer"]["due_on"] == date(2026, 12, 29)  # 7 working days after 2026-12-20
    assert everything["case"]["due_on"] is None  # no decision yet: no publication clock

    with pytest.raises(InvalidInput, match="number|content"):
        add_follow_up(drawn.db, r2.result_id, {"kind": "decision", "decided_on": "2026-12-18"}, coordinator, TODAY)
    case = add_follow_up(
        drawn.db,
        r2.result_id,
        {"kind": "decision", "decided_on": "2026-12-18", "decision": "警告，罚款2000元"},
        coordinator,
        TODAY,
    )
    assert case.closed and case.penalty_due_on == date(2026, 12, 29)
    add_follow_up(drawn.db, r3.result_id, {"kind": "received", "received_on": "2026-12-20"}, coordinator, TODAY)
    add_follow_up(
        drawn.db,
        r1.result_id,
        {"kind": "reinspection", "reinspected_on": "2026-12-19", "outcome": "5"},
        coordinator,
        TODAY,
    )
    assert open_follow_ups(drawn.db, coordinator, TODAY).total == 0
    with pytest.raises(Conflict, match="open"):
        add_follow_up(
            drawn.db, r1.result_id, {"kind": "reinspection", "reinspected_on": "2026-12-19"}, coordinator, TODAY
        )


def test_a_transfer_goes_to_another_agency(drawn):
    e = drawn.drawn_entities()[0]
    with pytest.raises(InvalidInput, match="another agency"):
        enter_result(
            drawn.db,
            drawn.task_id,
            _entry(drawn, e, ["8"], follow_ups=[{"kind": "transfer", "to_agency": "HEALTH"}]),
            "t",
            TODAY,
        )
