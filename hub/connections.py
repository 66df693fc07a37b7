"""The one adapter between the hub and its connectors: config entries become connector objects.

Connectors know nothing of the hub; they get plain ``ConnectorSettings``. Here the hub turns
each ``[sources.NAME]`` / ``[sinks.NAME]`` entry into them.
"""
from __future__ import annotations

from connectors.base import ConnectorSettings
from hub.config import ConnectorConfig


def connector_settings(cfg: ConnectorConfig) -> ConnectorSettings:
    """The plain settings a connector receives (the secret revealed only here)."""
    return ConnectorSettings(name=cfg.name, kind=cfg.kind, url=cfg.url, app_id=cfg.app_id,
                             app_secret=cfg.app_secret.reveal() if cfg.app_secret else "",
                             sign_method=cfg.sign_method, timeout=cfg.timeout, options=cfg.options)
