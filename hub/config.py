"""TOML file + environment -> one typed Settings object, read once and passed down.

This is the only module that reads ``os.environ``. Secrets are named in the file
by the environment variable holding them (``app_secret_env``) and wrapped in
``Secret`` so they are never printed.
"""

from __future__ import annotations

import os
import re
import secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hub.errors import ConfigError

SOURCE_KINDS = ("samr-rest", "edu-xml", "csv-drop", "inspectors-rest")
SINK_KINDS = ("provincial-rest", "credit-xml")


class Secret:
    """A secret string whose repr and str never show the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class ConnectorConfig:
    """One configured source or sink: a kind of system plus where and how to reach it."""

    name: str
    kind: str
    url: str
    app_id: str = ""
    app_secret: Secret | None = None
    schedule: str | None = None
    sign_method: str = "HMAC-SHA256"
    timeout: float = 30.0
    options: Mapping[str, Any] = field(default_factory=dict)
    commit_every: int = 100_000  # a source's sync commits its batches in groups of this many records

    def option(self, key: str, default: Any = None) -> Any:
        return self.options.get(key, default)


@dataclass(frozen=True)
class RateLimit:
    """At most ``count`` requests per ``seconds`` from one caller (an IP address or a user)."""

    count: int
    seconds: int

    def __str__(self) -> str:
        return f"{self.count}/{self.seconds}s"


_PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
DEFAULT_RATE_LIMITS = {"verify": "10/minute", "offline_draw": "10/minute", "login_ip": "30/15minute"}


def parse_rate_limit(text: str) -> RateLimit:
    """``"10/minute"``, ``"30/15minute"``, ``"5/second"`` -> RateLimit; ValueError otherwise."""
    count, _, period = str(text).partition("/")
    digits = period.rstrip("abcdefghijklmnopqrstuvwxyz")
    unit = period[len(digits) :]
    if not count.isdigit() or int(count) < 1 or unit not in _PERIODS or (digits and not digits.isdigit()):
        raise ValueError(f'{text!r} is not like "10/minute" (count/[N]second|minute|hour|day)')
    return RateLimit(int(count), int(digits or 1) * _PERIODS[unit])


@dataclass(frozen=True)
class SecurityConfig:
    """Request bounds, sessions and accounts (the ``[security]`` table; docs/security.md)."""

    max_upload_bytes: int = 20 * 1024 * 1024  # a results CSV upload
    max_json_bytes: int = 2 * 1024 * 1024  # any other request body
    verify_inline_bytes: int = 64 * 1024  # larger verifications go to a worker (413 when embedded): ~0.3 s
    secure_cookies: bool = True  # cookies only over HTTPS; off for the demo on loopback
    session_hours: int = 12  # a signed-in session ends after this long
    token_days: int = 90  # default lifetime of a new bearer token (0: no expiry)
    login_failures: int = 5  # failed sign-ins of one account before it is locked
    login_lock_minutes: int = 15  # first lock; each further failure while locked doubles it
    proxies: int = 0  # reverse proxies in front: the client address is theirs to tell
    rate_limits: Mapping[str, RateLimit] = field(
        default_factory=lambda: {k: parse_rate_limit(v) for k, v in DEFAULT_RATE_LIMITS.items()}
    )


_SECURITY_SIZES = {
    "max_upload_mb": ("max_upload_bytes", 1024 * 1024),
    "max_json_kb": ("max_json_bytes", 1024),
    "verify_inline_kb": ("verify_inline_bytes", 1024),
}
_SECURITY_INTS = ("proxies", "session_hours", "token_days", "login_failures", "login_lock_minutes")


def _security(raw: Any, environ: Mapping[str, str]) -> SecurityConfig:
    """The ``[security]`` table; HUB_SECURE_COOKIES=0|1 overrides ``secure_cookies``."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError("must be a table", where="[security]")
    values: dict[str, Any] = {}
    for key, value in raw.items():
        where = f"[security] {key}"
        if key in _SECURITY_SIZES or key in _SECURITY_INTS:
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ConfigError(f"{value!r} must be a whole number >= 0", where=where)
            if key in _SECURITY_SIZES:
                name, unit = _SECURITY_SIZES[key]
                values[name] = value * unit
            else:
                values[key] = value
        elif key == "secure_cookies":
            if not isinstance(value, bool):
                raise ConfigError(f"{value!r} must be true or false", where=where)
            values[key] = value
        elif key == "rate_limits":
            if not isinstance(value, dict):
                raise ConfigError('must be a table of name = "count/period"', where=where)
            limits = {k: parse_rate_limit(v) for k, v in DEFAULT_RATE_LIMITS.items()}
            for name, text in value.items():
                if name not in DEFAULT_RATE_LIMITS:
                    raise ConfigError(f"{name!r} is not one of {', '.join(DEFAULT_RATE_LIMITS)}", where=where)
                try:
                    limits[name] = parse_rate_limit(text)
                except ValueError as exc:
                    raise ConfigError(str(exc), where=f"{where}.{name}") from None
            values[key] = limits
        else:
            raise ConfigError("is not a known key", where=where)
    flag = environ.get("HUB_SECURE_COOKIES")
    if flag is not None:
        if flag not in ("0", "1"):
            raise ConfigError(f"{flag!r} must be 0 or 1", where="HUB_SECURE_COOKIES")
        values["secure_cookies"] = flag == "1"
    return SecurityConfig(**values)


