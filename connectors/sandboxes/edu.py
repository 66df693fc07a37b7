"""Sandbox of the education school registry (``edu-xml`` in interfaces.md): one XML snapshot feed.

The feed honours ``If-None-Match``; removing or changing schools makes a new snapshot with a
new ETag. ``malformed`` (or ``truncate = True``) serves the feed cut off mid-element;
``raw_feed`` serves any bytes as the feed (hostile XML in tests).
"""

from __future__ import annotations

import hashlib
import threading
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from connectors.sandboxes import data
from connectors.sandboxes.server import Faults, Request, Response, SandboxServer

NAMESPACE = "urn:edu:schools:1"


class EduSandbox(SandboxServer):
    """``GET /feeds/schools.xml`` with ETag / If-None-Match."""

    kind = "edu"

    def __init__(
        self,
        app_secrets: dict[str, str],
        port: int = 0,
        faults: Faults | None = None,
        *,
        schools: int = 300,
        seed: int = 1,
        invalid_share: float = 0.0,
        host: str = "127.0.0.1",
    ) -> None:
        super().__init__(app_secrets, port, faults, host)
        self.seed = seed
        self.invalid_share = invalid_share
        self.truncate = False
        self.raw_feed: bytes | None = None
        self._lock = threading.Lock()
        self._schools: dict[str, dict[str, Any]] = {}
        for index in range(schools):
            record = data.school(seed, index, invalid_share)
            self._schools[record["code"]] = record
        self._next_index = schools
        self._feed: tuple[bytes, str] | None = None  # (body, etag) of the current snapshot
        self.generated = datetime.now(data.CST).replace(hour=2, minute=0, second=0, microsecond=0)
        self.route("GET", "/feeds/schools.xml", self._feed_route)

    def error_body(self, status: int, message: str) -> Response:
        body = f'<Error xmlns="{NAMESPACE}" status="{status}">{escape(message)}</Error>'
        return Response(status, body.encode("utf-8"), content_type="application/xml; charset=utf-8")

    # --- snapshot changes -----------------------------------------------------------
    @property
    def schools(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._schools.values())

    def remove(self, codes: list[str]) -> None:
        """Drop schools from the next snapshot (the hub should mark them inactive)."""
        with self._lock:
            for code in codes:
                del self._schools[code]
            self._feed = None

    def add(self, count: int) -> list[str]:
        """Open ``count`` new schools; return their codes."""
        with self._lock:
            codes = []
            for _ in range(count):
                record = data.school(self.seed, self._next_index, self.invalid_share)
                self._next_index += 1
                self._schools[record["code"]] = record
                codes.append(record["code"])
            self._feed = None
            return codes

    def change(self, code: str, **values: Any) -> None:
        """Change fields of one school (``name``, ``principal``...) in the next snapshot."""
        with self._lock:
            self._schools[code].update(values)
            self._feed = None

    @property
    def etag(self) -> str:
        return self._snapshot()[1]

    def _snapshot(self) -> tuple[bytes, str]:
        with self._lock:
            if self._feed is None:
                body = render_feed(self._schools.values(), self.generated)
                self._feed = (body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')
            return self._feed

    # --- route --------------------------------------------------------------------
    def _feed_route(self, req: Request) -> Response:
        if self.raw_feed is not None:
            return Response(200, self.raw_feed, content_type="application/xml")
        body, etag = self._snapshot()
        wanted = {tag.strip().removeprefix("W/") for tag in (req.headers.get("If-None-Match") or "").split(",")}
        if etag in wanted or "*" in wanted:
            return Response(304, b"", headers={"ETag": etag})
        if self.truncate or self.roll(self.faults.malformed):
            self.stats["faults"] += 1
            # cut after the first (3-byte) character of an address, two thirds in
            cut = body.find(b"<Address>", len(body) * 2 // 3) + len(b"<Address>") + 3
            return Response(200, body[:cut], content_type="application/xml; charset=utf-8", headers={"ETag": etag})
        return Response(200, body, content_type="application/xml; charset=utf-8", headers={"ETag": etag})


def render_feed(schools: Any, generated: datetime) -> bytes:
    """The feed of interfaces.md for these school records (``data.school`` dicts)."""
    head = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Schools xmlns="{NAMESPACE}" generated="{data.rfc3339(generated)}">\n'
    )
    parts = [head]
    for s in schools:
        attrs = f"code={quoteattr(s['code'])}" + (f" uscc={quoteattr(s['uscc'])}" if s["uscc"] else "")
        children = [
            ("Name", s["name"]),
            ("Type", s["type"]),
            ("District", s["district"]),
            ("Address", s["address"]),
            ("Principal", s["principal"]),
            ("Phone", s["phone"]),
            ("Students", s["students"]),
            ("Boarding", s["boarding"]),
        ]
        inner = "".join(f"<{tag}>{escape(_text(value))}</{tag}>" for tag, value in children if value is not None)
        parts.append(f"  <School {attrs}>\n    {inner}\n  </School>\n")
    parts.append("</Schools>\n")
    return "".join(parts).encode("utf-8")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
