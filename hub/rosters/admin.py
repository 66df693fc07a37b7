"""What an admin may ask of the sources from the browser: checked here, run by the same job the
scheduler runs (hub.rosters.jobs.sync_source)."""

from __future__ import annotations

from hub.auth.principal import Principal
from hub.auth.roles import require_role
from hub.config import Settings
from hub.errors import NotFound


def check_sync_request(settings: Settings, principal: Principal, name: str) -> str:
    """``name`` when the caller is an admin and it is a configured source."""
    require_role(principal, ("admin",), "数据源")
    if name not in settings.sources:
        raise NotFound(f"没有名为 {name!r} 的数据源 (no such source)", where="source")
    return name
