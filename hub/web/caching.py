"""Public pages built for a crowd: rendered without the session, cacheable, answered 304 when unchanged.

A public page is the same for everyone, so it is rendered without the app's context processors (which
look up who is signed in, touching the session cookie): the response carries no Set-Cookie and no
``Vary: Cookie``, and any shared cache in front may keep it. Its ETag is a digest of the body, and
``If-None-Match`` / ``If-Modified-Since`` get a bodiless 304.

Each web process also keeps the answers it gave in a micro-cache (hub.microcache: an LRU bounded in
bytes, ``[portal] response_cache_mb``): the same URL (host, path, query, so the language too) asked
again within ``[portal] response_cache_seconds`` is answered from memory with no SQL and no render.
That many seconds is the bound on staleness. Only what ``public_response`` answered is kept: a
successful public page or twin; never an error, a streamed download or any signed-in page.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, current_app, g, request

from hub import appctx
from hub.microcache import MicroCache

_EXTENSION = "hub_public_cache"
_KEPT_HEADERS = ("Content-Disposition",)


def register_public_cache(app: Flask, *blueprints: str) -> None:
    """Give the app its micro-cache and answer the blueprints' GET requests from it when it can."""
    portal = app.extensions["hub_settings"].portal
    app.extensions[_EXTENSION] = MicroCache(portal.response_cache_mb * 1024 * 1024, portal.response_cache_seconds)
    cached = frozenset(blueprints)

    @app.before_request
    def _from_cache() -> Response | None:
        return _answer_from_cache() if request.blueprint in cached and request.method == "GET" else None


def public_cache() -> MicroCache:
    return current_app.extensions[_EXTENSION]


def _key() -> str:
    return request.url  # scheme, host, path and query (``?lang=`` included): what the page depends on


def _answer_from_cache() -> Response | None:
    cache = public_cache()
    entry = cache.get(_key())
    if entry is None:
        g.public_cache_miss = True
        return None
    mimetype, etag, last_modified, headers = entry.meta
    response = Response(entry.body, mimetype=mimetype)
    response.set_etag(etag)
    if last_modified is not None:
        response.last_modified = last_modified
    response.headers.update(headers)
    _cache_headers(response)
    response.make_conditional(request)
    return response


def render_public(template: str, **context: Any) -> str:
    """A template rendered with only what it is given (and the environment's globals: url_for, gettext),
    in the language the URL asks for (``?lang=en``), never the one a cookie remembers: the page is the
    same for every reader of its URL."""
    from flask_babel import force_locale

    from hub.web.i18n import DEFAULT_LOCALE, _wanted

    language = _wanted(request.args.get("lang")) or DEFAULT_LOCALE
    with force_locale(language):
        return current_app.jinja_env.get_template(template).render(html_lang=language.replace("_", "-"), **context)


def public_response(
    body: str | bytes,
    mimetype: str = "text/html",
    *,
    last_modified: datetime | None = None,
    filename: str | None = None,
) -> Response:
    """The body with its validators and caching headers; 304 (no body) when the client's copy is current."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    response = Response(data, mimetype=mimetype)
    response.set_etag(hashlib.blake2b(data, digest_size=16).hexdigest())
    if last_modified is not None:
        response.last_modified = last_modified if last_modified.tzinfo else last_modified.replace(tzinfo=UTC)
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    _cache_headers(response)
    if g.get("public_cache_miss"):  # asked through a cached blueprint: keep it for the next reader
        kept = {name: response.headers[name] for name in _KEPT_HEADERS if name in response.headers}
        public_cache().put(_key(), data, (mimetype, response.get_etag()[0], response.last_modified, kept))
    response.make_conditional(request)  # turns itself into the 304 when the client's copy is current
    return response


def public_stream(lines: Iterable[bytes], mimetype: str, filename: str) -> Response:
    """A download too big to hold in memory, sent as it is read (cacheable, without an ETag)."""
    response = Response(lines, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    _cache_headers(response)
    return response


def _cache_headers(response: Response) -> None:
    seconds = appctx.settings().portal.cache_seconds
    response.headers["Cache-Control"] = f"public, max-age={seconds}" if seconds else "no-cache"
