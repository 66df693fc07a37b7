"""The hub's Flask class: JSON bodies bounded in depth. Its own module, so that importing `hub` (as
`hub draw offline` and `hub verify` do) does not import the web stack."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider

MAX_JSON_DEPTH = 64


class BoundedJSONProvider(DefaultJSONProvider):
    """Refuses JSON nested deeper than MAX_JSON_DEPTH as malformed (a 400, never a crash deeper in)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            data = super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels") from None
        stack = [(data, 1)]
        while stack:
            value, depth = stack.pop()
            if isinstance(value, (dict, list)):
                if depth > MAX_JSON_DEPTH:
                    raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
                stack.extend((v, depth + 1) for v in (value.values() if isinstance(value, dict) else value))
        return data


class HubFlask(Flask):
    json_provider_class = BoundedJSONProvider
