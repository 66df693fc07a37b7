"""Security headers on every response (pages, API and files alike).

The templates use no inline script or style, so the policy allows only the site's own files;
``frame-ancestors 'none'`` keeps the pages out of other sites' frames (clickjacking)."""

from __future__ import annotations

from typing import TypeVar

from flask import Flask, Response, request
from werkzeug.wrappers import Request as WerkzeugRequest
from werkzeug.wrappers import Response as WerkzeugResponse

_R = TypeVar("_R", bound=WerkzeugResponse)

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def register_headers(app: Flask) -> None:
    @app.after_request
    def _security_headers(response: Response) -> Response:
        return security_headers(request, response)


def security_headers(asked: WerkzeugRequest, response: _R) -> _R:
    """The headers above (HSTS over HTTPS) unless the response has its own (also used by the public
    pages' cache, which answers before Flask's dispatch: hub.web.caching)."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if asked.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response
