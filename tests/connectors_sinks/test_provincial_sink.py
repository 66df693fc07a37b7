"""provincial-rest sink against the provincial sandbox over loopback (real HTTP, no mocks)."""

from __future__ import annotations

import json

import pytest

from connectors.base import FatalError, MalformedResponse, TransientError
from connectors.http import SignedSession
from connectors.sinks_registry import make_sink

from .factories import (
    LETTER_CODES,
    by_key,
    draw_message,
    result_message,
    settings_for,
    task_message,
)

TASK = "JT-2026-0007"


def test_task_put_is_idempotent(provincial, provincial_sink):
    first = provincial_sink.deliver([task_message(TASK)], "b-1")
    again = provincial_sink.deliver([task_message(TASK)], "b-2")
    assert [o.status for o in first.receipts + again.receipts] == ["accepted", "accepted"]
    assert provincial.task_puts[TASK] == 2
    assert list(provincial.tasks) == [TASK]
    assert provincial.tasks[TASK]["quotas"] == {"370102|school": 3}


def test_same_draw_again_is_ok_and_a_different_draw_is_rejected_409(provincial, provincial_sink):
    first = provincial_sink.deliver([draw_message(TASK)], "d-1")
    same = provincial_sink.deliver([draw_message(TASK)], "d-2")
    other = provincial_sink.deliver([draw_message(TASK, seed="cd" * 32)], "d-3")
    assert first.receipts[0].status == same.receipts[0].status == "accepted"
    assert other.receipts[0].status == "rejected"
    assert other.receipts[0].code == "409"
    assert "cannot be replaced" in other.receipts[0].message
    assert provincial.draws[TASK]["seed"] == "ab" * 32  # the first record stands


def test_results_are_accepted_then_answered_as_duplicates(provincial, provincial_sink):
    messages = [result_message(TASK) for _ in range(3)]
    first = provincial_sink.deliver(messages, "r-1")
    again = provincial_sink.deliver(messages, "r-2")
    assert {o.status for o in first.receipts} == {"accepted"}
    assert {o.status for o in again.receipts} == {"duplicate"}
    assert [o.key for o in first.receipts] == [m.key for m in messages]
    assert provincial.accepted_counts == {m.key: 1 for m in messages}
    assert provincial.duplicate_counts == {m.key: 1 for m in messages}
    assert json.loads(first.answer)["batch_id"] == "r-1"


def test_rejected_result_carries_code_and_message(provincial, provincial_sink):
    good, bad = result_message(TASK), result_message(TASK, entity_id="ENT-UNKNOWN")
    provincial.reject_entities.add("ENT-UNKNOWN")
    outcomes = by_key(provincial_sink.deliver([good, bad], "r-1"))
    assert outcomes[good.key].status == "accepted"
    assert outcomes[bad.key].status == "rejected"
    assert outcomes[bad.key].code == "P102"
    assert "ENT-UNKNOWN" in outcomes[bad.key].message
    assert provincial.rejected_counts == {bad.key: 1}
    assert bad.key not in provincial.results


def test_sandbox_rejects_results_with_missing_fields(provincial):
    session = SignedSession(settings_for(provincial, "provincial-rest"))
    complete = {
        k: v
        for k, v in result_message(TASK).payload.items()
        if k not in ("task_id", "uscc", "entity_name", "authority")
    }
    lacking = {k: v for k, v in complete.items() if k != "inspected_on"} | {"result_id": "R-LACKING"}
    body = json.dumps({"batch_id": "raw-1", "results": [complete, lacking]}).encode()
    answer = session.request("POST", f"{provincial.url}/api/v1/joint-tasks/{TASK}/results:batch", body=body).json()
    assert answer["accepted"] == [complete["result_id"]]
    [rejected] = answer["rejected"]
    assert rejected["result_id"] == "R-LACKING"
    assert rejected["code"] == "P101"
    assert "inspected_on" in rejected["message"]


def test_invalid_result_is_rejected_locally_and_never_sent(provincial, provincial_sink):
    bad = result_message(TASK, inspectors=[])
    report = provincial_sink.deliver([bad], "r-1")
    assert report.receipts[0].status == "rejected"
    assert report.receipts[0].code == "SCHEMA"
    assert "inspectors" in report.receipts[0].message
    assert provincial.stats["requests"] == 0


