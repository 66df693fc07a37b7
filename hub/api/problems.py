"""Errors as JSON problems (RFC 9457) for machines."""

from __future__ import annotations

from flask import jsonify

from hub.errors import HubError


def problem(exc: HubError):
    body = {"type": "about:blank", "title": exc.title, "status": exc.http_status, "detail": exc.message}
    if exc.where:
        body["where"] = exc.where
    resp = jsonify(body)
    resp.status_code = exc.http_status
    resp.content_type = "application/problem+json"
    return resp
