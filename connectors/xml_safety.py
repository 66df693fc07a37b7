"""Parsing XML that comes from outside: no DTD, no entities, no network, no huge trees.

Receipts and feeds are written by systems we do not control. A document with a
DOCTYPE is refused outright: nothing in interfaces.md needs one, and a DTD is how
external entities (XXE) and entity-expansion bombs (billion laughs) get in.
"""

from __future__ import annotations

import re

from lxml import etree

from connectors.base import MalformedResponse

# A DOCTYPE comes before the root element: look for it near the start, in ASCII-compatible
# encodings and in UTF-16; the check of the parsed document below catches anything else.
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_DOCTYPE_UTF16 = ("<!DOCTYPE".encode("utf-16-le"), "<!DOCTYPE".encode("utf-16-be"))


def safe_parser(schema: etree.XMLSchema | None = None) -> etree.XMLParser:
    """An lxml parser that never loads a DTD, resolves an entity or touches the network."""
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, dtd_validation=False, schema=schema
    )


def parse_untrusted(data: bytes, what: str = "document") -> etree._Element:
    """The root element of ``data``; MalformedResponse when it has a DOCTYPE or is not well-formed."""
    if not isinstance(data, bytes):
        raise TypeError("parse_untrusted takes bytes (the encoding is the document's own)")
    # Early refusal, before libxml2 reads a byte of an internal subset.
    if _DOCTYPE.search(data[:4096]) or any(p in data[:8192] for p in _DOCTYPE_UTF16):
        raise MalformedResponse(f"{what}: DOCTYPE not allowed")
    try:
        root = etree.fromstring(data, safe_parser())
    except etree.XMLSyntaxError as exc:
        raise MalformedResponse(f"{what} is not well-formed XML: {exc}") from None
    # The authority: whatever the byte scan missed, the parsed document must carry no DTD.
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise MalformedResponse(f"{what}: DOCTYPE not allowed")
    return root


def validate(root: etree._Element, schema: etree.XMLSchema, what: str = "document") -> None:
    """MalformedResponse naming the first schema error (line and message) when ``root`` is invalid."""
    if not schema.validate(root):
        raise MalformedResponse(f"{what} does not match its schema: {first_error(schema)}")


def first_error(schema: etree.XMLSchema) -> str:
    """The first error of the last validation, as 'line N: message'."""
    log = schema.error_log
    if not len(log):
        return "invalid"
    return f"line {log[0].line}: {log[0].message}"
