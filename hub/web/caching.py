"""Public pages built for a crowd: rendered without the session, cacheable, answered 304 when unchanged.

A public page is the same for everyone, so it is rendered without the app's context processors (which
look up who is signed in, touching the session cookie): the response carries no Set-Cookie and no
``Vary: Cookie``, and any shared cache in front may keep it. Its ETag is a digest of the body, and
``If-None-Match`` / ``If-Modified-Since`` get a bodiless 304.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from flask import Response, current_app, request

from hub import appctx


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