@dataclass(frozen=True)
class PortalConfig:
    """The public portal (the ``[portal]`` table; docs/portal.md)."""

    inspector_names: str = "masked"  # masked | full | hidden: inspectors on published results
    cache_seconds: int = 300  # Cache-Control max-age of public pages
    # how long a kept public answer nobody asks for stays in the response cache (0: off); never stale:
    # the cache is keyed by the publication generation (hub.web.caching)
    response_cache_seconds: int = 3600
    response_cache_mb: int = 32  # the bytes each web process may keep for that (Redis: a body's limit is 1/8)


# The policies hub.disclosure.public_inspector_name applies (config sits below it; a test holds them equal).
INSPECTOR_NAME_POLICIES = ("masked", "full", "hidden")


def _portal(raw: Any) -> PortalConfig:
    if raw is None:
        return PortalConfig()
    if not isinstance(raw, dict):
        raise ConfigError("must be a table", where="[portal]")
    values: dict[str, Any] = {}
    for key, value in raw.items():
        where = f"[portal] {key}"
        if key == "inspector_names":
            if value not in INSPECTOR_NAME_POLICIES:
                raise ConfigError(f"{value!r} is not one of {', '.join(INSPECTOR_NAME_POLICIES)}", where=where)
        elif key == "cache_seconds":
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 86400:
                raise ConfigError(f"{value!r} must be a whole number of seconds, 0 to 86400", where=where)
        elif key == "response_cache_seconds":
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 86400:
                raise ConfigError(f"{value!r} must be a whole number of seconds, 0 to 86400", where=where)
        elif key == "response_cache_mb":
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 4096:
                raise ConfigError(f"{value!r} must be a whole number of megabytes, 0 to 4096", where=where)
        else:
            raise ConfigError("is not a known key", where=where)
        values[key] = value
    return PortalConfig(**values)


@dataclass(frozen=True)
class Settings:
    database_url: str
    broker_url: str | None
    secret_key: Secret
    data_dir: Path
    sources: Mapping[str, ConnectorConfig] = field(default_factory=dict)
    sinks: Mapping[str, ConnectorConfig] = field(default_factory=dict)
    config_path: Path | None = None
    hub_party: str = "hub"
    schedules: Mapping[str, str] = field(default_factory=dict)
    web_host: str = "127.0.0.1"
    web_port: int = 5000
    security: SecurityConfig = field(default_factory=SecurityConfig)
    portal: PortalConfig = field(default_factory=PortalConfig)
    public_url: str | None = None  # where the public pages are published (QR codes, feeds, links)

    def public_base(self, request_root: str | None = None) -> str:
        """The address printed on documents and feeds: `public_url`, else the request's, else host:port."""
        return (self.public_url or request_root or f"http://{self.web_host}:{self.web_port}").rstrip("/")

    @property
    def embedded(self) -> bool:
        """No broker configured: Celery tasks run in-process."""
        return not self.broker_url


_CONNECTOR_KEYS = {"kind", "url", "app_id", "app_secret_env", "schedule", "sign_method", "timeout", "commit_every"}