def test_results_of_several_tasks_go_one_batch_per_task(provincial, provincial_sink):
    messages = [result_message("JT-A"), result_message("JT-B"), result_message("JT-A")]
    report = provincial_sink.deliver(messages, "mix")
    assert {o.status for o in report.receipts} == {"accepted"}
    assert sorted(provincial.ledger.batch_ids) == ["mix-1", "mix-2"]
    assert {r["task_id"] for r in provincial.results.values()} == {"JT-A", "JT-B"}
    assert provincial.results[messages[1].key]["task_id"] == "JT-B"


def test_more_than_500_results_are_split(provincial, provincial_sink):
    messages = [result_message(TASK) for _ in range(501)]
    report = provincial_sink.deliver(messages, "big")
    assert len(report.receipts) == 501
    assert provincial.ledger.batch_ids == ["big-1", "big-2"]


def test_error_after_store_is_transient_and_resending_gives_duplicates(provincial, provincial_sink):
    messages = [result_message(TASK) for _ in range(4)]
    provincial.set_faults({"error_after_store": 1.0})
    with pytest.raises(TransientError, match="500"):
        provincial_sink.deliver(messages, "r-1")
    assert provincial.accepted_counts == {m.key: 1 for m in messages}  # stored all the same
    provincial.set_faults({"error_after_store": 0.0})
    report = provincial_sink.deliver(messages, "r-1")
    assert {o.status for o in report.receipts} == {"duplicate"}
    assert provincial.accepted_counts == {m.key: 1 for m in messages}


def test_task_stored_before_a_500_is_simply_put_again(provincial, provincial_sink):
    provincial.set_faults({"error_after_store": 1.0})
    with pytest.raises(TransientError, match="500"):
        provincial_sink.deliver([task_message(TASK)], "t-1")
    provincial.set_faults({"error_after_store": 0.0})
    assert provincial_sink.deliver([task_message(TASK)], "t-1").receipts[0].status == "accepted"
    assert provincial.task_puts[TASK] == 2 and list(provincial.tasks) == [TASK]


def test_sink_retries_through_error_after_store_and_counts_once(provincial):
    sink = make_sink(settings_for(provincial, "provincial-rest", attempts=3))
    sink.http.sleep = lambda _s: None
    messages = [result_message(TASK) for _ in range(3)]
    provincial.set_faults({"error_after_store": 0.5, "seed": 3})
    for _ in range(6):
        try:
            report = sink.deliver(messages, "r-x")
            break
        except TransientError:
            continue
    assert {o.status for o in report.receipts} <= {"accepted", "duplicate"}
    assert provincial.accepted_counts == {m.key: 1 for m in messages}


def test_result_missing_from_the_answer_is_not_reported_delivered(provincial, provincial_sink):
    provincial.omit_from_answer = 1
    with pytest.raises(TransientError, match="does not mention 1 result"):
        provincial_sink.deliver([result_message(TASK), result_message(TASK)], "r-1")


def test_codes_mapping_is_applied_on_the_wire(provincial):
    sink = make_sink(settings_for(provincial, "provincial-rest", codes=LETTER_CODES))
    msg = result_message(
        TASK, outcomes=[{"code": "5", "text": "发现问题经责令已改正"}, {"code": "8", "text": "发现问题待后续处理"}]
    )
    assert sink.deliver([msg], "r-1").receipts[0].status == "accepted"
    assert provincial.results[msg.key]["outcomes"] == [
        {"code": "E", "text": "发现问题经责令已改正"},
        {"code": "H", "text": "发现问题待后续处理"},
    ]


def test_a_code_the_mapping_misses_is_rejected_here_and_never_sent(provincial):
    # the hub refuses such a mapping at start-up (tests/integration/test_config_check.py); a sink
    # used alone still never guesses: the hub's number is not passed through
    sink = make_sink(settings_for(provincial, "provincial-rest", codes={"5": "E"}))
    msg = result_message(TASK, outcomes=[{"code": "8", "text": "发现问题待后续处理"}])
    [receipt] = sink.deliver([msg], "r-1").receipts
    assert (receipt.status, receipt.code) == ("rejected", "SCHEMA")
    assert "no sink code for hub outcome code(s) 8" in (receipt.message or "")
    assert msg.key not in provincial.results


