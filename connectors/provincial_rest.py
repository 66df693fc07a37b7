"""provincial-rest sink: annual plans, tasks, draw records and results to the provincial platform
(interfaces.md).

Every message gets a Receipt or the whole delivery raises:
- a message that breaks the wire contract is rejected here, with the schema error, and never sent;
- 5xx, 429, timeouts, dropped connections → TransientError (the outbox retries the batch;
  PUTs are idempotent and ``result_id`` is the platform's idempotency key, so what was
  stored before the failure comes back as a duplicate);
- a result missing from the platform's answer → TransientError (it was not acknowledged;
  re-sending is safe for the same reason);
- 409 on a draw → that message rejected, code "409" (a draw cannot be replaced);
- any other 4xx, or an answer that is not what the interface promises → FatalError.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import fastjsonschema

from connectors.base import (
    ConnectorSettings,
    DeliveryReport,
    MalformedResponse,
    OutgoingMessage,
    Receipt,
    Sink,
    TransientError,
)
from connectors.schemas import schema_path
from connectors.sink_options import LOCAL_REJECT, code_mapping, in_order, mapped_outcomes, sink_session

SCHEMA_PATH = schema_path("provincial-results-batch.schema.json")
_SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
_check_result = fastjsonschema.compile({**_SCHEMA["definitions"]["result"], "definitions": _SCHEMA["definitions"]})
_check_plan = fastjsonschema.compile(json.loads(schema_path("provincial-plan.schema.json").read_text(encoding="utf-8")))

TASK_FIELDS = ("task_id", "title", "lead", "agencies", "items", "strata", "quotas", "window")
DRAW_FIELDS = ("protocol", "seed", "selections")
RESULT_FIELDS = ("result_id", "entity_id", "agency", "items", "inspected_on", "outcomes", "inspectors", "findings")


class ProvincialRestSink(Sink):
    """Pushes annual plans, joint tasks, draw records and results to the provincial joint-supervision platform."""

    kind = "provincial-rest"
    max_batch = 500

    def __init__(self, settings: ConnectorSettings, http: Any = None) -> None:
        super().__init__(settings, http)
        self.codes = code_mapping(settings)
        self.http = http or sink_session(settings)
        self.base = settings.url.rstrip("/") + "/api/v1/joint-tasks/"
        self.plans = settings.url.rstrip("/") + "/api/v1/joint-plans/"

    def deliver(self, messages: list[OutgoingMessage], batch_id: str) -> DeliveryReport:
        receipts: list[Receipt] = []
        answers: list[str] = []
        status: int | None = None
        results: dict[str, list[tuple[OutgoingMessage, dict[str, Any]]]] = {}
        for msg in messages:
            body, problem = self._wire(msg)
            if problem is not None:
                receipts.append(Receipt(msg.key, "rejected", LOCAL_REJECT, problem))
            elif msg.kind == "result":
                results.setdefault(str(msg.payload["task_id"]), []).append((msg, body))
            else:
                receipt, status, text = self._put(msg, body)
                receipts.append(receipt)
                answers.append(text)
        groups = [
            (task_id, group[i : i + self.max_batch])
            for task_id, group in results.items()
            for i in range(0, len(group), self.max_batch)
        ]
        for n, (task_id, group) in enumerate(groups, 1):
            sub_id = batch_id if len(groups) == 1 else f"{batch_id}-{n}"
            got, status, text = self._post_results(task_id, group, sub_id)
            receipts += got
            answers.append(text)
        return DeliveryReport(batch_id, in_order(receipts, messages), status, "\n".join(answers) or None)

    # --- wire format --------------------------------------------------------------------
    def _wire(self, msg: OutgoingMessage) -> tuple[dict[str, Any], str | None]:
        """The JSON body of one message, or why it cannot be sent."""
        p = msg.payload
        if msg.kind == "plan":
            try:
                _check_plan(dict(p))
            except ValueError as exc:  # JsonSchemaValueException is a ValueError
                return {}, getattr(exc, "message", str(exc)).replace("data", "plan", 1)
            return dict(p), None
        if msg.kind == "task":
            absent = [f for f in TASK_FIELDS if p.get(f) in (None, "", [], {})]
            return dict(p), (f"missing field(s): {', '.join(absent)}" if absent else None)
        if msg.kind == "draw":
            record = p.get("record")
            if not p.get("task_id") or not isinstance(record, Mapping):
                return {}, "a draw message needs task_id and a record object"
            absent = [f for f in DRAW_FIELDS if f not in record]
            return dict(record), (f"record misses {', '.join(absent)}" if absent else None)
        if msg.kind != "result":
            return {}, f"provincial-rest does not take {msg.kind!r} messages"
        if not p.get("task_id"):
            return {}, "missing field(s): task_id"
        body = {f: p.get(f) for f in RESULT_FIELDS}
        if body["findings"] is None:  # nothing to say (code 1) is an empty text on the wire
            body["findings"] = ""
        if p.get("amends"):  # an amendment (更正): a new result_id naming the result it replaces
            body["amends"] = p["amends"]
        try:
            body["outcomes"] = mapped_outcomes(p.get("outcomes"), self.codes)
            _check_result(body)
        except ValueError as exc:  # JsonSchemaValueException is a ValueError
            message = getattr(exc, "message", str(exc))
            return {}, message.replace("data", "result", 1)
        return body, None

    # --- calls --------------------------------------------------------------------------
    def _put(self, msg: OutgoingMessage, body: dict[str, Any]) -> tuple[Receipt, int, str]:
        if msg.kind == "plan":
            url = self.plans + quote(str(msg.payload["plan_id"]), safe="")
        else:
            url = self.base + quote(str(msg.payload["task_id"]), safe="") + ("/draw" if msg.kind == "draw" else "")
        resp = self.http.request(
            "PUT",
            url,
            body=_dumps(body),
            headers={"Content-Type": "application/json"},
            ok_statuses=(409,) if msg.kind == "draw" else (),
        )
        text = resp.text
        if resp.status_code == 409:
            return Receipt(msg.key, "rejected", "409", _error_text(text)), 409, text
        return Receipt(msg.key, "accepted"), resp.status_code, text

    def _post_results(
        self, task_id: str, group: list[tuple[OutgoingMessage, dict[str, Any]]], batch_id: str
    ) -> tuple[list[Receipt], int, str]:
        url = self.base + quote(task_id, safe="") + "/results:batch"
        body = {"batch_id": batch_id, "results": [b for _, b in group]}
        resp = self.http.request("POST", url, body=_dumps(body), headers={"Content-Type": "application/json"})
        text = resp.text
        answer = _parse_answer(text, batch_id)
        receipts: list[Receipt] = []
        missing: list[str] = []
        for msg, b in group:
            rid = b["result_id"]
            if rid in answer["accepted"]:
                receipts.append(Receipt(msg.key, "accepted"))
            elif rid in answer["duplicates"]:
                receipts.append(Receipt(msg.key, "duplicate"))
            elif rid in answer["rejected"]:
                code, message = answer["rejected"][rid]
                receipts.append(Receipt(msg.key, "rejected", code, message))
            else:
                missing.append(rid)
        if missing:
            raise TransientError(
                f"results:batch {batch_id}: the answer does not mention "
                f"{len(missing)} result(s), e.g. {missing[0]}; re-sending the batch"
            )
        unknown = answer["ids"] - {b["result_id"] for _, b in group}
        if unknown:
            raise MalformedResponse(
                f"results:batch {batch_id}: the answer names results not sent: {sorted(unknown)[:3]}"
            )
        return receipts, resp.status_code, text


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _error_text(text: str) -> str:
    try:
        value = json.loads(text)
    except ValueError:
        return text[:500]
    return str(value.get("error", text))[:500] if isinstance(value, dict) else text[:500]


def _parse_answer(text: str, batch_id: str) -> dict[str, Any]:
    """The results:batch answer as sets and a map; MalformedResponse when it breaks the interface."""
    try:
        value = json.loads(text)
    except ValueError:
        raise MalformedResponse(f"results:batch {batch_id}: answer is not JSON: {text[:120]!r}") from None
    if not isinstance(value, dict) or any(
        not isinstance(value.get(k), list) for k in ("accepted", "duplicates", "rejected")
    ):
        raise MalformedResponse(f"results:batch {batch_id}: answer lacks accepted/duplicates/rejected lists")
    if value.get("batch_id") != batch_id:
        raise MalformedResponse(f"results:batch {batch_id}: answer is for batch {value.get('batch_id')!r}")
    rejected: dict[str, tuple[str, str]] = {}
    for r in value["rejected"]:
        if not isinstance(r, dict) or not isinstance(r.get("result_id"), str):
            raise MalformedResponse(f"results:batch {batch_id}: a rejected entry has no result_id: {r!r}")
        rejected[r["result_id"]] = (str(r.get("code") or "?"), str(r.get("message") or ""))
    accepted, duplicates = set(map(str, value["accepted"])), set(map(str, value["duplicates"]))
    return {
        "accepted": accepted,
        "duplicates": duplicates,
        "rejected": rejected,
        "ids": accepted | duplicates | set(rejected),
    }
