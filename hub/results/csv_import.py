"""Parse the results CSV of ``hub results import`` into rows and per-line errors (pure).

Checks here need only the file; whether an entity was drawn, an inspector was on its
team or a date is in the window is the service's business (``check_against_task``).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from hub.text_files import decode, detect_encoding
from vocabulary.outcomes import check_outcomes

HEADER = (
    "entity_id",
    "agency",
    "inspected_on",
    "outcome_codes",
    "inspectors",
    "findings",
)
# Lists are joined by ';'; the full-width '；' a Chinese input method types is accepted too.
_LIST_SEPARATOR = re.compile(r"[;；]")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
MAX_FINDINGS_CHARS = 4000  # the findings text of one result (docs/security.md, "Request limits")


@dataclass(frozen=True)
class ResultRow:
    line: int
    entity_id: str
    agency: str
    inspected_on: date
    outcome_codes: tuple[str, ...]
    inspectors: tuple[str, ...]
    findings: str


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.field}: {self.message}"


@dataclass(frozen=True)
class ParsedResults:
    rows: list[ResultRow]
    errors: list[RowError]


def read_results_csv(path: Path | str) -> ParsedResults:
    """Like ``parse_results_csv`` for a file, read as a stream: the file is never whole in memory."""
    try:
        encoding = detect_encoding(path)
    except ValueError as exc:
        return ParsedResults([], [RowError(0, "file", str(exc))])
    with open(path, encoding=encoding, newline="") as fh:
        return _parse_lines(fh)


def parse_results_csv(data: bytes) -> ParsedResults:
    """Rows that passed every file-level check, and an error per failed check with its line."""
    try:
        text = decode(data)
    except (ValueError, UnicodeDecodeError) as exc:
        return ParsedResults([], [RowError(0, "file", str(exc))])
    return _parse_lines(io.StringIO(text, newline=""))


def _parse_lines(lines: Iterable[str]) -> ParsedResults:
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None or tuple(h.strip() for h in header) != HEADER:
        got = ",".join(header) if header else "an empty file"
        return ParsedResults([], [RowError(1, "header", f"expected {','.join(HEADER)}; got {got}")])

    rows: list[ResultRow] = []
    errors: list[RowError] = []
    first_line_of: dict[tuple[str, ...], int] = {}
    next_line = reader.line_num + 1
    for record in _records(reader, errors):
        line, next_line = next_line, reader.line_num + 1
        if not any(cell.strip() for cell in record):
            continue
        row, row_errors = _parse_row(line, record)
        key = tuple(c.strip() for c in record[:2])
        if len(record) == len(HEADER) and all(key):
            if key in first_line_of:
                row_errors.append(
                    RowError(
                        line,
                        "entity_id",
                        f"{key[0]} for {key[1]} already given on line {first_line_of[key]}",
                    )
                )
            else:
                first_line_of[key] = line
        errors.extend(row_errors)
        if row is not None and not row_errors:
            rows.append(row)
    return ParsedResults(rows, errors)


def _records(reader: Iterator[list[str]], errors: list[RowError]) -> Iterator[list[str]]:
    """The reader's records; one it cannot read (an over-long field) ends the file with an error."""
    try:
        yield from reader
    except csv.Error as exc:
        errors.append(RowError(reader.line_num, "file", f"unreadable CSV: {exc}"))  # type: ignore[attr-defined]  # csv readers have line_num; the stubs type this one too loosely


def _split(cell: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in _LIST_SEPARATOR.split(cell) if p.strip())


def _parse_row(line: int, record: list[str]) -> tuple[ResultRow | None, list[RowError]]:
    if len(record) != len(HEADER):
        return None, [RowError(line, "row", f"expected {len(HEADER)} fields, got {len(record)}")]
    entity_id, agency, inspected_on, codes_cell, inspectors_cell, findings = (c.strip() for c in record)
    errors: list[RowError] = []
    if not entity_id:
        errors.append(RowError(line, "entity_id", "empty"))
    if not agency:
        errors.append(RowError(line, "agency", "empty"))
    day = _parse_date(inspected_on)
    if day is None:
        errors.append(
            RowError(
                line,
                "inspected_on",
                f"expected a date as YYYY-MM-DD, got {inspected_on!r}",
            )
        )
    codes = _split(codes_cell)
    # "8 needs a follow-up" waits for the service, which knows the follow-ups.
    errors += [RowError(line, "outcome_codes", p) for p in check_outcomes(codes, require_follow_up=False)]
    inspectors = _split(inspectors_cell)
    if not inspectors:
        errors.append(RowError(line, "inspectors", "at least one inspector is required"))
    doubled = sorted({i for i in inspectors if inspectors.count(i) > 1})
    if doubled:
        errors.append(RowError(line, "inspectors", f"given twice: {', '.join(doubled)}"))
    if len(findings) > MAX_FINDINGS_CHARS:
        errors.append(
            RowError(line, "findings", f"{len(findings):,} characters; at most {MAX_FINDINGS_CHARS:,} are accepted")
        )
    if day is None:
        return None, errors
    return ResultRow(line, entity_id, agency, day, codes, inspectors, findings), errors


def _parse_date(value: str) -> date | None:
    if not _ISO_DATE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def check_against_task(
    row: ResultRow,
    drawn: Mapping[str, Sequence[str]],
    window: tuple[date, date],
    agencies: Collection[str],
    *,
    today: date | None = None,
) -> list[RowError]:
    """Errors of a parsed row against its task: drawn entity, team inspectors, window, agency.

    ``drawn`` maps each drawn entity_id to the inspector ids of its team.
    """
    errors: list[RowError] = []
    if row.agency not in agencies:
        errors.append(RowError(row.line, "agency", f"{row.agency} does not take part in this task"))
    team = drawn.get(row.entity_id)
    if team is None:
        errors.append(RowError(row.line, "entity_id", f"{row.entity_id} was not drawn in this task"))
    else:
        strangers = [i for i in row.inspectors if i not in team]
        if strangers:
            errors.append(
                RowError(
                    row.line,
                    "inspectors",
                    f"not on the team for {row.entity_id}: {', '.join(strangers)}",
                )
            )
    first, last = window
    if not first <= row.inspected_on <= last:
        errors.append(
            RowError(
                row.line,
                "inspected_on",
                f"{row.inspected_on.isoformat()} is outside "
                f"the inspection window {first.isoformat()} to {last.isoformat()}",
            )
        )
    if today is not None and row.inspected_on > today:
        errors.append(
            RowError(
                row.line,
                "inspected_on",
                f"{row.inspected_on.isoformat()} is in the future",
            )
        )
    return errors
