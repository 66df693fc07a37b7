"""credit-xml sink: inspection results to the enterprise credit disclosure system (interfaces.md).

Each record is built with lxml and checked against schemas/credit-upload.xsd before the
batch leaves: an invalid message is rejected here with the XSD error and never sent.
The receipt is parsed with the hardened parser (no DTD, no entities) and checked against
schemas/credit-receipt.xsd. A record the receipt does not mention was not acknowledged:
the delivery raises TransientError and the outbox sends the batch again — safe, since
``recordId`` (our ``result_id``) is the system's idempotency key and what it stored comes
back as a duplicate. 5xx/429/timeouts/drops → TransientError; other 4xx → FatalError.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from lxml import etree
from lxml.builder import ElementMaker

from connectors.base import (
    ConnectorSettings,
    DeliveryReport,
    FatalError,
    MalformedResponse,
    OptionError,
    OutgoingMessage,
    Receipt,
    Sink,
    TransientError,
)
from connectors.schemas import schema_path
from connectors.sink_options import LOCAL_REJECT, code_mapping, in_order, mapped_outcomes, sink_session
from connectors.xml_safety import first_error, parse_untrusted, validate

NS = "urn:credit:inspection:1"
UPLOAD_XSD = schema_path("credit-upload.xsd")
RECEIPT_XSD = schema_path("credit-receipt.xsd")
INSPECTION_TYPE = "联合双随机抽查"
PATH = "/ws/inspection-results"
_BATCH_ID = re.compile(r"\S{1,120}")  # xsd Id: 1-128, less room for a "-N" chunk suffix

_E = ElementMaker(namespace=NS, nsmap={None: NS})


def build_record(
    payload: Mapping[str, Any], codes: Mapping[str, str], authority: str, inspection_type: str = INSPECTION_TYPE
) -> etree._Element:
    """One <Record> of a result payload (ValueError when its outcomes or text cannot be written)."""

    def text(key: str) -> str:
        value = payload.get(key)
        return "" if value is None else str(value)

    results = [_E.Result(o["text"], code=o["code"]) for o in mapped_outcomes(payload.get("outcomes"), codes)]
    amends = {"amends": text("amends")} if payload.get("amends") else {}  # an amendment (更正) of that record
    return _E.Record(
        _E.USCC(text("uscc")),
        _E.EntityName(text("entity_name")),
        _E.Authority(text("authority") or authority),
        _E.InspectionType(inspection_type),
        _E.TaskId(text("task_id")),
        _E.InspectionDate(text("inspected_on")),
        *results,
        recordId=text("result_id"),
        **amends,
    )


def build_upload(batch_id: str, sender: str, created_at: str, records: list[etree._Element]) -> etree._Element:
    """The <UploadBatch> around ``records`` (which move into it)."""
    return _E.UploadBatch(*records, batchId=batch_id, sender=sender, createdAt=created_at)


class CreditXmlSink(Sink):
    """Uploads results of entities with a uscc to the credit disclosure system as XML batches."""

    kind = "credit-xml"
    max_batch = 1000

    def __init__(self, settings: ConnectorSettings, http: Any = None) -> None:
        super().__init__(settings, http)
        opts = settings.options
        self.sender = str(opts.get("sender") or "")
        if not self.sender:
            raise OptionError(settings.name, "sender", 'is required (e.g. "370100-HEALTH")')
        self.authority = str(opts.get("authority") or "")  # when a payload names none
        self.inspection_type = str(opts.get("inspection_type") or INSPECTION_TYPE)
        self.codes = code_mapping(settings)
        self.http = http or sink_session(settings)
        self.url = settings.url.rstrip("/") + PATH
        # XMLSchema keeps its error log on the object: one validation at a time.
        self._lock = threading.Lock()
        self.upload_schema = etree.XMLSchema(etree.parse(str(UPLOAD_XSD)))
        self.receipt_schema = etree.XMLSchema(etree.parse(str(RECEIPT_XSD)))

    def accepts(self, message: OutgoingMessage) -> bool:
        return message.kind == "result" and bool(message.payload.get("uscc"))

    def deliver(self, messages: list[OutgoingMessage], batch_id: str) -> DeliveryReport:
        if not _BATCH_ID.fullmatch(batch_id):  # the hub's fault, not any one message's
            raise FatalError(f"batch id {batch_id!r} is not 1-120 non-blank characters (credit-upload.xsd)")
        created_at = datetime.now(UTC).isoformat(timespec="seconds")
        receipts: list[Receipt] = []
        ready: list[tuple[OutgoingMessage, etree._Element]] = []
        seen: set[str] = set()
        for msg in messages:
            record, problem = self._record(msg, batch_id, created_at)
            if record is not None and record.get("recordId") in seen:
                problem = f"result_id {record.get('recordId')} appears twice in the batch"
                record = None
            if record is None:
                receipts.append(Receipt(msg.key, "rejected", LOCAL_REJECT, problem))
            else:
                seen.add(record.get("recordId"))
                ready.append((msg, record))
        chunks = [ready[i : i + self.max_batch] for i in range(0, len(ready), self.max_batch)]
        status: int | None = None
        answers: list[str] = []
        for n, chunk in enumerate(chunks, 1):
            sub_id = batch_id if len(chunks) == 1 else f"{batch_id}-{n}"
            got, status, text = self._upload(chunk, sub_id, created_at)
            receipts += got
            answers.append(text)
        return DeliveryReport(batch_id, in_order(receipts, messages), status, "\n".join(answers) or None)

    def _record(self, msg: OutgoingMessage, batch_id: str, created_at: str) -> tuple[etree._Element | None, str]:
        """The message's <Record> (checked against the XSD with its batch); or None and why not."""
        if not self.accepts(msg):
            return None, "credit-xml takes only results of entities with a uscc"
        try:
            record = build_record(msg.payload, self.codes, self.authority, self.inspection_type)
        except ValueError as exc:  # lxml refuses control characters; unusable outcomes
            return None, str(exc)
        return record, ""

    def _alone_problem(self, record: etree._Element, batch_id: str, created_at: str) -> str | None:
        single = build_upload(batch_id, self.sender, created_at, [record])
        with self._lock:
            if not self.upload_schema.validate(single):
                return f"credit-upload.xsd: {first_error(self.upload_schema)}"
        return None

    def _upload(
        self, chunk: list[tuple[OutgoingMessage, etree._Element]], batch_id: str, created_at: str
    ) -> tuple[list[Receipt], int, str]:
        batch = build_upload(batch_id, self.sender, created_at, [r for _, r in chunk])
        with self._lock:
            valid = self.upload_schema.validate(batch)
        refused: list[Receipt] = []
        if not valid:  # find the records that fail alone; they are rejected, never sent
            kept = []
            for msg, record in chunk:
                problem = self._alone_problem(record, batch_id, created_at)
                if problem:
                    refused.append(Receipt(msg.key, "rejected", LOCAL_REJECT, problem))
                else:
                    kept.append((msg, record))
            if not kept:
                return refused, 0, ""
            chunk = kept
            batch = build_upload(batch_id, self.sender, created_at, [r for _, r in chunk])
            with self._lock:  # records valid alone; the whole (unique recordIds, ≤ 1000) is checked too
                if not self.upload_schema.validate(batch):
                    raise FatalError(f"upload {batch_id} fails credit-upload.xsd: {first_error(self.upload_schema)}")
        body = etree.tostring(batch, xml_declaration=True, encoding="UTF-8")
        resp = self.http.request(
            "POST", self.url, body=body, headers={"Content-Type": "application/xml; charset=utf-8"}
        )
        data = resp.content
        receipt = parse_untrusted(data, "receipt")
        with self._lock:
            validate(receipt, self.receipt_schema, "receipt")
        if receipt.get("batchId") != batch_id:
            raise MalformedResponse(f"receipt is for batch {receipt.get('batchId')!r}, not {batch_id!r}")
        answers: dict[str, Receipt] = {}
        for el in receipt.iterchildren("Accepted", "Duplicate", "Rejected"):
            rid = el.get("recordId")
            if el.tag == "Accepted":
                answers[rid] = Receipt(rid, "accepted")
            elif el.tag == "Duplicate":
                answers[rid] = Receipt(rid, "duplicate")
            else:
                answers[rid] = Receipt(rid, "rejected", el.get("code"), (el.text or "").strip())
        sent = {r.get("recordId"): msg for msg, r in chunk}
        unknown = set(answers) - set(sent)
        if unknown:
            raise MalformedResponse(f"receipt {batch_id} names records not sent: {sorted(unknown)[:3]}")
        missing = [rid for rid in sent if rid not in answers]
        if missing:
            raise TransientError(
                f"receipt {batch_id} does not mention {len(missing)} record(s), e.g. {missing[0]}; re-sending the batch"
            )
        receipts = [
            Receipt(msg.key, answers[rid].status, answers[rid].code, answers[rid].message) for rid, msg in sent.items()
        ]
        return refused + receipts, resp.status_code, data.decode("utf-8", errors="replace")
