"""Source kinds by name, and the one place a configured source becomes an object."""

from __future__ import annotations

from typing import Any

from connectors.base import ConnectorSettings, FatalError, Source
from connectors.csv_drop import CsvDropSource
from connectors.edu_xml import EduXmlSource
from connectors.inspectors_rest import InspectorsRestSource
from connectors.samr_rest import SamrRestSource

SOURCE_KINDS: dict[str, type[Source]] = {
    cls.kind: cls for cls in (SamrRestSource, EduXmlSource, CsvDropSource, InspectorsRestSource)
}


def make_source(settings: ConnectorSettings, http: Any = None) -> Source:
    """The source for ``settings.kind``; ``http`` (a SignedSession) is made from settings if None."""
    try:
        cls = SOURCE_KINDS[settings.kind]
    except KeyError:
        raise FatalError(
            f"{settings.name}: unknown source kind {settings.kind!r} (one of {', '.join(sorted(SOURCE_KINDS))})"
        ) from None
    return cls(settings, http)
