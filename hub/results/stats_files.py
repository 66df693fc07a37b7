"""A figure's table as a file to download: CSV (UTF-8 with BOM, so a spreadsheet reads the Chinese)
and Excel (openpyxl); the same headers and rows the dashboard and ``GET /api/v1/stats`` carry."""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import Workbook

from hub.results.figures import Figure, StatsFilter


def _cell(value: Any) -> Any:
    return "" if value is None else value


def figure_csv(figure: Figure) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(figure.headers)
    writer.writerows([_cell(v) for v in row] for row in figure.rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def figure_xlsx(figure: Figure, cut: StatsFilter) -> bytes:
    """One sheet: the headers, the rows, and below them the cut the figures were read with."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = figure.title[:31]
    sheet.append(list(figure.headers))
    for row in figure.rows:
        sheet.append(list(row))
    sheet.append([])
    labels = {"year": "年度", "agency": "部门", "district": "区县", "category": "类别", "task": "任务"}
    for key, value in cut.as_dict().items():
        sheet.append([labels[key], "全部" if value is None else value])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
