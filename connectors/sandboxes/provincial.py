"""Sandbox of the provincial joint-supervision platform (provincial-rest, interfaces.md "Sinks").

Stores annual plans, tasks, draw records and results in memory and answers exactly as the interface
says: task PUT idempotent, a different draw for a task that has one → 409, results
keyed by ``result_id`` (a repeat is a duplicate). Counters say how often each result was
accepted, so a test can check "delivered exactly once" after faults.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterable
from datetime import date
from typing import Any, Literal
from urllib.parse import unquote

import fastjsonschema

from connectors.sandboxes.server import Faults, Request, Response, SandboxServer
from connectors.schemas import schema_path

SCHEMA_PATH = schema_path("provincial-results-batch.schema.json")
_SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
_check_result = fastjsonschema.compile({**_SCHEMA["definitions"]["result"], "definitions": _SCHEMA["definitions"]})
_check_plan = fastjsonschema.compile(json.loads(schema_path("provincial-plan.schema.json").read_text(encoding="utf-8")))

MAX_RESULTS = 500
TASK_FIELDS = ("task_id", "title", "lead", "agencies", "items", "strata", "quotas", "window")
DRAW_FIELDS = ("protocol", "seed", "selections")
# The platform's own reject codes (the interface leaves them to the platform).
INVALID_FIELD = "P101"
UNKNOWN_ENTITY = "P102"
UNKNOWN_AMENDED = "P103"


class ResultLedger:
    """What a sink sandbox stored under each idempotency key, and how it answered (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.stored: dict[str, Any] = {}
        self.amendments: dict[str, str] = {}  # key of an amendment (更正) -> key of what it replaces
        self.accepted_counts: Counter[str] = Counter()
        self.duplicate_counts: Counter[str] = Counter()
        self.rejected_counts: Counter[str] = Counter()
        self.batch_ids: list[str] = []

    def offer(self, key: str, value: Any) -> Literal["accepted", "duplicate"]:
        """Store ``value`` under ``key`` unless something is stored there already."""
        with self._lock:
            if key in self.stored:
                self.duplicate_counts[key] += 1
                return "duplicate"
            self.stored[key] = value
            self.accepted_counts[key] += 1
            return "accepted"

    def amend(self, key: str, amends: str, value: Any) -> Literal["accepted", "duplicate"] | None:
        """Store an amendment of ``amends`` under its own ``key``; None when ``amends`` was never stored
        (the original stays: a platform shows the latest and keeps both)."""
        with self._lock:
            if key not in self.stored and amends not in self.stored:
                return None
        verdict = self.offer(key, value)
        with self._lock:
            self.amendments.setdefault(key, amends)
        return verdict

    def latest(self, key: str) -> str:
        """The key of the newest amendment of ``key`` (itself when never amended)."""
        with self._lock:
            newer = {old: new for new, old in self.amendments.items()}
        while key in newer:
            key = newer[key]
        return key

    def reject(self, key: str) -> None:
        with self._lock:
            self.rejected_counts[key] += 1

    def batch(self, batch_id: str) -> None:
        with self._lock:
            self.batch_ids.append(batch_id)

    def snapshot(self) -> dict[str, dict[str, int]]:
        with self._lock:
            return {
                "accepted": dict(self.accepted_counts),
                "duplicates": dict(self.duplicate_counts),
                "rejected": dict(self.rejected_counts),
            }


class SinkSandbox(SandboxServer):
    """A sandbox that receives pushes: a ledger of what it stored, and counters for the tests."""

    def __init__(
        self, app_secrets: dict[str, str], port: int = 0, faults: Faults | None = None, host: str = "127.0.0.1"
    ) -> None:
        super().__init__(app_secrets, port, faults, host)
        self.ledger = ResultLedger()

    def serve_forever(self, poll_interval: float = 0.05) -> None:
        super().serve_forever(poll_interval)  # quick stop: tests start one per test

    @property
    def accepted_counts(self) -> dict[str, int]:
        """How many times each key was accepted as new: exactly 1 once delivered."""
        return dict(self.ledger.accepted_counts)

    @property
    def duplicate_counts(self) -> dict[str, int]:
        return dict(self.ledger.duplicate_counts)

    @property
    def rejected_counts(self) -> dict[str, int]:
        return dict(self.ledger.rejected_counts)

    @property
    def amendments(self) -> dict[str, str]:
        """Key of each amendment (更正) received -> the key of the record it replaces."""
        return dict(self.ledger.amendments)

    def fault_after_store(self) -> Response | None:
        """The ``error_after_store`` fault: a 500 although the batch is stored."""
        if not self.roll(self.faults.error_after_store):
            return None
        self.stats["faults"] += 1
        return self.error_body(500, "sandbox fault after store")


class ProvincialSandbox(SinkSandbox):
    """The three provincial endpoints over real HTTP on loopback.

    ``reject_entities``: entity ids the platform does not know (their results are rejected);
    ``omit_from_answer``: leave the last N result ids out of a batch answer (a broken platform).
    """

    kind = "provincial-rest"

    def __init__(
        self,
        app_secrets: dict[str, str],
        port: int = 0,
        faults: Faults | None = None,
        host: str = "127.0.0.1",
        reject_entities: Iterable[str] = (),
    ) -> None:
        super().__init__(app_secrets, port, faults, host)
        self.tasks: dict[str, dict[str, Any]] = {}
        self.plans: dict[str, dict[str, Any]] = {}
        self.plan_puts: Counter[str] = Counter()
        self.draws: dict[str, dict[str, Any]] = {}
        self.reject_entities = set(reject_entities)
        self.omit_from_answer = 0
        self.task_puts: Counter[str] = Counter()
        self.draw_puts: Counter[str] = Counter()
        self._lock = threading.Lock()
        base = r"/api/v1/joint-tasks/(?P<task_id>[^/]+)"
        self.route("PUT", r"/api/v1/joint-plans/(?P<plan_id>[^/]+)", self.put_plan)
        self.route("PUT", base, self.put_task)
        self.route("PUT", base + "/draw", self.put_draw)
        self.route("POST", base + "/results:batch", self.post_results)

    @property
    def results(self) -> dict[str, dict[str, Any]]:
        return dict(self.ledger.stored)

    # --- routes -------------------------------------------------------------------
    def put_plan(self, req: Request, plan_id: str) -> Response:
        plan_id = unquote(plan_id)
        body, problem = _json_object(req.body)
        if problem is None:
            problem = _plan_problem(body, plan_id)
        if problem:
            return self._invalid(problem)
        with self._lock:
            self.plan_puts[plan_id] += 1
            created = plan_id not in self.plans
            self.plans[plan_id] = body  # the platform keeps the latest, whole
        if fault := self.fault_after_store():
            return fault
        return Response.json(201 if created else 200, {"plan_id": plan_id})

    def put_task(self, req: Request, task_id: str) -> Response:
        task_id = unquote(task_id)
        body, problem = _json_object(req.body)
        if problem is None:
            problem = _missing(body, TASK_FIELDS) or _task_problem(body, task_id)
        if problem:
            return self._invalid(problem)
        with self._lock:
            self.task_puts[task_id] += 1
            created = task_id not in self.tasks
            self.tasks[task_id] = body
        if fault := self.fault_after_store():
            return fault
        return Response.json(201 if created else 200, {"task_id": task_id})

    def put_draw(self, req: Request, task_id: str) -> Response:
        task_id = unquote(task_id)
        record, problem = _json_object(req.body)
        if problem is None:
            problem = _missing(record, DRAW_FIELDS)
        if problem:
            return self._invalid(problem)
        with self._lock:
            self.draw_puts[task_id] += 1
            stored = self.draws.setdefault(task_id, record)
        if _canonical(stored) != _canonical(record):
            return Response.json(
                409, {"error": "a draw cannot be replaced: the task has a different record", "code": "P409"}
            )
        if fault := self.fault_after_store():
            return fault
        return Response.json(200, {"task_id": task_id})

    def post_results(self, req: Request, task_id: str) -> Response:
        task_id = unquote(task_id)
        body, problem = _json_object(req.body)
        if problem is None:
            problem = _batch_problem(body)
        if problem:
            return self._invalid(problem)
        self.ledger.batch(body["batch_id"])
        accepted: list[str] = []
        duplicates: list[str] = []
        rejected: list[dict[str, Any]] = []
        for i, result in enumerate(body["results"]):
            result_id = result.get("result_id") if isinstance(result, dict) else None
            reason = _result_problem(result, i)
            code = INVALID_FIELD
            if reason is None and result["entity_id"] in self.reject_entities:
                code, reason = UNKNOWN_ENTITY, f"entity {result['entity_id']} 不在平台检查对象名录中"
            if reason is not None:
                self.ledger.reject(str(result_id))
                rejected.append({"result_id": result_id, "code": code, "message": reason})
                continue
            result_id = result["result_id"]  # the schema check guarantees a string
            stored = {**result, "task_id": task_id}
            if result.get("amends"):
                amended = self.ledger.amend(result_id, result["amends"], stored)
                if amended is None:
                    self.ledger.reject(result_id)
                    message = f"更正的原结果 {result['amends']} 不存在"
                    rejected.append({"result_id": result_id, "code": UNKNOWN_AMENDED, "message": message})
                    continue
                verdict = amended
            else:
                verdict = self.ledger.offer(result_id, stored)
            (accepted if verdict == "accepted" else duplicates).append(result_id)
        if fault := self.fault_after_store():
            return fault
        if self.roll(self.faults.malformed):
            self.stats["faults"] += 1
            return Response(200, b"<html><body>502 Bad Gateway</body></html>", "text/html")
        if self.omit_from_answer:
            drop = set((accepted + duplicates)[-self.omit_from_answer :])
            accepted = [r for r in accepted if r not in drop]
            duplicates = [r for r in duplicates if r not in drop]
        return Response.json(
            200, {"batch_id": body["batch_id"], "accepted": accepted, "duplicates": duplicates, "rejected": rejected}
        )

    # --- answers ------------------------------------------------------------------
    def _invalid(self, problem: str) -> Response:
        return Response.json(400, {"error": problem, "code": INVALID_FIELD})


def _json_object(raw: bytes) -> tuple[dict[str, Any], str | None]:
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        return {}, f"body is not UTF-8 JSON: {exc}"
    if not isinstance(value, dict):
        return {}, "body must be a JSON object"
    return value, None


def _missing(body: dict[str, Any], names: Iterable[str]) -> str | None:
    absent = [n for n in names if body.get(n) in (None, "", [], {})]
    return f"missing field(s): {', '.join(absent)}" if absent else None


def _task_problem(body: dict[str, Any], task_id: str) -> str | None:
    if body["task_id"] != task_id:
        return f"task_id {body['task_id']!r} does not match the path ({task_id!r})"
    window = body["window"]
    if not (isinstance(window, list) and len(window) == 2 and all(_is_date(d) for d in window)):
        return "window must be two dates [YYYY-MM-DD, YYYY-MM-DD]"
    if not isinstance(body["agencies"], list) or body["lead"] not in body["agencies"]:
        return "agencies must be a list that includes the lead"
    return None


def _plan_problem(body: dict[str, Any], plan_id: str) -> str | None:
    try:
        _check_plan(body)
    except fastjsonschema.JsonSchemaValueException as exc:
        return exc.message.replace("data", "plan", 1)
    if body["plan_id"] != plan_id:
        return f"plan_id {body['plan_id']!r} does not match the path ({plan_id!r})"
    for i, entry in enumerate(body["entries"]):
        if body["lead"] not in entry["agencies"]:
            return f"plan.entries[{i}].agencies must include the lead {body['lead']}"
        stray = sorted(set(entry["items"]) - set(entry["agencies"]))
        if stray:
            return f"plan.entries[{i}].items names {stray[0]}, not one of the entry's agencies"
    ids = [e["entry_id"] for e in body["entries"]]
    if len(set(ids)) != len(ids):
        return "plan.entries: an entry_id is listed twice"
    return None


def _batch_problem(body: dict[str, Any]) -> str | None:
    if not isinstance(body.get("batch_id"), str) or not body["batch_id"]:
        return "missing field(s): batch_id"
    results = body.get("results")
    if not isinstance(results, list) or not results:
        return "results must be a non-empty list"
    if len(results) > MAX_RESULTS:
        return f"at most {MAX_RESULTS} results a batch, got {len(results)}"
    return None


def _result_problem(result: Any, index: int) -> str | None:
    try:
        _check_result(result)
    except fastjsonschema.JsonSchemaValueException as exc:
        return exc.message.replace("data", f"results[{index}]", 1)
    if not _is_date(result["inspected_on"]):
        return f"results[{index}].inspected_on {result['inspected_on']!r} is not a calendar date"
    return None


def _is_date(value: Any) -> bool:
    try:
        date.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return isinstance(value, str) and len(value) == 10


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
