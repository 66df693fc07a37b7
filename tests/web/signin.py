"""What a signed-out visitor to a staff page gets: a redirect to the sign-in form, and back after."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit


def sends_to_sign_in(response, path: str | None = None) -> bool:  # type: ignore[no-untyped-def]
    """The response redirects to /login, with ``next`` pointing back at ``path`` when given."""
    if response.status_code != 302:
        return False
    target = urlsplit(response.headers["Location"])
    if target.path != "/login":
        return False
    return path is None or parse_qs(target.query).get("next", [""])[0] == path
