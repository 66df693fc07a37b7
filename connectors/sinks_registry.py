"""The sink kinds the hub can push to, by the ``kind`` of a ``[sinks.NAME]`` config entry."""

from __future__ import annotations

from typing import Any

from connectors.base import ConnectorSettings, FatalError, Sink
from connectors.credit_xml import CreditXmlSink
from connectors.provincial_rest import ProvincialRestSink

SINK_KINDS: dict[str, type[Sink]] = {
    ProvincialRestSink.kind: ProvincialRestSink,
    CreditXmlSink.kind: CreditXmlSink,
}


def make_sink(settings: ConnectorSettings, http: Any = None) -> Sink:
    """The sink for one configured instance; FatalError naming the kind when it is unknown."""
    try:
        cls = SINK_KINDS[settings.kind]
    except KeyError:
        raise FatalError(
            f"sink {settings.name}: unknown kind {settings.kind!r} (known: {', '.join(sorted(SINK_KINDS))})"
        ) from None
    return cls(settings, http)
