from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from hub.results.csv_import import (
    HEADER,
    ResultRow,
    RowError,
    check_against_task,
    parse_results_csv,
    read_results_csv,
)

HEAD = ",".join(HEADER)
GOOD = [
    "91370102MA3C4AB12X,HEALTH,2026-12-03,5;8,H001;H002,饮用水卫生管理制度不健全，已责令整改",
    "EDU:3137000123,SAMR,2026-12-04,1,S007,未发现问题",
]


def write(tmp_path: Path, lines: list[str], encoding: str, newline: str = "\r\n") -> Path:
    path = tmp_path / "results.csv"
    path.write_bytes(newline.join(lines).encode(encoding) + newline.encode())
    return path


def messages(errors: list[RowError]) -> set[tuple[int, str]]:
    return {(e.line, e.field) for e in errors}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_reads_each_accepted_encoding(tmp_path: Path, encoding: str) -> None:
    parsed = read_results_csv(write(tmp_path, [HEAD, *GOOD], encoding))
    assert parsed.errors == []
    assert parsed.rows == [
        ResultRow(
            2,
            "91370102MA3C4AB12X",
            "HEALTH",
            date(2026, 12, 3),
            ("5", "8"),
            ("H001", "H002"),
            "饮用水卫生管理制度不健全，已责令整改",
        ),
        ResultRow(
            3,
            "EDU:3137000123",
            "SAMR",
            date(2026, 12, 4),
            ("1",),
            ("S007",),
            "未发现问题",
        ),
    ]


def test_gb18030_file_is_not_valid_utf8(tmp_path: Path) -> None:
    # The case the GB18030 fallback exists for: Excel in a Chinese locale saves such files.
    data = write(tmp_path, [HEAD, *GOOD], "gb18030").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert parse_results_csv(data).rows[0].findings.startswith("饮用水")


def test_unix_line_endings_and_quoted_fields(tmp_path: Path) -> None:
    lines = [HEAD, 'E1,HEALTH,2026-12-03,2,H001,"一处, 另一处"']
    parsed = read_results_csv(write(tmp_path, lines, "utf-8", newline="\n"))
    assert parsed.errors == []
    assert parsed.rows[0].findings == "一处, 另一处"


def test_bad_rows_are_reported_by_line_and_field_and_good_rows_kept() -> None:
    lines = [
        HEAD,
        GOOD[0],  # 2
        "E2,HEALTH,2026/12/03,5,H001,",  # 3 date format
        "E3,HEALTH,2026-02-30,5,H001,",  # 4 no such day
        "E4,HEALTH,2026-12-03,14,H001,",  # 5 unknown code
        "E5,HEALTH,2026-12-03,1;5,H001,",  # 6 code 1 not alone
        "E6,HEALTH,2026-12-03,5;5,H001,",  # 7 duplicate code
        "E7,HEALTH,2026-12-03,5,,",  # 8 no inspector
        "E8,HEALTH,2026-12-03,5,H001",  # 9 a field short
        "91370102MA3C4AB12X,HEALTH,2026-12-05,2,H001,again",  # 10 duplicate row
        ",HEALTH,2026-12-03,5,H001,",  # 11 no entity
        "E9,HEALTH,2026-12-03,,H001,",  # 12 no code
        "E10,SAMR,2026-12-03,2,S001;S001,",  # 13 inspector twice
        GOOD[1],  # 14
    ]
    parsed = parse_results_csv("\n".join(lines).encode())
    assert [r.line for r in parsed.rows] == [2, 14]
    assert messages(parsed.errors) == {
        (3, "inspected_on"),
        (4, "inspected_on"),
        (5, "outcome_codes"),
        (6, "outcome_codes"),
        (7, "outcome_codes"),
        (8, "inspectors"),
        (9, "row"),
        (10, "entity_id"),
        (11, "entity_id"),
        (12, "outcome_codes"),
        (13, "inspectors"),
    }
    by_line = {e.line: e for e in parsed.errors}
    assert "YYYY-MM-DD" in by_line[3].message and "2026/12/03" in by_line[3].message
    assert "'14'" in by_line[5].message
    assert "line 2" in by_line[10].message
    assert str(by_line[9]) == "line 9, row: expected 6 fields, got 5"


def test_code_8_without_follow_up_is_left_to_the_service() -> None:
    parsed = parse_results_csv(f"{HEAD}\nE1,HEALTH,2026-12-03,8,H001,待立案\n".encode())
    assert parsed.errors == []
    assert parsed.rows[0].outcome_codes == ("8",)


def test_one_row_may_have_several_errors() -> None:
    parsed = parse_results_csv(f"{HEAD}\nE1,HEALTH,03.12.2026,1;1,,\n".encode())
    assert parsed.rows == []
    assert messages(parsed.errors) == {
        (2, "inspected_on"),
        (2, "outcome_codes"),
        (2, "inspectors"),
    }