def _connector(
    section: str, name: str, raw: Any, kinds: tuple[str, ...], environ: Mapping[str, str]
) -> ConnectorConfig:
    where = f"[{section}.{name}]"
    if not isinstance(raw, dict):
        raise ConfigError("must be a table", where=where)
    kind = raw.get("kind")
    if kind not in kinds:
        raise ConfigError(f"kind = {kind!r} is not one of {', '.join(kinds)}", where=where)
    url = raw.get("url")
    if not isinstance(url, str) or not url:
        raise ConfigError("url is required", where=where)
    secret: Secret | None = None
    env_name = raw.get("app_secret_env")
    if env_name is not None:
        if not isinstance(env_name, str) or env_name not in environ:
            raise ConfigError(f"app_secret_env names {env_name!r}, which is not set in the environment", where=where)
        secret = Secret(environ[env_name])
    if "app_secret" in raw:
        raise ConfigError("app_secret must not be written in the file; use app_secret_env", where=where)
    schedule = raw.get("schedule")
    if schedule is not None:
        from hub.schedule_spec import parse_cron  # pure; validates the expression

        try:
            parse_cron(schedule)
        except ValueError as exc:
            raise ConfigError(f"schedule {schedule!r}: {exc}", where=where) from None
    sign_method = raw.get("sign_method", "HMAC-SHA256")
    if sign_method not in ("HMAC-SHA256", "HMAC-SM3"):
        raise ConfigError(f"sign_method {sign_method!r} is not HMAC-SHA256 or HMAC-SM3", where=where)
    commit_every = raw.get("commit_every", 100_000)
    if section != "sources" and "commit_every" in raw:
        raise ConfigError("commit_every applies to sources only", where=where)
    if not isinstance(commit_every, int) or isinstance(commit_every, bool) or commit_every < 1:
        raise ConfigError(f"commit_every = {commit_every!r} must be a whole number of records >= 1", where=where)
    options = {k: v for k, v in raw.items() if k not in _CONNECTOR_KEYS}
    return ConnectorConfig(
        name=name,
        kind=kind,
        url=url,
        app_id=str(raw.get("app_id", "")),
        app_secret=secret,
        schedule=schedule,
        sign_method=sign_method,
        timeout=float(raw.get("timeout", 30.0)),
        options=options,
        commit_every=commit_every,
    )


def _secret_key(data_dir: Path, environ: Mapping[str, str]) -> Secret:
    """HUB_SECRET_KEY, else a key generated once and kept (mode 600) in the data folder."""
    if environ.get("HUB_SECRET_KEY"):
        return Secret(environ["HUB_SECRET_KEY"])
    path = data_dir / "secret_key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return Secret(path.read_text().strip())


def load_settings(
    config_path: str | Path | None = None, environ: Mapping[str, str] | None = None, **overrides: Any
) -> Settings:
    """Read the TOML file named by ``config_path`` or HUB_CONFIG, then the environment."""
    env = os.environ if environ is None else environ
    path_str = config_path or env.get("HUB_CONFIG")
    raw: dict[str, Any] = {}
    path: Path | None = None
    if path_str:
        path = Path(path_str)
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError("configuration file not found", where=str(path)) from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"not valid TOML: {exc}", where=str(path)) from None
    data_dir = Path(env.get("HUB_DATA_DIR") or raw.get("data_dir") or "var").resolve()
    database_url = env.get("HUB_DATABASE_URL") or raw.get("database_url") or f"sqlite:///{data_dir / 'hub.db'}"
    broker_url = env.get("HUB_BROKER_URL") or raw.get("broker_url") or None
    sources = {
        name: _connector("sources", name, body, SOURCE_KINDS, env) for name, body in (raw.get("sources") or {}).items()
    }
    sinks = {name: _connector("sinks", name, body, SINK_KINDS, env) for name, body in (raw.get("sinks") or {}).items()}
    schedules = dict(raw.get("schedules") or {})
    public_url = env.get("HUB_PUBLIC_URL") or raw.get("public_url") or None
    if public_url is not None and (
        not isinstance(public_url, str) or not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", public_url)
    ):
        where = "HUB_PUBLIC_URL" if env.get("HUB_PUBLIC_URL") else "public_url"
        raise ConfigError(f"{public_url!r} must be an http:// or https:// address with no query", where=where)
    values: dict[str, Any] = dict(
        database_url=database_url,
        broker_url=broker_url,
        secret_key=overrides.pop("secret_key", None) or _secret_key(data_dir, env),
        data_dir=data_dir,
        sources=sources,
        sinks=sinks,
        config_path=path,
        schedules=schedules,
        security=_security(raw.get("security"), env),
        portal=_portal(raw.get("portal")),
        public_url=public_url,
    )
    values.update(overrides)
    return Settings(**values)
