"""Each document as a PDF: A4, Chinese text extractable as text, fonts embedded, numbered, with the
content documents.md asks for."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from hub.documents.services import print_document, print_documents
from hub.errors import Conflict, NotFound
from tests.web import scenario as sc

from .conftest import ADMIN, BASE, TODAY, enter_transfer, pages_text, text_of


def _notice(scenario, entity_id):  # type: ignore[no-untyped-def]
    return print_document(scenario.db, scenario.task_id, ADMIN, "notice", entity_id, base_url=BASE, today=TODAY)


def test_notice_is_one_a4_page_with_chinese_text_number_and_embedded_fonts(drawn):  # type: ignore[no-untyped-def]
    entity_id = drawn.drawn_entities()[0]
    name = dict((e[0], e[1]) for e in sc.ENTITIES)[entity_id]
    printed = _notice(drawn, entity_id)
    reader = PdfReader(io.BytesIO(printed.pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    text = text_of(printed.pdf)
    for expected in (
        "检查通知书",
        name,
        "济卫联查〔2026〕1号",
        "济南市卫生健康委员会",
        "济南市市场监督管理局",
        "学校卫生监督检查",
        "《学校卫生工作条例》",
        "《食品安全法》",
        "2026年12月1日至2026年12月31日",
        "执法证号",
        "（盖章）",
        f"{BASE}/public/tasks/{drawn.task_id}",
    ):
        assert expected in text, expected
    for inspector_id in drawn.team_of(entity_id):  # the team, by name and certificate number
        agency, n = inspector_id.split("-")
        assert f"{agency[0]}检查员{int(n)}" in text and f"C{agency}{int(n)}" in text
    fonts = reader.pages[0]["/Resources"]["/Font"]
    descriptors = [
        f.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object() for f in fonts.values()
    ]
    assert descriptors and all({"/FontFile2", "/FontFile3"} & set(d) for d in descriptors)  # embedded
    assert any("CJK" in str(d["/FontName"]) for d in descriptors)


def test_notice_carries_the_qr_code_as_a_drawing(drawn):  # type: ignore[no-untyped-def]
    printed = _notice(drawn, drawn.drawn_entities()[0])
    resources = PdfReader(io.BytesIO(printed.pdf)).pages[0]["/Resources"]
    assert "/XObject" in resources  # WeasyPrint draws the SVG QR code as a form XObject


def test_reprinting_keeps_the_number_and_each_agency_has_its_own_series(drawn):  # type: ignore[no-untyped-def]
    first, second = drawn.drawn_entities()[:2]
    a = _notice(drawn, first).documents[0][1]
    b = _notice(drawn, second).documents[0][1]
    assert (a, b) == ("济卫联查〔2026〕1号", "济卫联查〔2026〕2号")
    assert _notice(drawn, first).documents[0][1] == a
    record = print_document(drawn.db, drawn.task_id, ADMIN, "record", f"{first}/SAMR", base_url=BASE, today=TODAY)
    assert record.documents[0][1] == "济市监查记〔2026〕1号"
    assert "济市监查记〔2026〕1号" in text_of(record.pdf)


def test_record_sheet_is_blank_before_the_inspection_and_filled_after(drawn):  # type: ignore[no-untyped-def]
    entity_id = drawn.drawn_entities()[0]
    blank = print_document(drawn.db, drawn.task_id, ADMIN, "record", f"{entity_id}/HEALTH", base_url=BASE, today=TODAY)
    text = text_of(blank.pdf)
    assert "检查记录表" in text and "学校卫生监督检查" in text and "教学环境、饮用水卫生" in text
    assert "符合" in text and "不符合" in text and "不适用" in text and "被检查单位负责人" in text
    assert "学校食堂食品安全检查" not in text  # SAMR's item is on SAMR's sheet
    for inspector_id in drawn.team_of(entity_id):  # the whole team signs: at least two inspectors
        agency, n = inspector_id.split("-")
        assert f"{agency[0]}检查员{int(n)}" in text
    sc.enter(drawn, entity_id, "HEALTH", "教室采光照度不达标，已当场整改。", ("5",))
    filled = print_document(drawn.db, drawn.task_id, ADMIN, "record", f"{entity_id}/HEALTH", base_url=BASE, today=TODAY)
    assert filled.documents[0][1] == blank.documents[0][1]  # the same paper, the same number
    text = text_of(filled.pdf)
    assert "教室采光照度不达标" in text and "发现问题经责令已改正" in text and "2026年12月10日" in text


def test_result_sheet_exists_once_a_result_is_entered(drawn):  # type: ignore[no-untyped-def]
    entity_id = drawn.drawn_entities()[1]
    with pytest.raises(NotFound):
        print_documents(drawn.db, drawn.task_id, ADMIN, base_url=BASE, kind="result")
    sc.enter(drawn, entity_id, "HEALTH", "未发现问题。", ("1",))
    printed = print_documents(drawn.db, drawn.task_id, ADMIN, base_url=BASE, kind="result", today=TODAY)
    assert [(r.kind, r.entity_id, r.agency) for r, _ in printed.documents] == [("result", entity_id, "HEALTH")]
    text = text_of(printed.pdf)
    assert "检查结果单" in text and "未发现问题" in text and "待审核" in text and "济卫查结〔2026〕" in text
    sc.approve_all(drawn)
    assert "已审核" in text_of(print_documents(drawn.db, drawn.task_id, ADMIN, base_url=BASE, kind="result").pdf)


def test_transfer_letter_goes_to_the_receiving_agency(drawn):  # type: ignore[no-untyped-def]
    entity_id = drawn.drawn_entities()[2]
    name = dict((e[0], e[1]) for e in sc.ENTITIES)[entity_id]
    enter_transfer(drawn, entity_id)
    printed = print_documents(drawn.db, drawn.task_id, ADMIN, base_url=BASE, kind="transfer", today=TODAY)
    [(ref, number)] = printed.documents
    assert ref.agency == "SAMR" and number == "济市监移〔2026〕1号"
    text = text_of(printed.pdf)
    for expected in (
        "案件线索移送书",
        "济南市卫生健康委员会：",
        name,
        "食堂两名从业人员无健康证明",
        "第四十五条",
        "发现问题待后续处理",
        "证据材料清单",
        "《食品安全法》",
        number,
    ):
        assert expected in text, expected


def test_dispatch_sheet_lists_its_team_entities_and_a_recusal_line(drawn):  # type: ignore[no-untyped-def]
    printed = print_documents(drawn.db, drawn.task_id, ADMIN, base_url=BASE, kind="dispatch", today=TODAY)
    assert len(printed.documents) == 4  # capacity 1: every entity has a team of its own
    pages = pages_text(printed.pdf)
    assert len(pages) == 4
    ref = printed.documents[0][0]
    visited = [a for a in drawn.drawn_entities() if sorted(drawn.team_of(a)) == list(ref.team)]
    name = dict((e[0], e[1]) for e in sc.ENTITIES)[visited[0]]
    page = "".join(pages[0].split())
    assert "检查人员派遣单" in page and "回避" in page and name in page and "济卫联查派〔2026〕1号" in page


def test_a_batch_is_one_pdf_with_every_document_numbered(drawn):  # type: ignore[no-untyped-def]
    printed = print_documents(drawn.db, drawn.task_id, ADMIN, base_url=BASE, kind="notice", today=TODAY)
    numbers = [n for _, n in printed.documents]
    assert numbers == [f"济卫联查〔2026〕{i}号" for i in range(1, 5)]
    pages = pages_text(printed.pdf)
    assert len(pages) == 4 and all(n in "".join(p.split()) for n, p in zip(numbers, pages, strict=True))


def test_documents_wait_for_the_draw(db, settings):  # type: ignore[no-untyped-def]
    scenario = sc.frozen_task(db, settings)
    with pytest.raises(Conflict, match="after the draw"):
        print_documents(db, scenario.task_id, ADMIN, base_url=BASE)
    with pytest.raises(NotFound):
        print_documents(db, "JT-NOPE", ADMIN, base_url=BASE)
