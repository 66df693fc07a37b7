"""The hub's errors: each carries a user-facing message naming what is wrong and where."""

from __future__ import annotations


class HubError(Exception):
    """Base of every error the hub reports to a person or a machine."""

    exit_code = 1
    http_status = 400
    title = "error"

    def __init__(self, message: str, *, where: str | None = None) -> None:
        self.message = message
        self.where = where
        super().__init__(self.__str__())

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class ConfigError(HubError):
    title = "configuration error"
    exit_code = 78  # EX_CONFIG


class InvalidInput(HubError):
    title = "invalid input"
    http_status = 400
    exit_code = 65  # EX_DATAERR


class NotFound(HubError):
    title = "not found"
    http_status = 404
    exit_code = 66


class Conflict(HubError):
    """The request contradicts what is stored (a second draw, a duplicate id)."""

    title = "conflict"
    http_status = 409
    exit_code = 75


class Forbidden(HubError):
    title = "forbidden"
    http_status = 403
    exit_code = 77  # EX_NOPERM


class Unauthorized(HubError):
    title = "unauthorized"
    http_status = 401
    exit_code = 77


class UpstreamError(HubError):
    """An external system failed or answered something we cannot use."""

    title = "upstream error"
    http_status = 502
    exit_code = 69  # EX_UNAVAILABLE


class DrawError(HubError):
    """JDP-1 or its lifecycle refused to proceed; nothing was recorded as drawn."""

    title = "draw error"
    http_status = 409
    exit_code = 70


class PayloadTooLarge(HubError):
    """The request body is over a configured size (``[security]`` in the configuration)."""

    title = "payload too large"
    http_status = 413
    exit_code = 65


class TooManyRequests(HubError):
    """A rate limit or a login lock: try again after ``retry_after`` seconds."""

    title = "too many requests"
    http_status = 429
    exit_code = 75  # EX_TEMPFAIL

    def __init__(self, message: str, *, retry_after: int, where: str | None = None) -> None:
        self.retry_after = max(1, int(retry_after))
        super().__init__(message, where=where)


class Unavailable(HubError):
    """The database or the broker cannot be reached; nothing was changed."""

    title = "service unavailable"
    http_status = 503
    exit_code = 69  # EX_UNAVAILABLE
