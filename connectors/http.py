"""One signed, retrying requests.Session for every connector.

Upstream failures are sorted once: 5xx, 429, timeouts and dropped connections
are transient (retried with exponential backoff and full jitter, honouring
Retry-After), any other 4xx is fatal.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests

from connectors.base import ConnectorSettings, FatalError, MalformedResponse, TransientError
from connectors.signing import sign_headers


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    base_delay: float = 0.2
    max_delay: float = 30.0
    max_retry_after: float = 120.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(max, base * 2**attempt)]."""
        return rng.uniform(0, min(self.max_delay, self.base_delay * (2**attempt)))


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds, from either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


class SignedSession:
    """Signs every request with the connector's app id and secret; retries transient failures."""

    def __init__(
        self,
        settings: ConnectorSettings,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.settings = settings
        self.policy = policy or RetryPolicy()
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = "joint-inspection-hub/0.1"
        self.retries = 0  # transient failures seen, for run reports

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Iterable[tuple[str, str]] | None = None,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        stream: bool = False,
        ok_statuses: tuple[int, ...] = (),
    ) -> requests.Response:
        """Send one signed request; return the response once it is 2xx/3xx or in ok_statuses."""
        params = list(params or [])
        parts = urlsplit(url)
        query = urlencode(params) if params else parts.query
        full_url = f"{parts.scheme}://{parts.netloc}{parts.path}" + (f"?{query}" if query else "")
        last: Exception | None = None
        for attempt in range(self.policy.attempts):
            signed = dict(headers or {})
            signed.update(
                sign_headers(
                    self.settings.app_id,
                    self.settings.app_secret,
                    method,
                    parts.path or "/",
                    query,
                    body,
                    self.settings.sign_method,
                )
            )
            delay: float | None = None
            try:
                resp = self.session.request(
                    method, full_url, data=body or None, headers=signed, timeout=self.settings.timeout, stream=stream
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                last = TransientError(f"{method} {parts.path}: {type(exc).__name__}: {exc}")
            else:
                if resp.status_code < 400 or resp.status_code in ok_statuses:
                    return resp
                text = _short(resp)
                resp.close()
                if resp.status_code == 429 or resp.status_code >= 500:
                    last = TransientError(f"{method} {parts.path}: HTTP {resp.status_code} {text}")
                    if resp.status_code == 429:
                        delay = retry_after_seconds(resp.headers.get("Retry-After"))
                        if delay is not None:
                            delay = min(delay, self.policy.max_retry_after)
                else:
                    raise FatalError(f"{method} {parts.path}: HTTP {resp.status_code} {text}")
            self.retries += 1
            if attempt + 1 < self.policy.attempts:
                self.sleep(delay if delay is not None else self.policy.backoff(attempt, self.rng))
        assert last is not None
        raise last

    def get(self, url: str, **kw: Any) -> requests.Response:
        return self.request("GET", url, **kw)

    def close(self) -> None:
        self.session.close()


def json_with_items(content: bytes, where: str, what: str = "page") -> dict[str, Any]:
    """A JSON object with a list ``items`` (the shape of interfaces.md's JSON sources), or
    MalformedResponse saying what is wrong and where."""
    try:
        body = json.loads(content)
    except ValueError as exc:
        raise MalformedResponse(f"{where}: the {what} is not valid JSON ({exc})") from None
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        raise MalformedResponse(f"{where}: the {what} has no list 'items'")
    return body


_SCAN: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # a C attribute the stubs lack
# (scan_once reads one JSON value from a position and returns it with the position after it)
_SPACE = re.compile(r"[ \t\n\r]*")
_BLANK_OR_CLOSE = frozenset(" \t\n\r]")


def json_with_items_as_sent(content: bytes, where: str, what: str = "page") -> tuple[dict[str, Any], list[str]]:
    """``json_with_items``, plus each item's own text exactly as the source sent it (what a record's
    ``raw`` keeps), sliced from the page instead of encoded again. Anything unusual in the page's
    layout goes the plain way, with items re-encoded."""
    page = JsonPage(content, where, what)
    return page.body, page.raws()


class JsonPage:
    """A JSON page of items (``json_with_items``'s shape): ``body`` and ``items`` parsed at once; each
    item's text as sent (``raws``) made only when asked for; and, in the common layout, a fingerprint of
    the items' text, which is all a caller needs to recognise a page it has seen before."""

    def __init__(self, content: bytes, where: str, what: str = "page") -> None:
        self.content, self.where, self.what = content, where, what
        try:
            self.text: str | None = content.decode("utf-8")
            body = json.loads(self.text)
        except ValueError:  # (a UnicodeDecodeError is one too)
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("items"), list):
            self.text = None  # the plain reader decides: MalformedResponse, or a page in another encoding
            body = json_with_items(content, where, what)
        self.body: dict[str, Any] = body
        self.items: list[Any] = body["items"]
        self._span = _flat_span(content, self.items) if self.text is not None else None

    def fingerprint(self, salt: bytes) -> bytes | None:
        """A digest (16 bytes of SHA-256) of ``salt`` and the page's items exactly as sent, from the first
        item's first byte to the last item's last, or None when the layout does not show where they lie
        at a glance (see ``_flat_span``). The same fingerprint means the same items in the same order,
        whatever else the page says (its time, its cursor)."""
        if self._span is None:
            return None
        first, end = self._span
        digest = hashlib.sha256(salt)
        digest.update(memoryview(self.content)[first:end])
        return digest.digest()[:16]

    def raws(self) -> list[str]:
        """Each item's text as sent."""
        text, items = self.text, self.items
        try:
            if text is not None:
                if self._span is not None and (raws := _split_flat(text, len(items))) is not None:
                    return raws
                return _split_items(text)[1]
        except (ValueError, IndexError, StopIteration, TypeError):
            pass
        return [json.dumps(item, ensure_ascii=False) for item in items]


