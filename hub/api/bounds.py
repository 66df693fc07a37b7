"""Bounds on every request: body sizes, NUL characters, rate limits, and strict parameter parsing.

Sizes come from ``[security]``: a results CSV may be ``max_upload_bytes``, any other body
``max_json_bytes``. A body declared larger is refused with 413 before a byte of it is read;
one sent without a length stops being read at the limit (werkzeug's limited stream).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, g, request

from hub import appctx
from hub.errors import InvalidInput, PayloadTooLarge, TooManyRequests

UPLOAD_ENDPOINTS = frozenset({"api.results_import"})
# endpoint -> (rate-limit bucket, counted per "ip" or per "user")
RATE_LIMITED: dict[str, tuple[str, str]] = {
    "api.verify_record": ("verify", "ip"),
    "api.draw_offline": ("offline_draw", "user"),
}


def body_limit() -> int:
    sec = appctx.settings().security
    return sec.max_upload_bytes if request.endpoint in UPLOAD_ENDPOINTS else sec.max_json_bytes


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"the request body is over the limit of {limit:,} bytes", where="body")


def register_bounds(app: Flask) -> None:
    @app.before_request
    def _bound_request() -> None:
        limit = body_limit()
        request.max_content_length = limit
        if request.content_length is not None and request.content_length > limit:
            raise _too_large(limit)
        if "\x00" in request.path or any("\x00" in k or "\x00" in v for k, v in request.args.items(multi=True)):
            raise InvalidInput("the address contains a NUL character", where="url")
        rule = RATE_LIMITED.get(request.endpoint or "")
        if rule is not None:
            from hub.auth.limits import limiter

            bucket, per = rule
            key = request.remote_addr or "unknown"
            if per == "user":
                from hub.auth.access import current_principal

                principal = current_principal()
                key = principal.name if principal else key
            wait = limiter().hit(bucket, key, appctx.settings().security.rate_limits[bucket])
            if wait:
                raise TooManyRequests(
                    f"too many {bucket} requests; try again in {wait} s", retry_after=wait, where=request.path
                )
        g.setdefault("body_limit", limit)


def copy_body(write: Callable[[bytes], Any], chunk: int = 1 << 16) -> int:
    """Copy the request body to ``write`` chunk by chunk (never whole in memory); 413 past the limit."""
    from werkzeug.exceptions import RequestEntityTooLarge

    limit, total = body_limit(), 0
    stream = request.stream
    try:
        while True:
            data = stream.read(chunk)
            if not data:
                return total
            total += len(data)
            if total > limit:
                raise _too_large(limit)
            write(data)
    except RequestEntityTooLarge:
        raise _too_large(limit) from None


def optional_json_body() -> dict:
    """The JSON object of a request whose body may be empty ({} then)."""
    from hub.api import json_body

    return json_body() if request.get_data() else {}


def int_arg(name: str, default: int, low: int, high: int) -> int:
    """A whole-number query parameter within [low, high], or a 400 naming it."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(f"{raw!r} is not a whole number", where=name) from None
    if not low <= value <= high:
        raise InvalidInput(f"{value} is not between {low} and {high}", where=name)
    return value


def bool_field(body: dict, name: str, default: bool = False) -> bool:
    """A JSON boolean: true or false only ("no", 0 or "false" are refused, not read as true)."""
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise InvalidInput(f"must be true or false, got {value!r}"[:200], where=name)
    return value


def str_list_field(body: dict, name: str, max_items: int = 10_000) -> list[str] | None:
    """A JSON array of strings, or None when absent."""
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput("must be an array of strings", where=name)
    if len(value) > max_items:
        raise InvalidInput(f"at most {max_items} entries", where=name)
    return value


def text_field(body: dict, name: str, max_chars: int) -> None:
    """Refuse a text field longer than ``max_chars`` (or not text) with a 400 naming it."""
    value = body.get(name)
    if value is None:
        return
    if not isinstance(value, str):
        raise InvalidInput("must be text", where=name)
    if len(value) > max_chars:
        raise InvalidInput(f"is {len(value):,} characters; at most {max_chars:,} are accepted", where=name)
