"""Sandbox of the enterprise credit disclosure system (credit-xml, interfaces.md "Sinks").

``POST /ws/inspection-results`` takes an UploadBatch, checks it against
schemas/credit-upload.xsd (an invalid batch is refused whole with 400), checks each
USCC check digit (E102), answers a repeated recordId as a duplicate, and returns a
Receipt. ``crafted_receipt`` makes it answer a crafted receipt instead (tests of the
hardened parser): "xxe" (an external entity naming /etc/passwd), "bomb" (billion laughs)
or "off-schema" (well-formed, but its records carry no recordId).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from lxml import etree

from connectors.base import ConnectorError
from connectors.sandboxes.provincial import SinkSandbox
from connectors.sandboxes.server import Faults, Request, Response
from connectors.schemas import schema_path
from connectors.xml_safety import first_error, parse_untrusted
from vocabulary.uscc import uscc_problem

NS = "urn:credit:inspection:1"
UPLOAD_XSD = schema_path("credit-upload.xsd")
MAX_RECORDS = 1000
XML = "application/xml; charset=utf-8"
E_CHECK_DIGIT = ("E102", "统一社会信用代码校验位错误")
E_FORMAT = ("E101", "统一社会信用代码格式错误")
E_INVALID_BATCH = "E001"

XXE_RECEIPT = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
    b'<Receipt batchId="%s"><Rejected recordId="%s" code="E999">&x;</Rejected></Receipt>'
)
OFF_SCHEMA_RECEIPT = b'<?xml version="1.0" encoding="UTF-8"?>\n<Receipt batchId="%s"><Accepted id="%s"/></Receipt>'
BOMB_RECEIPT = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10))
    + b']>\n<Receipt batchId="%s"><Rejected recordId="%s" code="E999">&lol9;</Rejected></Receipt>'
)


class CreditSandbox(SinkSandbox):
    """The credit system's upload endpoint over real HTTP on loopback.

    ``reject_usccs``: codes the system refuses although valid (E103, entity not registered);
    ``omit_from_receipt``: leave the last N records out of the receipt (a broken system).
    """

    kind = "credit-xml"

    def __init__(
        self,
        app_secrets: dict[str, str],
        port: int = 0,
        faults: Faults | None = None,
        host: str = "127.0.0.1",
        reject_usccs: Iterable[str] = (),
    ) -> None:
        super().__init__(app_secrets, port, faults, host)
        self.schema = etree.XMLSchema(etree.parse(str(UPLOAD_XSD)))
        self.reject_usccs = set(reject_usccs)
        self.crafted_receipt: Literal["xxe", "bomb", "off-schema"] | None = None
        self.omit_from_receipt = 0
        self.uploads: list[bytes] = []  # every well-formed, valid upload body, as received
        self.route("POST", "/ws/inspection-results", self.post_results)

    @property
    def records(self) -> dict[str, dict[str, Any]]:
        return dict(self.ledger.stored)

    def error_body(self, status: int, message: str, code: str = "") -> Response:
        root = etree.Element("Error", status=str(status))
        if code:
            root.set("code", code)
        root.text = message
        return Response(status, etree.tostring(root, xml_declaration=True, encoding="UTF-8"), XML)

    def post_results(self, req: Request) -> Response:
        ctype = next((v for k, v in req.headers.items() if k.lower() == "content-type"), "")
        if ctype.split(";")[0].strip().lower() not in ("application/xml", "text/xml"):
            return self.error_body(415, f"Content-Type must be application/xml, got {ctype!r}")
        try:
            batch = parse_untrusted(req.body, "upload")
        except ConnectorError as exc:
            return self.error_body(400, str(exc), E_INVALID_BATCH)
        if not self.schema.validate(batch):
            return self.error_body(
                400, f"upload does not match credit-upload.xsd: {first_error(self.schema)}", E_INVALID_BATCH
            )
        records = batch.findall(f"{{{NS}}}Record")
        if len(records) > MAX_RECORDS:  # the XSD says so too; kept for a schema edited by mistake
            return self.error_body(400, f"at most {MAX_RECORDS} records a batch", E_INVALID_BATCH)
        self.uploads.append(req.body)
        batch_id = batch.get("batchId")
        self.ledger.batch(batch_id)
        receipt = etree.Element("Receipt", batchId=batch_id)
        answered: list[etree._Element] = []
        for rec in records:
            record_id = rec.get("recordId")
            fields = _fields(rec)
            reason = self._problem(fields["uscc"])
            if reason:
                self.ledger.reject(record_id)
                el = etree.SubElement(receipt, "Rejected", recordId=record_id, code=reason[0])
                el.text = reason[1]
                continue
            if rec.get("amends"):  # an amendment (更正): kept beside the record it replaces
                amended = self.ledger.amend(record_id, rec.get("amends"), fields)
                if amended is None:
                    self.ledger.reject(record_id)
                    el = etree.SubElement(receipt, "Rejected", recordId=record_id, code="E104")
                    el.text = f"更正的原记录 {rec.get('amends')} 不存在"
                    continue
                verdict = amended
            else:
                verdict = self.ledger.offer(record_id, fields)
            answered.append(
                etree.SubElement(receipt, "Accepted" if verdict == "accepted" else "Duplicate", recordId=record_id)
            )
        if fault := self.fault_after_store():
            return fault
        if self.crafted_receipt:
            template = {"xxe": XXE_RECEIPT, "bomb": BOMB_RECEIPT}.get(self.crafted_receipt, OFF_SCHEMA_RECEIPT)
            first = records[0].get("recordId").encode("utf-8")
            return Response(200, template % (batch_id.encode("utf-8"), first), XML)
        if self.roll(self.faults.malformed):
            self.stats["faults"] += 1
            return Response(200, b'<?xml version="1.0"?><Receipt batchId="', XML)
        for el in answered[len(answered) - self.omit_from_receipt :] if self.omit_from_receipt else []:
            receipt.remove(el)
        return Response(200, etree.tostring(receipt, xml_declaration=True, encoding="UTF-8"), XML)

    def _problem(self, uscc: str) -> tuple[str, str] | None:
        problem = uscc_problem(uscc)
        if problem is None:
            return ("E103", "检查对象未在本系统登记") if uscc in self.reject_usccs else None
        return E_CHECK_DIGIT if problem.startswith("check digit") else E_FORMAT


def _fields(rec: etree._Element) -> dict[str, Any]:
    def text(name: str) -> str:
        return rec.findtext(f"{{{NS}}}{name}") or ""

    return {
        "uscc": text("USCC"),
        "entity_name": text("EntityName"),
        "authority": text("Authority"),
        "inspection_type": text("InspectionType"),
        "task_id": text("TaskId"),
        "inspection_date": text("InspectionDate"),
        "results": [(r.get("code"), r.text or "") for r in rec.findall(f"{{{NS}}}Result")],
        "amends": rec.get("amends"),
    }
