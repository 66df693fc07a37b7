"""Public pages built for a crowd: rendered without the session, cacheable, answered 304 when unchanged.

A public page is the same for everyone, so it is rendered without the app's context processors (which
look up who is signed in, touching the session cookie): the response carries no Set-Cookie and no
``Vary: Cookie``, and any shared cache in front may keep it. Its ETag is a digest of the body, and
``If-None-Match`` / ``If-Modified-Since`` get a bodiless 304.

The answers given are kept in a response cache shared by every web process: in Redis when the broker
is Redis (with a near copy of what this process read or stored lately in its memory), in this process's
memory otherwise (hub.microcache). The key is the URL (host, path, query, so the language too), the day
(UTC) and the generation of the public *data* (hub.db): every transaction that writes public data raises
that number as it commits, and a request reads it before anything else, so a kept answer is never stale;
``[portal] response_cache_seconds`` only says how long an answer nobody asks for again is kept. The two
other kinds of public data, the outbox (delivery dates) and the audit log (its head, on the home page),
have numbers of their own: the entry holds the numbers of those a page read while rendered (the engine
records them, hub.db.track_reads), and is answered only while they are unchanged, so a delivery or an
audit entry renders anew only the pages that show them.

A hit is answered by a thin WSGI layer before Flask's dispatch (``PublicPagesFromCache``): one read of
the generations (one statement, one round trip), one cache look-up, and no request context, session,
routing or view. Only what ``public_response`` answered is kept: a successful public page or twin;
never an error, a streamed download or any signed-in page. ``X-Cache: hit|miss`` says which it was.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from flask import Flask, Response, current_app, g, request
from werkzeug.wrappers import Request as WerkzeugRequest
from werkzeug.wrappers import Response as WerkzeugResponse

from hub import appctx
from hub.clock import utcnow
from hub.db import DATA, stop_tracking_reads, track_reads
from hub.microcache import Entry, MicroCache, RedisCache, TieredCache
from hub.version import VERSION
from hub.web.headers import security_headers
from hub.web.i18n import remember_language

if TYPE_CHECKING:
    from hub.db import Database

_EXTENSION = "hub_public_cache"
_ENVIRON_KEY = "hub.public_cache_key"  # the key a request was looked up under before Flask's dispatch
_R = TypeVar("_R", bound=WerkzeugResponse)
_KEPT_HEADERS = ("Content-Disposition",)


def register_public_cache(app: Flask, *blueprints: str) -> None:
    """Give the app its response cache and answer the blueprints' GET requests from it when it can:
    before Flask's dispatch (``PublicPagesFromCache``, for every URL under ``/public/``), or, for a
    request that layer did not see, before the view (a ``before_request``)."""
    settings = app.extensions["hub_settings"]
    portal = settings.portal
    budget = portal.response_cache_mb * 1024 * 1024
    near = MicroCache(budget, portal.response_cache_seconds)
    if settings.broker_url and settings.broker_url.startswith(("redis://", "rediss://", "unix://")):
        far = RedisCache(settings.broker_url, portal.response_cache_seconds, budget // 8, _encode_meta, _decode_meta)
        app.extensions[_EXTENSION] = TieredCache(near, far)
    else:
        app.extensions[_EXTENSION] = near
    cached = frozenset(blueprints)
    app.wsgi_app = PublicPagesFromCache(app, app.wsgi_app)  # type: ignore[method-assign]

    @app.before_request
    def _from_cache() -> Response | None:
        if request.blueprint not in cached or request.method != "GET":
            return None
        looked_up = request.environ.get(_ENVIRON_KEY)
        answer = None
        if looked_up is not None:  # asked of the cache before Flask's dispatch, and not found there
            g.public_cache_key, g.public_generations = looked_up
        else:
            answer = _answer_from_cache()
        if answer is None and g.get("public_cache_key") is not None:
            g.public_reads = track_reads()  # what the page reads besides DATA: the kinds it depends on
        return answer

    @app.teardown_request
    def _stop_tracking(_exc: BaseException | None) -> None:
        stop_tracking_reads()


def public_cache() -> MicroCache | TieredCache:
    return current_app.extensions[_EXTENSION]


class PublicPagesFromCache:
    """A thin WSGI layer in front of Flask: a GET of a page under ``/public/`` whose answer is kept is
    answered here, with no request context, session, URL routing or view: the generation read, one
    cache look-up, and the same status, body and headers as Flask's way (``_answer``, then the security
    headers and the language cookie that Flask's ``after_request`` functions add). Anything else, or
    anything that goes wrong here, goes on to Flask, carrying the key it was looked up under (so the
    generation is read once per request, before any data)."""

    PREFIX = "/public/"

    def __init__(self, app: Flask, wsgi_app: Any) -> None:
        self.app, self.wsgi_app = app, wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if (
            environ.get("REQUEST_METHOD") == "GET"
            and environ.get("PATH_INFO", "").startswith(self.PREFIX)
            and environ.get("CONTENT_LENGTH") in (None, "", "0")  # a body: Flask's bounds judge it
        ):
            try:
                answer = self._answer(environ)
            except Exception:  # noqa: BLE001  (the database out of reach, ...: Flask answers, or fails properly)
                environ.pop(_ENVIRON_KEY, None)
                answer = None
            if answer is not None:
                return answer(environ, start_response)
        return self.wsgi_app(environ, start_response)

    def _answer(self, environ: dict[str, Any]) -> WerkzeugResponse | None:
        cache: MicroCache | TieredCache = self.app.extensions[_EXTENSION]
        if not cache.enabled:
            return None
        asked = WerkzeugRequest(environ)
        if "\x00" in asked.path:  # Flask's bounds refuse it
            return None
        generations = self.app.extensions["hub_db"].generations()
        key = cache_key(self.app.extensions["hub_db"], generations, asked.url)
        environ[_ENVIRON_KEY] = (key, generations)
        entry = _look_up(cache, key, generations)
        if entry is None:
            return None
        seconds = self.app.extensions["hub_settings"].portal.cache_seconds
        response = _from_entry(entry, asked, seconds, Response)
        return remember_language(asked, security_headers(asked, response))


def cache_key(db: Database, generations: dict[str, int], url: str) -> str:
    """What the answer depends on: the database, the hub's version (a new release renders anew), the
    published data (its generation, read before any of the data), the day (the open-data years), and
    the URL: scheme, host, path and query (``?lang=`` included). The other kinds of public data a page
    read (deliveries, the audit log) are kept in the entry with their generations (``_current``)."""
    return f"{_database_tag(db.url)}|{VERSION}|{generations[DATA]}|{utcnow().date().isoformat()}|{url}"


def _look_up(cache: MicroCache | TieredCache, key: str, generations: dict[str, int]) -> Entry | None:
    """The entry kept under ``key`` if every other kind of public data its page read is still at the
    generation it was read at (else the page may show something older: a miss, rendered and kept anew
    under the key). With Redis, a near copy out of date is passed over for Redis's, which another
    process may have rendered anew."""

    def current(entry: Entry) -> bool:
        depends: dict[str, int] = entry.meta[4]
        return all(generations.get(kind) == number for kind, number in depends.items())

    if isinstance(cache, TieredCache):
        return cache.get(key, current)
    entry = cache.get(key)
    return entry if entry is not None and current(entry) else None


@functools.lru_cache(maxsize=8)
def _database_tag(url: str) -> str:
    """A short name of the database (two hubs sharing one Redis never answer from each other's pages)."""
    return hashlib.blake2b(url.encode("utf-8"), digest_size=6).hexdigest()


def _answer_from_cache() -> Response | None:
    cache = public_cache()
    if not cache.enabled:
        return None
    db = appctx.database()
    g.public_generations = generations = db.generations()
    g.public_cache_key = key = cache_key(db, generations, request.url)
    entry = _look_up(cache, key, generations)
    if entry is None:
        return None
    return _from_entry(entry, request, appctx.settings().portal.cache_seconds, Response)


def _from_entry(entry: Entry, asked: WerkzeugRequest, cache_seconds: int, cls: type[_R]) -> _R:
    """The kept answer as a response to ``asked`` (a bodiless 304 when the client's copy is current)."""
    mimetype, etag, last_modified, headers, _depends = entry.meta
    response = cls(entry.body, mimetype=mimetype)
    response.set_etag(etag)
    if last_modified is not None:
        response.last_modified = last_modified
    response.headers.update(headers)
    response.headers["X-Cache"] = "hit"
    _cache_headers(response, cache_seconds)
    response.make_conditional(asked)
    return response


Meta = tuple[str, str, datetime | None, dict[str, str], dict[str, int]]


def _encode_meta(meta: Meta) -> list[Any]:
    mimetype, etag, last_modified, headers, depends = meta
    return [mimetype, etag, last_modified.isoformat() if last_modified else None, headers, depends]


def _decode_meta(stored: list[Any]) -> Meta:
    mimetype, etag, last_modified, headers, depends = stored
    return mimetype, etag, datetime.fromisoformat(last_modified) if last_modified else None, headers, depends


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
    _cache_headers(response, appctx.settings().portal.cache_seconds)
    key = g.get("public_cache_key")
    if key is not None:  # asked through a cached blueprint and not found there: keep it for the next reader
        kept = {name: response.headers[name] for name in _KEPT_HEADERS if name in response.headers}
        generations = g.public_generations
        depends = {kind: generations[kind] for kind in sorted(g.get("public_reads") or ())}
        public_cache().put(key, data, (mimetype, response.get_etag()[0], response.last_modified, kept, depends))
        response.headers["X-Cache"] = "miss"
    response.make_conditional(request)  # turns itself into the 304 when the client's copy is current
    return response


def public_stream(lines: Iterable[bytes], mimetype: str, filename: str) -> Response:
    """A download too big to hold in memory, sent as it is read (cacheable, without an ETag)."""
    response = Response(lines, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    _cache_headers(response, appctx.settings().portal.cache_seconds)
    return response


def _cache_headers(response: WerkzeugResponse, seconds: int) -> None:
    response.headers["Cache-Control"] = f"public, max-age={seconds}" if seconds else "no-cache"
