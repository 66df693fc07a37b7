"""``edu-xml``: the education school registry, a full XML snapshot parsed as a stream.

The feed is read with ``iterparse`` straight from the socket and each ``<School>`` is
dropped once mapped, so a feed of hundreds of MB never sits in memory. Each school is
validated against ``schemas/edu-school.xsd``; one that fails comes out as an error record
naming the field. A feed that is not well-formed, or declares a DOCTYPE (entities are a way
to read files or blow up memory), fails the run; the run is atomic, so nothing applies.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from typing import Any

import requests
import urllib3
from lxml import etree

from connectors.base import (
    Batch,
    ConnectorSettings,
    MalformedResponse,
    Source,
    SourceRecord,
    TransientError,
    number_option,
)
from connectors.http import SignedSession
from connectors.schemas import schema_path

NS = "urn:edu:schools:1"
SCHEMA_PATH = schema_path("edu-school.xsd")
# GB/T 4754-2017 class of each school type
INDUSTRY_BY_TYPE = {
    "kindergarten": "P8310",
    "primary": "P8321",
    "middle": "P8331",
    "high": "P8334",
    "vocational": "P8336",
    "special": "P8350",
    "higher": "P8341",
}


@functools.cache
def school_schema() -> etree.XMLSchema:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.XMLSchema(etree.parse(str(SCHEMA_PATH), parser))


class EduXmlSource(Source):
    """Options: ``category`` ("school"), ``batch_size`` (1000). State: ``{"etag"}``."""

    kind = "edu-xml"
    record_type = "entity"
    atomic = True

    def __init__(self, settings: ConnectorSettings, http: Any = None) -> None:
        super().__init__(settings, http or SignedSession(settings))
        self.category = str(settings.options.get("category", "school"))
        self.batch_size = number_option(settings, "batch_size", 1000, int, 1)

    def batches(self, state: Mapping[str, Any], full: bool = False) -> Iterator[Batch]:
        etag = None if full else (state or {}).get("etag")
        headers = {"If-None-Match": etag} if etag else {}
        resp = self.http.get(self.settings.url, headers=headers, stream=True)
        try:
            if resp.status_code == 304:
                return
            resp.raw.decode_content = True
            records: list[SourceRecord] = []
            for record in self._records(resp.raw):
                records.append(record)
                if len(records) >= self.batch_size:
                    yield Batch(records, None, label=f"{len(records)} schools")
                    records = []
            yield Batch(records, {"etag": resp.headers.get("ETag")}, complete_snapshot=True, label="end of snapshot")
        finally:
            resp.close()

    def _records(self, stream: Any) -> Iterator[SourceRecord]:
        name = self.settings.name
        context = etree.iterparse(
            stream,
            events=("start", "end"),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
        )
        schema = school_schema()
        generated: str | None = None
        try:
            for event, elem in context:
                if event == "start":
                    if generated is None:
                        generated = self._check_root(elem)
                    continue
                if elem.tag != f"{{{NS}}}School":
                    continue
                yield self._record(elem, schema, generated or "")
                elem.clear(keep_tail=False)
                parent = elem.getparent()
                while parent is not None and elem.getprevious() is not None:
                    del parent[0]
        except etree.XMLSyntaxError as exc:
            raise MalformedResponse(f"{name}: the feed is not well-formed at line {exc.lineno}: {exc.msg}") from None
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise TransientError(f"{name}: the feed broke off while reading: {exc}") from None
        if generated is None:
            raise MalformedResponse(f"{name}: the feed is empty")

    def _check_root(self, root: Any) -> str:
        info = root.getroottree().docinfo
        if info.doctype or info.internalDTD is not None:
            raise MalformedResponse(
                f"{self.settings.name}: the feed declares a DOCTYPE "
                f"(line {root.sourceline}); refused, entities are not allowed"
            )
        if root.tag != f"{{{NS}}}Schools":
            raise MalformedResponse(f"{self.settings.name}: the root element is {root.tag}, not Schools in {NS}")
        return root.get("generated") or ""

    def _record(self, elem: Any, schema: etree.XMLSchema, generated: str) -> SourceRecord:
        code = elem.get("code")
        key = code or f"line {elem.sourceline}"
        raw = etree.tostring(elem, encoding="unicode", with_tail=False)
        if not schema.validate(elem):
            problems = "; ".join(e.message.replace(f"{{{NS}}}", "") for e in schema.error_log)
            return SourceRecord(key, {}, raw, error=f"School at line {elem.sourceline}: {problems}")

        def text(tag: str) -> str | None:
            child = elem.find(f"{{{NS}}}{tag}")
            return child.text.strip() if child is not None and child.text else None

        uscc = elem.get("uscc") or None
        school_type = text("Type")
        students = text("Students")
        boarding = text("Boarding")
        fields = {
            "uscc": uscc,
            "scheme_id": f"EDU:{code}",
            "name": text("Name"),
            "entity_type": "school",
            "legal_rep": text("Principal"),
            "phone": text("Phone"),
            "address": text("Address"),
            "district": text("District"),
            "industry": INDUSTRY_BY_TYPE.get(school_type or ""),
            "status": "active",
            "established": None,
            "updated_at": generated or None,
            "abnormal_list": None,
            "serious_violation": None,
            "credit_class": None,
            "categories": [self.category],
            "attributes": {
                "school_code": code,
                "school_type": school_type,
                "students": int(students) if students is not None else None,
                "boarding": boarding in ("true", "1") if boarding is not None else None,
            },
        }
        return SourceRecord(key, fields, raw)
