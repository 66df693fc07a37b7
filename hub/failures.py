"""Every failure answered the same way: a JSON problem under /api/, a page in Chinese elsewhere.

HubErrors carry their status; HTTP errors (400, 404, 405, 413 ...) keep theirs; a database or
broker that cannot be reached is 503 with Retry-After; anything else is logged and answered 500
without its text (which may hold internals)."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException

from hub.display import N_
from hub.errors import HubError, InvalidInput, TooManyRequests, Unauthorized, Unavailable

log = logging.getLogger("hub.web")

TITLES_ZH = {
    400: N_("请求有误"),
    401: N_("请先登录"),
    403: N_("无权访问"),
    404: N_("未找到"),
    405: N_("不支持该请求方法"),
    409: N_("与现有数据冲突"),
    413: N_("提交的内容过大"),
    415: N_("不支持的内容类型"),
    422: N_("数据有误"),
    429: N_("请求过于频繁"),
    500: N_("服务器内部错误"),
    502: N_("上游系统出错"),
    503: N_("服务暂不可用"),
}


def _unavailable_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean the database or the broker cannot be reached right now."""
    import sqlalchemy.exc as sa_exc

    kinds: list[type[BaseException]] = [
        sa_exc.OperationalError,
        sa_exc.InterfaceError,
        sa_exc.DisconnectionError,
        sa_exc.TimeoutError,
    ]
    try:
        import kombu.exceptions

        kinds.append(kombu.exceptions.OperationalError)
    except ImportError:  # pragma: no cover
        pass
    try:
        import redis.exceptions

        kinds += [redis.exceptions.ConnectionError, redis.exceptions.TimeoutError]
    except ImportError:  # pragma: no cover
        pass
    return tuple(kinds)


def answer(exc: HubError):
    """The response for a HubError: a problem for the API, a Chinese page for people."""
    if request.path.startswith("/api/"):
        from hub.api.problems import problem

        resp = problem(exc)
    elif isinstance(exc, Unauthorized) and request.method in ("GET", "HEAD"):
        # a signed-out visitor to a staff page signs in first, then comes back to it
        from flask import redirect, url_for

        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    else:
        if exc.http_status >= 500:
            from flask import g

            g.principal = None  # the page's header must not ask the database that just failed
        resp = render_template(
            "error.html", error=exc, title_zh=TITLES_ZH.get(exc.http_status, "出错了"), status=exc.http_status
        )
        from flask import make_response

        resp = make_response(resp, exc.http_status)
    if isinstance(exc, TooManyRequests):
        resp.headers["Retry-After"] = str(exc.retry_after)
    elif isinstance(exc, Unavailable):
        resp.headers["Retry-After"] = "30"
    return resp


def _from_http(exc: HTTPException) -> HubError:
    err = HubError(exc.description or exc.name)
    err.http_status, err.title = exc.code or 500, (exc.name or "error").lower()
    return err


def register_failures(app: Flask) -> None:
    unavailable = _unavailable_errors()

    @app.errorhandler(HubError)
    def _hub_error(exc: HubError):
        return answer(exc)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if exc.code == 404:
            from hub.errors import NotFound

            if request.path.startswith("/api/"):
                return answer(NotFound(f"no such resource: {request.path}"))
            from flask_babel import gettext

            return answer(NotFound(gettext("没有这个页面：%(path)s", path=request.path)))
        from flask_wtf.csrf import CSRFError

        if isinstance(exc, CSRFError) and not request.path.startswith("/api/"):
            from flask_babel import gettext

            err = InvalidInput(gettext("表单缺少安全令牌或已过期，请刷新页面后重新提交"), where="csrf_token")
            return answer(err)
        return answer(_from_http(exc))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        import sqlalchemy.exc as sa_exc

        if isinstance(exc, unavailable):
            log.warning("unavailable: %s %s: %s", request.method, request.path, type(exc).__name__)
            return answer(
                Unavailable(
                    "the database or the message broker cannot be reached; nothing was changed, try again shortly"
                )
            )
        if isinstance(exc, sa_exc.DataError):
            return answer(InvalidInput("a value is malformed or too long for where it is stored", where=request.path))
        if isinstance(exc, RecursionError):
            return answer(InvalidInput("the request is nested too deeply", where="body"))
        log.exception("unexpected error on %s %s", request.method, request.path)
        err = HubError("an unexpected error; it has been logged")
        err.http_status, err.title = 500, "internal error"
        return answer(err)
