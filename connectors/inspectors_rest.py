"""``inspectors-rest``: an agency's inspector roster, pulled as one full snapshot."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from connectors.base import (
    Batch,
    ConnectorSettings,
    Source,
    SourceRecord,
    number_option,
)
from connectors.http import SignedSession, json_with_items

PATH = "/api/v1/inspectors"


class InspectorsRestSource(Source):
    """Options: ``default_capacity`` (30): inspections an officer can take in a task's window."""

    kind = "inspectors-rest"
    record_type = "inspector"

    def __init__(self, settings: ConnectorSettings, http: Any = None) -> None:
        super().__init__(settings, http or SignedSession(settings))
        self.default_capacity = number_option(settings, "default_capacity", 30, int, 0)
        url = settings.url.rstrip("/")
        self.url = url if url.endswith("/inspectors") else url + PATH

    def batches(self, state: Mapping[str, Any], full: bool = False) -> Iterator[Batch]:
        body = json_with_items(self.http.get(self.url).content, self.settings.name, "list")
        records = [self._record(item, i) for i, item in enumerate(body["items"])]
        yield Batch(records, None, complete_snapshot=True, label=f"{len(records)} inspectors")

    def _record(self, item: Any, position: int) -> SourceRecord:
        raw = json.dumps(item, ensure_ascii=False)
        where = f"item {position}"
        if not isinstance(item, dict):
            return SourceRecord(where, {}, raw, error=f"{where} is a JSON {type(item).__name__}, not an object")
        inspector_id = item.get("id")
        if not isinstance(inspector_id, str) or not inspector_id:
            return SourceRecord(where, {}, raw, error=f"{where}: field 'id' is missing or not a string")
        for name in ("expertise", "home_districts", "conflicts"):
            if name in item and not isinstance(item[name], list):
                return SourceRecord(inspector_id, {}, raw, error=f"field {name!r} is not a list")
        fields = {
            "inspector_id": inspector_id,
            "name": item.get("name"),
            "agency": item.get("agency"),
            "cert_no": item.get("cert_no"),
            "cert_valid_until": item.get("cert_valid_until"),
            "expertise": list(item.get("expertise") or []),
            "home_districts": list(item.get("home_districts") or []),
            "active": item.get("active"),
            "capacity": item.get("capacity", self.default_capacity),
            "conflicts": list(item.get("conflicts") or []),
        }
        return SourceRecord(inspector_id, fields, raw)
