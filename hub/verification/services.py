"""Run a JDP-2 / JDP-1 verification or offline draw from a request body (the draw module does the work)."""

from __future__ import annotations

import uuid
from typing import Any

from hub.clock import utcnow
from hub.db import Database
from hub.draw import jdp
from hub.errors import InvalidInput, NotFound
from hub.verification.models import VerificationJob

KINDS = ("verify", "draw")


def verify_body(body: dict[str, Any]) -> dict[str, Any]:
    """{"record", "roster", "pool"} -> {"verified", "problems"}; InvalidInput for malformed inputs."""
    if not isinstance(body.get("record"), dict):
        raise InvalidInput("record must be the draw record object", where="record")
    try:
        problems = jdp.verify(
            body["record"], str(body.get("roster", "")).encode("utf-8"), str(body.get("pool", "")).encode("utf-8")
        )
    except jdp.JDPError as exc:
        raise InvalidInput(str(exc), where="verify") from None
    return {"verified": not problems, "problems": problems}


def draw_body(body: dict[str, Any]) -> dict[str, Any]:
    """{"plan", "roster", "pool", "reveals", "entropy"} -> the record of the plan's protocol (JDP-2, or JDP-1);
    InvalidInput when malformed or of another protocol."""
    reveals = body.get("reveals")
    if not isinstance(body.get("plan"), dict) or not isinstance(reveals, dict):
        raise InvalidInput("plan and reveals must be objects", where="body")
    hash_name = body["plan"].get("hash", "sha256")
    try:
        protocol = jdp.check_protocol(body["plan"].get("protocol"), "plan.protocol")
        commitments = {p: jdp.commitment(p, h, hash_name, protocol) for p, h in reveals.items()}
        return jdp.draw(
            body["plan"],
            str(body.get("roster", "")).encode("utf-8"),
            str(body.get("pool", "")).encode("utf-8"),
            commitments,
            reveals,
            str(body.get("entropy") or ""),
        )
    except (jdp.JDPError, TypeError, AttributeError) as exc:
        raise InvalidInput(str(exc), where="draw") from None


RUNNERS = {"verify": verify_body, "draw": draw_body}


def submit(db: Database, kind: str, body: dict[str, Any]) -> str:
    """Store a job for a worker; returns its id."""
    job_id = uuid.uuid4().hex
    with db.unit_of_work() as s:
        s.add(VerificationJob(id=job_id, kind=kind, request=body))
    return job_id


def run(db: Database, job_id: str) -> None:
    """Run a stored job once; its answer (or the reason it failed) is kept, its inputs dropped."""
    with db.unit_of_work() as s:
        job = s.get(VerificationJob, job_id)
        if job is None or job.state != "queued":
            return
        kind, body = job.kind, job.request or {}
    try:
        answer, error, state = RUNNERS[kind](body), None, "done"
    except InvalidInput as exc:
        answer, error, state = None, str(exc), "failed"
    with db.unit_of_work() as s:
        job = s.get(VerificationJob, job_id)
        assert job is not None
        job.answer, job.error, job.state = answer, error, state
        job.request, job.finished_at = None, utcnow()


def status(db: Database, job_id: str) -> dict[str, Any]:
    with db.unit_of_work() as s:
        job = s.get(VerificationJob, job_id)
        if job is None:
            raise NotFound(f"no verification {job_id!r}"[:120], where="verification")
        return {
            "id": job.id,
            "kind": job.kind,
            "state": job.state,
            "answer": job.answer,
            "error": job.error,
            "created_at": job.created_at.isoformat() + "Z",
            "finished_at": job.finished_at.isoformat() + "Z" if job.finished_at else None,
        }
