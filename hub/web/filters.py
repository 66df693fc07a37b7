"""The Jinja filters of hub/display.py, by the same names, with names of states translated when the
page is in English: ``|district |agency |category |state(kind) |outcome |local_time |zh_date``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from flask import Flask, current_app, request, url_for
from flask_babel import gettext

from hub import display


def state(value: str | None, kind: str = "task") -> str:
    return gettext(display.state(value, kind))


def role(code: str | None) -> str:
    return gettext(display.role(code))


def outcome(codes: str | Iterable[str] | None) -> str:
    return display.outcome(codes)


def local_time(moment: datetime | str | None, seconds: bool = False) -> str:
    return display.local_time(moment, seconds)


def zh_date(day: date | datetime | str | None) -> str:
    return display.zh_date(day)


def url_with(**changes: Any) -> str:
    """This page's URL with query arguments replaced (None removes one): pager and filter links."""
    args = {k: v for k, v in request.args.items(multi=False)}
    for name, value in changes.items():
        if value is None or value == "":
            args.pop(name, None)
        else:
            args[name] = str(value)
    query = urlencode(args)
    return request.path + (f"?{query}" if query else "")


_MARK = "HUBLINKVALUE"


def link_for(endpoint: str, name: str) -> Callable[[Any], str]:
    """``value -> url_for(endpoint, **{name: value})`` for a table's rows, built with one ``url_for`` and
    the rule's own converter (the same quoting): a page of 50 rows calls it 50 times at the price of
    string concatenation, not of URL building (~5 µs each)."""
    values: dict[str, Any] = {name: _MARK}
    built = url_for(endpoint, **values)
    head, _, tail = built.partition(_MARK)
    rules = list(current_app.url_map.iter_rules(endpoint))
    to_url = rules[0]._converters[name].to_url  # the converter url_for quotes the value with
    if len(rules) != 1 or "?" in tail:  # several rules, or the value in the query: url_for itself
        return lambda value: url_for(endpoint, **dict(values, **{name: value}))
    return lambda value: head + to_url(value) + tail


def register_filters(app: Flask) -> None:
    app.jinja_env.filters.update(
        district=display.district,
        agency=display.agency,
        category=display.category,
        state=state,
        role=role,
        outcome=outcome,
        local_time=local_time,
        zh_date=zh_date,
    )
    app.jinja_env.globals.update(url_with=url_with, link_for=link_for)
