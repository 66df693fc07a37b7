"""credit-xml sink against the credit sandbox over loopback (real HTTP, no mocks)."""

from __future__ import annotations

import resource
import time

import pytest
from lxml import etree

from connectors.base import FatalError, MalformedResponse, TransientError
from connectors.credit_xml import NS, UPLOAD_XSD
from connectors.http import SignedSession
from connectors.sinks_registry import make_sink

from .factories import (
    LETTER_CODES,
    by_key,
    result_message,
    settings_for,
    task_message,
    uscc,
)


def _upload_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(UPLOAD_XSD)))


def test_upload_is_valid_against_the_xsd_and_accepted(credit, credit_sink):
    messages = [result_message() for _ in range(3)]
    report = credit_sink.deliver(messages, "c-1")
    assert [o.status for o in report.receipts] == ["accepted"] * 3
    [body] = credit.uploads
    upload = etree.fromstring(body)
    assert _upload_schema().validate(upload)
    assert upload.get("sender") == "370100-HEALTH"
    record = upload.find(f"{{{NS}}}Record")
    assert record.get("recordId") == messages[0].payload["result_id"]
    assert record.findtext(f"{{{NS}}}InspectionType") == "联合双随机抽查"
    assert record.findtext(f"{{{NS}}}Authority") == "济南市卫生健康委员会"
    assert credit.accepted_counts == {m.key: 1 for m in messages}
    assert '<Accepted recordId="' in report.answer


def test_bad_date_is_rejected_before_sending_and_the_sandbox_sees_nothing(credit, credit_sink):
    bad = result_message(inspected_on="2026-02-30")
    report = credit_sink.deliver([bad], "c-1")
    [outcome] = report.receipts
    assert outcome.status == "rejected"
    assert outcome.code == "SCHEMA"
    assert "InspectionDate" in outcome.message and "2026-02-30" in outcome.message
    assert credit.stats["requests"] == 0
    assert credit.uploads == []


def test_only_the_invalid_message_of_a_batch_stays_behind(credit, credit_sink):
    good, bad = result_message(), result_message(entity_name="   ")
    outcomes = by_key(credit_sink.deliver([good, bad], "c-1"))
    assert outcomes[good.key].status == "accepted"
    assert outcomes[bad.key].status == "rejected"
    assert "EntityName" in outcomes[bad.key].message
    assert list(credit.records) == [good.key]


def test_accepts_only_results_with_a_uscc(credit, credit_sink):
    with_code, without = result_message(), result_message(with_uscc=False)
    assert credit_sink.accepts(with_code)
    assert not credit_sink.accepts(without)
    assert not credit_sink.accepts(task_message())
    outcomes = by_key(credit_sink.deliver([with_code, without], "c-1"))
    assert outcomes[without.key].status == "rejected"
    assert list(credit.records) == [with_code.key]


def test_wrong_check_digit_is_rejected_e102(credit, credit_sink):
    bad = result_message(uscc=uscc(77, valid=False))
    [outcome] = credit_sink.deliver([bad], "c-1").receipts
    assert (outcome.status, outcome.code, outcome.message) == ("rejected", "E102", "统一社会信用代码校验位错误")
    assert credit.rejected_counts == {bad.key: 1}


def test_repeat_is_answered_as_duplicate(credit, credit_sink):
    messages = [result_message(), result_message()]
    credit_sink.deliver(messages, "c-1")
    report = credit_sink.deliver(messages, "c-2")
    assert {o.status for o in report.receipts} == {"duplicate"}
    assert credit.accepted_counts == {m.key: 1 for m in messages}


def test_error_after_store_is_transient_and_resending_gives_duplicates(credit, credit_sink):
    messages = [result_message() for _ in range(3)]
    credit.set_faults({"error_after_store": 1.0})
    with pytest.raises(TransientError, match="500"):
        credit_sink.deliver(messages, "c-1")
    credit.set_faults({"error_after_store": 0.0})
    report = credit_sink.deliver(messages, "c-1")
    assert {o.status for o in report.receipts} == {"duplicate"}
    assert credit.accepted_counts == {m.key: 1 for m in messages}


