"""The hardened XML parser: no DOCTYPE, no entity, no network (pure, no fixtures)."""

from __future__ import annotations

import pytest
from lxml import etree

from connectors.base import MalformedResponse
from connectors.sandboxes.credit import BOMB_RECEIPT, XXE_RECEIPT
from connectors.xml_safety import parse_untrusted, safe_parser

XXE = XXE_RECEIPT % (b"b", b"r")
BOMB = BOMB_RECEIPT % (b"b", b"r")


@pytest.mark.parametrize(
    "doc",
    [XXE, BOMB, XXE.decode().encode("utf-16"), b'<!DOCTYPE Receipt SYSTEM "http://127.0.0.1:9/x.dtd"><Receipt/>'],
    ids=["xxe", "bomb", "xxe-utf16", "external-dtd"],
)
def test_any_doctype_is_refused(doc):
    with pytest.raises(MalformedResponse, match="DOCTYPE not allowed"):
        parse_untrusted(doc, "receipt")


def test_doctype_after_a_long_prolog_is_still_refused():
    doc = b"<?xml version='1.0'?><!--" + b"x" * 10_000 + b"-->" + XXE.split(b"\n", 1)[1]
    with pytest.raises(MalformedResponse, match="DOCTYPE not allowed"):
        parse_untrusted(doc)


def test_the_parser_alone_leaves_an_external_entity_unresolved():
    root = etree.fromstring(XXE, safe_parser())
    assert b"root:" not in etree.tostring(root)
    assert (root[0].text or "") == ""


def test_not_well_formed_is_malformed():
    with pytest.raises(MalformedResponse, match="not well-formed"):
        parse_untrusted(b"<Receipt batchId='x'>")


def test_plain_document_parses():
    root = parse_untrusted(b'<Receipt batchId="b"><Accepted recordId="r"/></Receipt>')
    assert root[0].get("recordId") == "r"
