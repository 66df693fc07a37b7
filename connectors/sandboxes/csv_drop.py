"""Sandbox of small agencies' CSV exports (``csv-drop`` in interfaces.md): files in a folder.

``write_drop`` fills a folder the way civil affairs or culture & tourism would: a Chinese
header row, GB18030 or UTF-8 with or without BOM, a few defective rows. ``CsvDropSandbox``
serves such a folder as an HTTP listing for the URL variant of the source.
"""

from __future__ import annotations

import csv
import html
import io
from pathlib import Path
from urllib.parse import quote, unquote

from connectors.sandboxes import data
from connectors.sandboxes.server import Faults, Request, Response, SandboxServer

ENCODINGS = ("gb18030", "utf-8", "utf-8-sig")


def render_csv(
    rows: list[dict[str, str]] | list[list[str]], header: tuple[str, ...], encoding: str = "gb18030"
) -> bytes:
    """A CSV file: ``header``, then each row (a dict by column name, or a list taken as is)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(col, "") for col in header] if isinstance(row, dict) else row)
    return out.getvalue().encode(encoding)


def write_csv(
    path: Path,
    rows: list[dict[str, str]] | list[list[str]],
    header: tuple[str, ...] = data.CSV_HEADER,
    encoding: str = "gb18030",
) -> Path:
    path.write_bytes(render_csv(rows, header, encoding))
    return path


def write_drop(
    directory: str | Path,
    *,
    seed: int = 1,
    files: int = 3,
    rows: int = 50,
    invalid_share: float = 0.0,
    encodings: tuple[str, ...] = ENCODINGS,
    school_codes: bool = True,
) -> list[Path]:
    """Write ``files`` exports of ``rows`` rows each, cycling through ``encodings``.

    With ``invalid_share`` > 0 each file also gets one row with a missing column.
    """
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    header = data.CSV_HEADER + ((data.SCHOOL_CODE_COLUMN,) if school_codes else ())
    written = []
    for n in range(files):
        encoding = encodings[n % len(encodings)]
        table = [
            [row.get(col, "") for col in header]
            for row in (data.csv_row(seed, n * rows + i, invalid_share) for i in range(rows))
        ]
        if invalid_share > 0:
            table.insert(rows // 2, table[0][:3])
        written.append(write_csv(folder / f"export-{n + 1:03d}-{encoding}.csv", table, header, encoding))
    return written


class CsvDropSandbox(SandboxServer):
    """Serves ``directory``: ``GET /`` an HTML listing of its *.csv, ``GET /NAME.csv`` a file."""

    kind = "csv-drop"

    def __init__(
        self,
        app_secrets: dict[str, str],
        port: int = 0,
        faults: Faults | None = None,
        *,
        directory: str | Path,
        host: str = "127.0.0.1",
    ) -> None:
        super().__init__(app_secrets, port, faults, host)
        self.directory = Path(directory)
        self.route("GET", "/", self._listing)
        self.route("GET", r"/(?P<name>[^/]+\.csv)", self._file)

    def _listing(self, req: Request) -> Response:
        links = "".join(
            f'<li><a href="{quote(p.name)}">{html.escape(p.name)}</a></li>'
            for p in sorted(self.directory.glob("*.csv"))
        )
        return Response(
            200, f"<html><body><ul>{links}</ul></body></html>".encode(), content_type="text/html; charset=utf-8"
        )

    def _file(self, req: Request, name: str) -> Response:
        path = self.directory / unquote(name)
        if path.parent != self.directory or not path.is_file():
            return self.error_body(404, f"no file {name}")
        return Response(200, path.read_bytes(), content_type="text/csv")