def test_record_missing_from_the_receipt_is_not_reported_delivered(credit, credit_sink):
    credit.omit_from_receipt = 1
    with pytest.raises(TransientError, match="does not mention 1 record"):
        credit_sink.deliver([result_message(), result_message()], "c-1")


@pytest.mark.parametrize("attack", ["xxe", "bomb"])
def test_crafted_receipt_is_refused_without_reading_files_or_expanding(credit, credit_sink, attack):
    credit.crafted_receipt = attack
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    with pytest.raises(MalformedResponse, match="DOCTYPE not allowed") as caught:
        credit_sink.deliver([result_message()], "c-1")
    assert time.monotonic() - started < 5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before < 100_000  # KiB
    with open("/etc/passwd", encoding="utf-8") as f:
        first_line = f.readline().strip()
    assert first_line not in str(caught.value)
    assert "root:" not in str(caught.value)


def test_receipt_off_its_schema_is_refused(credit, credit_sink):
    credit.crafted_receipt = "off-schema"
    with pytest.raises(MalformedResponse, match="does not match its schema"):
        credit_sink.deliver([result_message()], "c-1")


def test_codes_mapping_is_applied_on_the_wire(credit):
    sink = make_sink(settings_for(credit, "credit-xml", codes=LETTER_CODES))
    msg = result_message(
        outcomes=[{"code": "5", "text": "发现问题经责令已改正"}, {"code": "8", "text": "发现问题待后续处理"}]
    )
    assert sink.deliver([msg], "c-1").receipts[0].status == "accepted"
    assert credit.records[msg.key]["results"] == [("E", "发现问题经责令已改正"), ("H", "发现问题待后续处理")]
    assert b'<Result code="E">' in credit.uploads[0]


def test_invalid_upload_is_refused_whole_with_an_xml_error(credit):
    session = SignedSession(settings_for(credit, "credit-xml"))
    body = (
        f'<UploadBatch xmlns="{NS}" batchId="raw" sender="X" createdAt="2026-11-20T10:00:00+08:00">'
        f'<Record recordId="r1"><USCC>{uscc(1)}</USCC></Record></UploadBatch>'
    ).encode()
    resp = session.request(
        "POST",
        credit.url + "/ws/inspection-results",
        body=body,
        headers={"Content-Type": "application/xml"},
        ok_statuses=(400,),
    )
    assert resp.status_code == 400
    error = etree.fromstring(resp.content)
    assert error.tag == "Error" and error.get("code") == "E001"
    assert "EntityName" in error.text
    assert credit.records == {}


def test_more_than_1000_records_are_split(credit, credit_sink):
    messages = [result_message() for _ in range(1001)]
    report = credit_sink.deliver(messages, "big")
    assert len(report.receipts) == 1001
    assert credit.ledger.batch_ids == ["big-1", "big-2"]
    assert sum(credit.accepted_counts.values()) == 1001


def test_wrong_secret_is_refused_by_the_sandbox(credit):
    sink = make_sink(settings_for(credit, "credit-xml", secret="not-the-secret"))
    with pytest.raises(FatalError, match="401") as caught:
        sink.deliver([result_message()], "c-1")
    assert "<Error" in str(caught.value) and "wrong signature" in str(caught.value)
    assert credit.stats["unauthorized"] == 1
    assert credit.records == {}


def test_malformed_receipt_is_refused(credit, credit_sink):
    credit.set_faults({"malformed": 1.0})
    with pytest.raises(MalformedResponse, match="not well-formed"):
        credit_sink.deliver([result_message()], "c-1")


def test_sender_is_required(credit):
    with pytest.raises(FatalError, match="'sender'"):
        make_sink(settings_for(credit, "credit-xml", sender=""))
