"""Sandbox of an agency's inspector roster (``inspectors-rest`` in interfaces.md): the full list."""

from __future__ import annotations

from typing import Any

from connectors.sandboxes import data
from connectors.sandboxes.server import Faults, Request, Response, SandboxServer

DEFAULT_AGENCIES = {"HEALTH": 40, "SAMR": 40, "EDU": 20, "CIVIL": 15, "CULTURE": 15}


class InspectorsSandbox(SandboxServer):
    """``GET /api/v1/inspectors``; ``agencies`` maps agency -> number of officers."""

    kind = "inspectors"

    def __init__(
        self,
        app_secrets: dict[str, str],
        port: int = 0,
        faults: Faults | None = None,
        *,
        agencies: dict[str, int] | None = None,
        seed: int = 1,
        host: str = "127.0.0.1",
    ) -> None:
        super().__init__(app_secrets, port, faults, host)
        counts = DEFAULT_AGENCIES if agencies is None else agencies
        self.items: list[dict[str, Any]] = [
            data.inspector(seed, agency, n) for agency, count in counts.items() for n in range(1, count + 1)
        ]
        self.route("GET", "/api/v1/inspectors", self._inspectors)

    def _inspectors(self, req: Request) -> Response:
        if self.roll(self.faults.malformed):
            self.stats["faults"] += 1
            return Response(200, b'{"items": [', content_type="application/json")
        return Response.json(200, {"items": self.items})
