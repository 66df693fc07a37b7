"""The one adapter between the hub and its connectors: config entries become connector objects.

Connectors know nothing of the hub; they get plain ``ConnectorSettings``. Every configured source
and sink is built here once, when a process starts (``hub serve``, ``worker``, ``scheduler``,
``config check``): a bad option stops it with exit 78 naming the key (``sinks.NAME.codes``)
before anything is enqueued, instead of a 500 at approval or draw time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from connectors.base import ConnectorError, ConnectorSettings, OptionError, Sink, Source
from hub.config import ConnectorConfig, Settings
from hub.errors import ConfigError
from vocabulary.outcomes import check_mapping


def connector_settings(cfg: ConnectorConfig) -> ConnectorSettings:
    """The plain settings a connector receives (the secret revealed only here)."""
    return ConnectorSettings(
        name=cfg.name,
        kind=cfg.kind,
        url=cfg.url,
        app_id=cfg.app_id,
        app_secret=cfg.app_secret.reveal() if cfg.app_secret else "",
        sign_method=cfg.sign_method,
        timeout=cfg.timeout,
        options=cfg.options,
    )


def _refused(section: str, cfg: ConnectorConfig, exc: ConnectorError) -> ConfigError:
    if isinstance(exc, OptionError):
        return ConfigError(f"option {exc.option!r} {exc.problem}", where=f"{section}.{cfg.name}.{exc.option}")
    return ConfigError(str(exc), where=f"{section}.{cfg.name}")


def build_source(cfg: ConnectorConfig) -> Source:
    """The source object of one ``[sources.NAME]`` entry; ConfigError naming the key when unusable."""
    from connectors.registry import make_source

    try:
        return make_source(connector_settings(cfg))
    except ConnectorError as exc:
        raise _refused("sources", cfg, exc) from None


def build_sink(cfg: ConnectorConfig) -> Sink:
    """The sink object of one ``[sinks.NAME]`` entry; its ``codes`` must cover the hub's outcome table."""
    from connectors.sinks_registry import make_sink

    try:
        sink = make_sink(connector_settings(cfg))
    except ConnectorError as exc:
        raise _refused("sinks", cfg, exc) from None
    codes = cfg.options.get("codes") or {}
    problems = check_mapping({str(k): str(v) for k, v in codes.items()})
    if problems:
        raise ConfigError("; ".join(problems), where=f"sinks.{cfg.name}.codes")
    return sink


@dataclass(frozen=True)
class Connectors:
    """Every configured connector, built."""

    sources: Mapping[str, Source]
    sinks: Mapping[str, Sink]


_BUILT: dict[int, tuple[Settings, Connectors]] = {}


def connectors_for(settings: Settings) -> Connectors:
    """Every source and sink of ``settings``, built once per Settings object (no I/O here)."""
    hit = _BUILT.get(id(settings))
    if hit is None or hit[0] is not settings:
        built = Connectors(
            sources={name: build_source(cfg) for name, cfg in settings.sources.items()},
            sinks={name: build_sink(cfg) for name, cfg in settings.sinks.items()},
        )
        hit = _BUILT[id(settings)] = (settings, built)
    return hit[1]


def check_connectors(settings: Settings) -> Connectors:
    """Build every configured connector now (at start-up); ConfigError naming the first bad key."""
    return connectors_for(settings)