def test_line_numbers_count_physical_lines() -> None:
    data = f'{HEAD}\nE1,HEALTH,2026-12-03,5,H001,"第一行\n第二行"\n\nE2,HEALTH,2026-13-01,5,H001,\n'.encode()
    parsed = parse_results_csv(data)
    assert parsed.rows[0].line == 2
    assert parsed.rows[0].findings == "第一行\n第二行"
    assert parsed.errors == [RowError(5, "inspected_on", "expected a date as YYYY-MM-DD, got '2026-13-01'")]


def test_full_width_semicolons_and_spaces_are_accepted() -> None:
    parsed = parse_results_csv(f"{HEAD}\nE1 , HEALTH ,2026-12-03, 2；5 ,H001； H002,\n".encode())
    assert parsed.errors == []
    row = parsed.rows[0]
    assert (row.entity_id, row.agency, row.outcome_codes, row.inspectors) == (
        "E1",
        "HEALTH",
        ("2", "5"),
        ("H001", "H002"),
    )


@pytest.mark.parametrize(
    "header",
    [
        "entity_id,agency,inspected_on,outcome_codes,inspectors",
        "entity_id,agency,date,outcome_codes,inspectors,findings",
        "agency,entity_id,inspected_on,outcome_codes,inspectors,findings",
        "检查对象,部门,检查日期,结果,检查人员,发现问题",
        "",
    ],
)
def test_wrong_header_rejects_the_file(header: str) -> None:
    parsed = parse_results_csv(f"{header}\n{GOOD[0]}\n".encode())
    assert parsed.rows == []
    assert [(e.line, e.field) for e in parsed.errors] == [(1, "header")]
    assert HEAD in parsed.errors[0].message


def test_bom_header_is_recognised() -> None:
    parsed = parse_results_csv(("\ufeff" + HEAD + "\n" + GOOD[1] + "\n").encode("utf-8"))
    assert parsed.errors == [] and len(parsed.rows) == 1


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xfee\x00n\x00",  # UTF-16
        "entity_id,agency".encode("utf-16-be"),  # UTF-16 without BOM
        b"PK\x03\x04\x14\x00\x06\x00",  # an .xlsx saved under a .csv name
        b"entity_id\x81\x20\xff",  # neither UTF-8 nor GB18030
    ],
)
def test_undecodable_file_is_one_file_error(data: bytes) -> None:
    parsed = parse_results_csv(data)
    assert parsed.rows == []
    assert [(e.line, e.field) for e in parsed.errors] == [(0, "file")]


def test_unreadable_csv_stops_with_an_error_and_keeps_earlier_rows() -> None:
    huge = "x" * 200_000  # over the csv module's field size limit
    parsed = parse_results_csv(f"{HEAD}\n{GOOD[1]}\nE2,HEALTH,2026-12-03,5,H001,{huge}\n".encode())
    assert [r.entity_id for r in parsed.rows] == ["EDU:3137000123"]
    assert [e.field for e in parsed.errors] == ["file"]


ROW = ResultRow(7, "E1", "HEALTH", date(2026, 12, 3), ("5",), ("H001", "S002"), "")
DRAWN = {"E1": ["H001", "S002", "E003"], "E2": ["H009"]}
WINDOW = (date(2026, 12, 1), date(2026, 12, 31))
AGENCIES = {"HEALTH", "SAMR", "EDU"}


def test_row_matching_its_task_has_no_errors() -> None:
    assert check_against_task(ROW, DRAWN, WINDOW, AGENCIES) == []
    assert check_against_task(ROW, DRAWN, (date(2026, 12, 3), date(2026, 12, 3)), AGENCIES) == []


def test_entity_not_drawn_is_an_error() -> None:
    row = ResultRow(7, "E5", "HEALTH", date(2026, 12, 3), ("5",), ("H001",), "")
    assert messages(check_against_task(row, DRAWN, WINDOW, AGENCIES)) == {(7, "entity_id")}


def test_inspector_not_on_the_team_is_named() -> None:
    row = ResultRow(7, "E2", "HEALTH", date(2026, 12, 3), ("5",), ("H009", "H001"), "")
    errors = check_against_task(row, DRAWN, WINDOW, AGENCIES)
    assert messages(errors) == {(7, "inspectors")}
    assert "H001" in errors[0].message and "H009" not in errors[0].message


@pytest.mark.parametrize("day", [date(2026, 11, 30), date(2027, 1, 1)])
def test_date_outside_window_is_an_error(day: date) -> None:
    row = ResultRow(7, "E1", "HEALTH", day, ("5",), ("H001",), "")
    assert messages(check_against_task(row, DRAWN, WINDOW, AGENCIES)) == {(7, "inspected_on")}


def test_agency_not_in_task_is_an_error() -> None:
    row = ResultRow(7, "E1", "CULTURE", date(2026, 12, 3), ("5",), ("H001",), "")
    assert messages(check_against_task(row, DRAWN, WINDOW, AGENCIES)) == {(7, "agency")}


def test_date_in_the_future_is_an_error_when_today_is_given() -> None:
    assert check_against_task(ROW, DRAWN, WINDOW, AGENCIES, today=date(2026, 12, 3)) == []
    errors = check_against_task(ROW, DRAWN, WINDOW, AGENCIES, today=date(2026, 12, 2))
    assert messages(errors) == {(7, "inspected_on")}