def test_wrong_secret_is_refused_by_the_sandbox(provincial):
    sink = make_sink(settings_for(provincial, "provincial-rest", secret="not-the-secret"))
    with pytest.raises(FatalError, match="401.*wrong signature"):
        sink.deliver([result_message(TASK)], "r-1")
    assert provincial.stats["unauthorized"] == 1
    assert provincial.results == {}


@pytest.mark.parametrize("fault", [{"error_5xx": 1.0}, {"too_many": 1.0}, {"drop": 1.0}])
def test_server_failures_are_transient(provincial, provincial_sink, fault):
    provincial.set_faults(fault)
    with pytest.raises(TransientError):
        provincial_sink.deliver([result_message(TASK)], "r-1")
    assert provincial.results == {}


def test_timeout_is_transient(provincial):
    sink = make_sink(settings_for(provincial, "provincial-rest", timeout=0.3))
    provincial.set_faults({"slow": 1.0, "slow_seconds": 1.5})
    with pytest.raises(TransientError, match="Timeout"):
        sink.deliver([task_message(TASK)], "t-1")


def test_other_4xx_is_fatal(provincial):
    settings = settings_for(provincial, "provincial-rest")
    sink = make_sink(type(settings)(**{**settings.__dict__, "url": provincial.url + "/wrong-prefix"}))
    with pytest.raises(FatalError, match="404"):
        sink.deliver([task_message(TASK)], "t-1")


def test_answer_that_is_not_json_is_malformed(provincial, provincial_sink):
    provincial.set_faults({"malformed": 1.0})
    with pytest.raises(MalformedResponse, match="not JSON"):
        provincial_sink.deliver([result_message(TASK)], "r-1")


def plan_message(plan_id: str = "AP-2026-HEALTH", **entry_over):  # type: ignore[no-untyped-def]
    from connectors.base import OutgoingMessage

    entry = {
        "entry_id": f"{plan_id}-01",
        "title": "学校卫生与食品安全联合抽查",
        "agencies": ["HEALTH", "SAMR"],
        "items": {"HEALTH": ["HEALTH-SCH-01"], "SAMR": ["SAMR-FOOD-01"]},
        "population": {"categories": ["school"]},
        "ratio": "0.05",
        "months": [11, 12],
        **entry_over,
    }
    payload = {"plan_id": plan_id, "year": 2026, "lead": "HEALTH", "title": "2026年度计划", "entries": [entry]}
    return OutgoingMessage(key=f"plan:{plan_id}", kind="plan", payload=payload)


def test_a_plan_put_is_idempotent_and_a_changed_plan_replaces_the_stored_one(provincial, provincial_sink):
    first = provincial_sink.deliver([plan_message()], "p-1")
    again = provincial_sink.deliver([plan_message(months=[10, 11])], "p-2")
    assert [r.status for r in first.receipts + again.receipts] == ["accepted", "accepted"]
    assert provincial.plan_puts["AP-2026-HEALTH"] == 2
    assert provincial.plans["AP-2026-HEALTH"]["entries"][0]["months"] == [10, 11]


def test_a_plan_that_breaks_the_schema_is_rejected_locally_and_never_sent(provincial, provincial_sink):
    [receipt] = provincial_sink.deliver([plan_message(ratio=0.05)], "p-1").receipts
    assert receipt.status == "rejected" and "ratio" in (receipt.message or "")
    assert provincial.plan_puts == {}


def test_the_sandbox_validates_a_plan_sent_around_the_sink(provincial):
    session = SignedSession(settings_for(provincial, "provincial-rest"))
    url = f"{provincial.url}/api/v1/joint-plans/AP-2026-HEALTH"
    bad = dict(plan_message(agencies=["SAMR"], items={"SAMR": ["SAMR-FOOD-01"]}).payload)
    with pytest.raises(FatalError, match="must include the lead"):
        session.request("PUT", url, body=json.dumps(bad).encode())
    wrong_ratio = dict(plan_message(ratio="1.5").payload)
    with pytest.raises(FatalError, match="ratio"):
        session.request("PUT", url, body=json.dumps(wrong_ratio).encode())
    assert provincial.plans == {}
