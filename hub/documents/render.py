"""HTML templates to an A4 PDF with WeasyPrint: fonts found by family name through fontconfig and
embedded (subset) in the file, the QR code drawn as SVG, nothing fetched from any host."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import segno
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

_ENV = Environment(
    loader=PackageLoader("hub.documents", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=False,
)

# WeasyPrint reports every unsupported CSS property and missing glyph fallback at WARNING; keep errors only.
logging.getLogger("weasyprint").setLevel(logging.ERROR)
logging.getLogger("fontTools").setLevel(logging.ERROR)


def qr_data_uri(url: str) -> str:
    """The QR code of ``url`` as an SVG data URI (segno, pure Python)."""
    return segno.make(url, error="m").svg_data_uri(scale=4, border=1)


def html_of(view: dict[str, Any]) -> str:
    """One document's HTML from its view (content.view_of)."""
    return _ENV.get_template(f"{view['kind']}.html").render(qr=qr_data_uri(view["verify_url"]), **view)


def pdf_of(pages_html: Sequence[str], title: str) -> bytes:
    """The documents, each laid out on its own (own page numbering), as one PDF."""
    from weasyprint import HTML  # heavy import: only when a PDF is made
    from weasyprint.text.fonts import FontConfiguration

    if not pages_html:
        raise ValueError("no document to print")
    fonts = FontConfiguration()  # one per batch: the CJK fonts are read once, not once per document
    rendered = [HTML(string=html).render(font_config=fonts) for html in pages_html]
    merged = rendered[0].copy([page for doc in rendered for page in doc.pages])
    merged.metadata.title = title
    return merged.write_pdf()
