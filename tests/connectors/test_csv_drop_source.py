"""csv-drop: encodings, processed-file bookmarks, column mapping, unreadable files kept visible."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.base import FatalError
from connectors.sandboxes import data
from connectors.sandboxes.csv_drop import CsvDropSandbox, write_csv, write_drop

HEADER = (*data.CSV_HEADER, data.SCHOOL_CODE_COLUMN)


def _rows(n: int, start: int = 0) -> list[dict[str, str]]:
    return [data.csv_row(5, start + i) for i in range(n)]


def _folder(path: Path) -> str:
    return path.as_uri()


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8", "utf-8-sig"])
def test_every_encoding_decodes_to_the_same_records(tmp_path: Path, source_for, encoding: str) -> None:
    rows = _rows(30)
    write_csv(tmp_path / "民政局导出.csv", rows, HEADER, encoding)
    [batch] = list(source_for("csv-drop", _folder(tmp_path)).batches({}))
    assert batch.label == "民政局导出.csv"
    assert [r.fields["name"] for r in batch.records] == [row["机构名称"] for row in rows]
    assert [r.fields["address"] for r in batch.records] == [row["地址"] for row in rows]
    first = batch.records[0].fields
    assert first["categories"] == [
        {
            "养老机构": "eldercare",
            "托育机构": "childcare",
            "旅行社": "travel_agency",
            "网吧": "internet_cafe",
            "歌舞娱乐场所": "entertainment",
            "游泳场所": "swimming",
        }[rows[0]["类别"]]
    ]


def test_gb18030_file_is_not_mistaken_for_utf8(tmp_path: Path, source_for) -> None:
    (tmp_path / "a.csv").write_bytes("机构名称,所在区县\n历下区某某养老院,370102\n".encode("gb18030"))
    [batch] = list(source_for("csv-drop", str(tmp_path)).batches({}))
    assert batch.records[0].fields["name"] == "历下区某某养老院"


def test_processed_file_is_skipped_and_changed_file_offered_again(tmp_path: Path, source_for) -> None:
    write_drop(tmp_path, seed=2, files=3, rows=10)
    source = source_for("csv-drop", _folder(tmp_path))
    batches = list(source.batches({}))
    assert len(batches) == 3
    state = batches[-1].bookmark
    assert [name for name, _ in state["processed"]] == sorted(p.name for p in tmp_path.glob("*.csv"))
    assert list(source.batches(state)) == []
    changed = sorted(tmp_path.glob("*.csv"))[1]
    write_csv(changed, _rows(12, start=500), HEADER, "gb18030")
    again = list(source.batches(state))
    assert [b.label for b in again] == [changed.name]
    assert len(again[0].records) == 12
    assert again[0].bookmark["file"] == changed.name
    assert len(again[0].bookmark["processed"]) == 3
    assert list(source.batches(again[0].bookmark)) == []


def test_undecodable_file_becomes_one_error_record(tmp_path: Path, source_for) -> None:
    (tmp_path / "broken.csv").write_bytes("机构名称\n".encode() + b"\xff\xfe\xff\n")
    [batch] = list(source_for("csv-drop", _folder(tmp_path)).batches({}))
    [record] = batch.records
    assert record.key == "broken.csv"
    assert "broken.csv" in record.error and "neither UTF-8 nor GB18030" in record.error
    assert batch.bookmark["file"] == "broken.csv"  # recorded: offered again only once changed


def test_file_without_known_header_becomes_one_error_record(tmp_path: Path, source_for) -> None:
    (tmp_path / "x.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    [batch] = list(source_for("csv-drop", _folder(tmp_path)).batches({}))
    assert [r.key for r in batch.records] == ["x.csv"]
    assert "header row" in batch.records[0].error


def test_ragged_row_is_an_error_naming_its_line(tmp_path: Path, source_for) -> None:
    write_drop(tmp_path, seed=2, files=1, rows=10, invalid_share=0.3)
    [batch] = list(source_for("csv-drop", _folder(tmp_path)).batches({}))
    assert len(batch.records) == 11
    errors = [r for r in batch.records if r.error]
    assert [r.key for r in errors] == [f"{batch.label}:7"]
    assert "line 7: 3 fields, the header has 8" in errors[0].error


def test_row_keys_are_uscc_else_school_code_else_file_and_line(tmp_path: Path, source_for) -> None:
    rows = [
        {"机构名称": "历下区某某养老院", "统一社会信用代码": "52370102MJD123456X", "所在区县": "370102"},
        {"机构名称": "历下区某某托育中心", "学校标识码": "2137000001", "所在区县": "370102"},
        {"机构名称": "历下区某某游泳馆", "所在区县": "370102"},
    ]
    write_csv(tmp_path / "k.csv", rows, HEADER, "utf-8")
    [batch] = list(source_for("csv-drop", _folder(tmp_path)).batches({}))
    assert [r.key for r in batch.records] == ["52370102MJD123456X", "EDU:2137000001", "k.csv:4"]
    assert batch.records[1].fields["scheme_id"] == "EDU:2137000001"


def test_columns_and_category_come_from_config(tmp_path: Path, source_for) -> None:
    write_csv(
        tmp_path / "c.csv",
        [["济南某某网吧", "370103", "王某", "x"]],
        ("单位名称", "区划代码", "法定代表人", "备注"),
        "gb18030",
    )
    source = source_for(
        "csv-drop",
        _folder(tmp_path),
        category="internet_cafe",
        columns={"单位名称": "name", "区划代码": "district", "法定代表人": "legal_rep"},
    )
    [record] = next(iter(source.batches({}))).records
    assert (record.fields["name"], record.fields["district"], record.fields["legal_rep"]) == (
        "济南某某网吧",
        "370103",
        "王某",
    )
    assert record.fields["categories"] == ["internet_cafe"]
    assert record.fields["attributes"]["备注"] == "x"


def test_missing_folder_fails_the_run(tmp_path: Path, source_for) -> None:
    with pytest.raises(FatalError, match="does not exist"):
        list(source_for("csv-drop", _folder(tmp_path / "nope")).batches({}))


def test_http_listing_gives_the_same_files(tmp_path: Path, source_for, credentials) -> None:
    write_drop(tmp_path, seed=4, files=3, rows=8)
    server = CsvDropSandbox(dict([credentials]), directory=tmp_path).start()
    try:
        over_http = list(source_for("csv-drop", server.url).batches({}))
    finally:
        server.stop()
    local = list(source_for("csv-drop", _folder(tmp_path)).batches({}))
    assert [b.bookmark for b in over_http] == [b.bookmark for b in local]
    assert [r.fields for b in over_http for r in b.records] == [r.fields for b in local for r in b.records]