def _flat_span(content: bytes, items: list[Any]) -> tuple[int, int] | None:
    """Where the items' text lies in ``content`` (from the first item's "{" to just after the last one's
    "}") when the page's only braces are its own and its items' (every item an object holding no object,
    no brace inside any string); None for any other layout, or no items. UTF-8 never puts a brace's byte
    inside another character, so counting bytes is counting characters."""
    n = len(items)
    if not n or content.count(b"{") != n + 1 or content.count(b"}") != n + 1 or set(map(type, items)) != {dict}:
        return None
    first = content.index(b"{", content.index(b"{") + 1)
    return first, content.rindex(b"}", 0, content.rindex(b"}")) + 1


def _split_flat(text: str, n: int) -> list[str] | None:
    """The items' texts of a page in the flat layout (``_flat_span``) whose items are separated by exactly
    ", ", split by C string methods: then every "}, {" in the text is a boundary between two items, and
    the text between the first item's "{" and the last item's "}" splits into exactly the items' texts
    (a split count equal to the item count proves it). None for another separator."""
    first = text.index("{", text.index("{") + 1)
    last = text.rindex("}", 0, text.rindex("}"))
    parts = text[first + 1 : last].split("}, {")
    if len(parts) != n:
        return None
    return [f"{{{part}}}" for part in parts]


def _split_items(text: str) -> tuple[dict[str, Any], list[str]]:
    """Walk the top-level object key by key; inside "items", keep each element's text span."""
    space: Any = _SPACE.match  # always matches (possibly nothing)
    scan = _SCAN
    body: dict[str, Any] = {}
    raws: list[str] = []
    at = space(text, 0).end()
    if text[at] != "{":
        raise ValueError("not an object")
    at = space(text, at + 1).end()
    while text[at] != "}":
        key, at = scan(text, at)
        at = space(text, at).end()
        if not isinstance(key, str) or text[at] != ":":
            raise ValueError("not a member")
        at = space(text, at + 1).end()
        if key == "items" and text[at] == "[":
            items: list[Any] = []
            raws = []
            add_item, add_raw = items.append, raws.append
            at = space(text, at + 1).end()
            while text[at] != "]":
                start = at
                item, at = scan(text, at)
                add_item(item)
                add_raw(text[start:at])
                # the common layout (", " between items) at a glance; anything else the careful way
                if text[at : at + 2] == ", " and text[at + 2] not in _BLANK_OR_CLOSE:
                    at += 2
                else:
                    at = _next_element(text, at, "]")
            body[key] = items
            at += 1
        else:
            body[key], at = scan(text, at)
        at = _next_element(text, at, "}")
    if space(text, at + 1).end() != len(text) or not isinstance(body.get("items"), list):
        raise ValueError("more after the object, or no list 'items'")
    return body, raws


def _next_element(text: str, at: int, close: str) -> int:
    """After a value: past its comma to the next element, or at ``close``; ValueError for anything else."""
    at = _SPACE.match(text, at).end()  # type: ignore[union-attr]  # the pattern matches the empty string too: never None
    if text[at] == ",":
        at = _SPACE.match(text, at + 1).end()  # type: ignore[union-attr]  # the pattern matches the empty string too: never None
        if text[at] == close:
            raise ValueError("trailing comma")
    elif text[at] != close:
        raise ValueError(f"no comma before {close!r}")
    return at


def _short(resp: requests.Response) -> str:
    try:
        return resp.text[:200].replace("\n", " ")
    except Exception:  # noqa: BLE001  (a body that cannot be decoded says nothing more)
        return ""
