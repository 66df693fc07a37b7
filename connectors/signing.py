"""Request signing of interfaces.md, both directions (pure: no I/O).

canonical = METHOD LF path LF sorted_query LF timestamp LF nonce LF hex(H(body))
X-Signature = hex(HMAC-H(app_secret, canonical)), H = SHA-256, or SM3 with X-Sign-Method: HMAC-SM3.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote

SIGN_METHODS = {"HMAC-SHA256": "sha256", "HMAC-SM3": "sm3"}
MAX_SKEW_SECONDS = 300
NONCE_TTL_SECONDS = 600


class SignatureError(Exception):
    """Why a receiver refuses a request (answered with 401)."""


def _enc(text: str) -> str:
    return quote(text, safe="-_.~")


def sorted_query(query: str | Iterable[tuple[str, str]] | None) -> str:
    """Percent-encode each name and value, sort by name then value, join with '&'."""
    if not query:
        return ""
    pairs = parse_qsl(query, keep_blank_values=True) if isinstance(query, str) else list(query)
    return "&".join(f"{n}={v}" for n, v in sorted((_enc(str(n)), _enc(str(v))) for n, v in pairs))


def canonical_request(
    method: str,
    path: str,
    query: str | Iterable[tuple[str, str]] | None,
    timestamp: str,
    nonce: str,
    body: bytes,
    sign_method: str = "HMAC-SHA256",
) -> bytes:
    body_hash = hashlib.new(SIGN_METHODS[sign_method], body or b"").hexdigest()
    return "\n".join([method.upper(), path or "/", sorted_query(query), timestamp, nonce, body_hash]).encode("utf-8")


def signature(secret: str, canonical: bytes, sign_method: str = "HMAC-SHA256") -> str:
    return hmac.new(secret.encode("utf-8"), canonical, SIGN_METHODS[sign_method]).hexdigest()


def sign_headers(
    app_id: str,
    secret: str,
    method: str,
    path: str,
    query: str | Iterable[tuple[str, str]] | None,
    body: bytes,
    sign_method: str = "HMAC-SHA256",
    now: float | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """The four (or five) headers that sign one request."""
    ts = str(int(now if now is not None else time.time()))
    nonce = nonce or secrets.token_hex(16)
    canon = canonical_request(method, path, query, ts, nonce, body, sign_method)
    headers = {
        "X-App-Id": app_id,
        "X-Timestamp": ts,
        "X-Nonce": nonce,
        "X-Signature": signature(secret, canon, sign_method),
    }
    if sign_method != "HMAC-SHA256":
        headers["X-Sign-Method"] = sign_method
    return headers


@dataclass
class SignatureVerifier:
    """Checks signed requests: known app id, clock skew, nonce replay, signature."""

    secrets_by_app: Mapping[str, str]
    max_skew: int = MAX_SKEW_SECONDS
    nonce_ttl: int = NONCE_TTL_SECONDS

    def __post_init__(self) -> None:
        self._seen: dict[str, float] = {}
        self._order: deque[tuple[float, str]] = deque()
        self._lock = threading.Lock()

    def verify(
        self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes, now: float | None = None
    ) -> str:
        """Return the app id, or raise SignatureError saying why the request is refused."""
        now = time.time() if now is None else now
        get = {k.lower(): v for k, v in headers.items()}.get
        app_id, ts, nonce, sig = (get("x-app-id"), get("x-timestamp"), get("x-nonce"), get("x-signature"))
        if not (app_id and ts and nonce and sig):
            raise SignatureError("missing signature headers")
        if app_id not in self.secrets_by_app:
            raise SignatureError(f"unknown app id {app_id!r}")
        sign_method = get("x-sign-method") or "HMAC-SHA256"
        if sign_method not in SIGN_METHODS:
            raise SignatureError(f"unknown sign method {sign_method!r}")
        try:
            skew = abs(now - int(ts))
        except ValueError:
            raise SignatureError("X-Timestamp is not Unix seconds") from None
        if skew > self.max_skew:
            raise SignatureError(f"clock skew of {int(skew)} s exceeds {self.max_skew} s")
        if len(nonce) < 16 or any(c not in "0123456789abcdefABCDEF" for c in nonce):
            raise SignatureError("X-Nonce must be 16 or more hex characters")
        expected = signature(
            self.secrets_by_app[app_id],
            canonical_request(method, path, query, ts, nonce, body, sign_method),
            sign_method,
        )
        if not hmac.compare_digest(expected, sig):
            raise SignatureError("wrong signature")
        with self._lock:
            while self._order and now - self._order[0][0] > self.nonce_ttl:
                self._seen.pop(self._order.popleft()[1], None)
            if nonce in self._seen:
                raise SignatureError("nonce already used")
            self._seen[nonce] = now
            self._order.append((now, nonce))
        return app_id
