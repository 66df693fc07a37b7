"""The common HTTP server of every sandbox agency system: signatures, routes, switchable faults.

A sandbox is a real HTTP server on 127.0.0.1. Each checks the request signature of
interfaces.md and can be told to fail: 5xx, 429 with Retry-After, slow answers,
dropped connections, and whatever malformed answers its kind defines. Faults are
drawn from a seeded random generator so a test run is repeatable; they can be
changed while running through ``POST /__sandbox/faults`` (JSON), unsigned, loopback only.
"""

from __future__ import annotations

import json
import random
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from connectors.signing import SignatureError, SignatureVerifier


@dataclass
class Faults:
    """Probabilities (0..1) of each failure, per request."""

    error_5xx: float = 0.0
    too_many: float = 0.0  # 429 with Retry-After
    retry_after: int = 0  # seconds to ask for in Retry-After
    slow: float = 0.0
    slow_seconds: float = 2.0
    drop: float = 0.0  # close the connection without an answer
    malformed: float = 0.0  # kind-specific: a page that is not JSON, a broken feed...
    error_after_store: float = 0.0  # sinks: store the batch, then answer 500
    seed: int = 1

    def update(self, values: dict[str, Any]) -> None:
        names = {f.name for f in fields(self)}
        for k, v in values.items():
            if k not in names:
                raise ValueError(f"unknown fault {k!r}")
            setattr(self, k, type(getattr(self, k))(v))


@dataclass
class Request:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    app_id: str = ""


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] | None = None

    @classmethod
    def json(cls, status: int, value: Any) -> Response:
        return cls(status, json.dumps(value, ensure_ascii=False).encode("utf-8"))


Handler = Callable[[Request], Response]


class SandboxServer(ThreadingHTTPServer):
    """Base of every sandbox: subclasses register routes with ``route``."""

    daemon_threads = True
    allow_reuse_address = True
    kind = "sandbox"

    def __init__(
        self, app_secrets: dict[str, str], port: int = 0, faults: Faults | None = None, host: str = "127.0.0.1"
    ) -> None:
        self.verifier = SignatureVerifier(app_secrets)
        self.faults = faults or Faults()
        self.rng = random.Random(self.faults.seed)
        self.rng_lock = threading.Lock()
        self.routes: list[tuple[str, re.Pattern[str], Callable[..., Response]]] = []
        self.stats: dict[str, int] = {"requests": 0, "faults": 0, "unauthorized": 0}
        self._thread: threading.Thread | None = None
        super().__init__((host, port), _RequestHandler)

    # --- set-up -----------------------------------------------------------------
    def route(self, method: str, pattern: str, handler: Callable[..., Response]) -> None:
        """``pattern`` is a regex over the path; named groups are passed as keyword arguments."""
        self.routes.append((method, re.compile(f"^{pattern}$"), handler))

    @property
    def url(self) -> str:
        host, port = str(self.server_address[0]), self.server_address[1]
        return f"http://{host}:{port}"

    def start(self) -> SandboxServer:
        # a short poll interval: stop() returns at once instead of after up to half a second
        self._thread = threading.Thread(
            target=self.serve_forever, args=(0.05,), name=f"sandbox-{self.kind}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    # --- faults -----------------------------------------------------------------
    def roll(self, probability: float) -> bool:
        if probability <= 0:
            return False
        with self.rng_lock:
            return self.rng.random() < probability

    def set_faults(self, values: dict[str, Any]) -> None:
        self.faults.update(values)
        if "seed" in values:
            with self.rng_lock:
                self.rng = random.Random(self.faults.seed)

    def error_body(self, status: int, message: str) -> Response:
        """How this kind says 'error'; XML sandboxes override."""
        return Response.json(status, {"error": message})


class _RequestHandler(BaseHTTPRequestHandler):
    server: SandboxServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read stats instead
        pass

    def _handle(self) -> None:
        srv = self.server
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        srv.stats["requests"] += 1
        if parts.path == "/__sandbox/faults" and self.command == "POST":
            try:
                srv.set_faults(json.loads(body or b"{}"))
            except (ValueError, TypeError) as exc:
                return self._send(Response.json(400, {"error": str(exc)}))
            return self._send(Response.json(200, asdict(srv.faults)))
        if parts.path == "/__sandbox/stats":
            return self._send(Response.json(200, srv.stats))
        req = Request(self.command, parts.path, parts.query, dict(self.headers.items()), body)
        try:
            req.app_id = srv.verifier.verify(self.command, parts.path, parts.query, req.headers, body)
        except SignatureError as exc:
            srv.stats["unauthorized"] += 1
            return self._send(srv.error_body(401, str(exc)))
        f = srv.faults
        if srv.roll(f.drop):
            srv.stats["faults"] += 1
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return None
        if srv.roll(f.error_5xx):
            srv.stats["faults"] += 1
            return self._send(srv.error_body(srv.rng.choice([500, 502, 503]), "sandbox fault"))
        if srv.roll(f.too_many):
            srv.stats["faults"] += 1
            resp = srv.error_body(429, "too many requests")
            resp.headers = {"Retry-After": str(f.retry_after)}
            return self._send(resp)
        if srv.roll(f.slow):
            time.sleep(f.slow_seconds)
        for method, pattern, handler in srv.routes:
            m = pattern.match(parts.path)
            if m and method == self.command:
                try:
                    return self._send(handler(req, **m.groupdict()))
                except BrokenPipeError:
                    return None
        return self._send(srv.error_body(404, f"no route {self.command} {parts.path}"))

    def _send(self, resp: Response) -> None:
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.content_type)
        self.send_header("Content-Length", str(len(resp.body)))
        for k, v in (resp.headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(resp.body)

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _handle
