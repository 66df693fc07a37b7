"""``csv-drop``: small agencies' CSV exports left in a folder (or under an HTTP listing).

Each new or changed ``*.csv`` is one batch; the bookmark records every processed file by name
and SHA-256 digest, so a file is never processed twice and a changed one is processed again.
Encoding: a UTF-8 BOM means UTF-8; otherwise strict UTF-8, else GB18030. A file that is
neither (or has no usable header) is not skipped: it comes out as one error record keyed by
its name, so the hub quarantines it and shows why, and it is offered again once changed.
"""

from __future__ import annotations

import codecs
import csv
import functools
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit
from urllib.request import url2pathname

from connectors.base import (
    Batch,
    ConnectorSettings,
    FatalError,
    MalformedResponse,
    Source,
    SourceRecord,
)
from connectors.http import SignedSession

DEFAULT_COLUMNS = {
    "机构名称": "name",
    "统一社会信用代码": "uscc",
    "所在区县": "district",
    "地址": "address",
    "负责人": "legal_rep",
    "联系电话": "phone",
    "类别": "category",
    "学校标识码": "school_code",
}
# the 类别 values of the exports we know, as the hub's categories; ``category_map`` adds more
DEFAULT_CATEGORY_MAP = {
    "养老机构": "eldercare",
    "托育机构": "childcare",
    "旅行社": "travel_agency",
    "网吧": "internet_cafe",
    "歌舞娱乐场所": "entertainment",
    "游泳场所": "swimming",
    "学校": "school",
}
ENTITY_FIELDS = (
    "uscc",
    "scheme_id",
    "name",
    "entity_type",
    "legal_rep",
    "phone",
    "address",
    "district",
    "industry",
    "status",
    "established",
    "updated_at",
    "abnormal_list",
    "serious_violation",
    "credit_class",
)
_HREF = re.compile(r"""href=["']([^"'?#]+\.csv)["']""", re.IGNORECASE)


def decode(content: bytes) -> tuple[str, str]:
    """(text, encoding): BOM -> utf-8-sig; else strict UTF-8; else GB18030 (UnicodeDecodeError if none)."""
    if content.startswith(codecs.BOM_UTF8):
        return content.decode("utf-8-sig"), "utf-8-sig"
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return content.decode("gb18030"), "gb18030"


class CsvDropSource(Source):
    """Options: ``columns`` (header -> canonical field, over DEFAULT_COLUMNS), ``category``
    (when a row has no 类别), ``category_map`` (类别 value -> category, over
    DEFAULT_CATEGORY_MAP), ``status`` ("active")."""

    kind = "csv-drop"
    record_type = "entity"

    def __init__(self, settings: ConnectorSettings, http: Any = None) -> None:
        super().__init__(settings, http)
        opts = settings.options
        self.columns = {**DEFAULT_COLUMNS, **(opts.get("columns") or {})}
        self.category = opts.get("category")
        self.category_map: Mapping[str, str] = {**DEFAULT_CATEGORY_MAP, **(opts.get("category_map") or {})}
        self.status = opts.get("status", "active")

    def batches(self, state: Mapping[str, Any], full: bool = False) -> Iterator[Batch]:
        processed = {} if full else {n: d for n, d in (state or {}).get("processed", [])}
        for name, load in self._files():
            content = load()
            digest = hashlib.sha256(content).hexdigest()
            if processed.get(name) == digest:
                continue
            processed[name] = digest
            bookmark = {"processed": [[n, d] for n, d in sorted(processed.items())], "file": name, "digest": digest}
            yield Batch(self.records(name, content), bookmark, label=name)

    # --- where the files are ------------------------------------------------------
    def _files(self) -> list[tuple[str, Callable[[], bytes]]]:
        url = self.settings.url
        scheme = urlsplit(url).scheme
        if scheme in ("http", "https"):
            return self._http_files(url)
        folder = Path(url2pathname(urlsplit(url).path)) if scheme == "file" else Path(url)
        if not folder.is_dir():
            raise FatalError(f"{self.settings.name}: drop folder {folder} does not exist")
        return [(p.name, p.read_bytes) for p in sorted(folder.glob("*.csv")) if p.is_file()]

    def _http_files(self, url: str) -> list[tuple[str, Callable[[], bytes]]]:
        if self.http is None:
            self.http = SignedSession(self.settings)
        base = url if url.endswith("/") else url + "/"
        listing = self.http.get(base).text
        links = sorted({urljoin(base, href) for href in _HREF.findall(listing)})
        if not links and "<" not in listing and listing.strip():
            raise MalformedResponse(f"{self.settings.name}: {base} is not an HTML listing")
        return [(unquote(link.rsplit("/", 1)[-1]), functools.partial(self._download, link)) for link in links]

    def _download(self, url: str) -> bytes:
        return bytes(self.http.get(url).content)

    # --- one file -------------------------------------------------------------------
    def records(self, name: str, content: bytes) -> list[SourceRecord]:
        """The rows of one file as records; a file that cannot be read is one error record."""
        try:
            text, _ = decode(content)
        except UnicodeDecodeError as exc:
            return [
                _file_error(
                    name,
                    content,
                    f"file {name} is neither UTF-8 nor GB18030 (byte 0x{content[exc.start]:02x} at offset {exc.start})",
                )
            ]
        reader = csv.reader(io.StringIO(text, newline=""))
        header = [h.strip() for h in next(reader, [])]
        if not any(h in self.columns for h in header):
            return [
                _file_error(
                    name, content, f"file {name}: the header row has none of the columns {', '.join(self.columns)}"
                )
            ]
        out: list[SourceRecord] = []
        try:
            for row in reader:
                if any(cell.strip() for cell in row):
                    out.append(self._row(name, reader.line_num, header, row))
        except csv.Error as exc:
            out.append(
                SourceRecord(
                    f"{name}:{reader.line_num}",
                    {},
                    "",
                    error=f"file {name} line {reader.line_num}: {exc}; the rest of the file was not read",
                )
            )
        return out

    def _row(self, name: str, line: int, header: list[str], row: list[str]) -> SourceRecord:
        raw = json.dumps(dict(zip(header, row)) if len(row) == len(header) else row, ensure_ascii=False)
        if len(row) != len(header):
            return SourceRecord(
                f"{name}:{line}",
                {},
                raw,
                error=f"file {name} line {line}: {len(row)} fields, the header has {len(header)}",
            )
        values: dict[str, Any] = {}
        attributes: dict[str, Any] = {"file": name, "line": line}
        for column, cell in zip(header, row):
            target = self.columns.get(column)
            if target in ENTITY_FIELDS or target in ("category", "school_code"):
                values[target] = cell.strip() or None
            else:
                attributes[target or column] = cell.strip()
        school_code = values.pop("school_code", None)
        category = values.pop("category", None)
        fields: dict[str, Any] = {f: values.get(f) for f in ENTITY_FIELDS}
        fields["scheme_id"] = fields["scheme_id"] or (f"EDU:{school_code}" if school_code else None)
        fields["status"] = fields["status"] or self.status
        category = self.category_map.get(category, category) if category else self.category
        fields["categories"] = [category] if category else []
        fields["attributes"] = attributes
        key = fields["uscc"] or fields["scheme_id"] or f"{name}:{line}"
        return SourceRecord(key, fields, raw)


def _file_error(name: str, content: bytes, message: str) -> SourceRecord:
    return SourceRecord(name, {}, content[:4096].decode("gb18030", errors="replace"), error=message)
