"""Who may print what (hub/documents/services.py), through the service, the web pages and the CLI:
a coordinator everything, a liaison their agency's, an inspector their own assignments."""

from __future__ import annotations

import html
import re

import pytest

from hub.auth.principal import Principal
from hub.cli import main
from hub.documents.facts import load_facts
from hub.documents.services import select_documents
from hub.errors import Forbidden
from tests.web import scenario as sc
from tests.web.signin import sends_to_sign_in

from .conftest import enter_transfer, text_of


def _liaison(agency: str) -> Principal:
    return Principal(f"liaison-{agency}", frozenset({"liaison"}), agency=agency)


def _inspector(inspector_id: str) -> Principal:
    return Principal(f"user-{inspector_id}", frozenset({"inspector"}), inspector_id=inspector_id)


@pytest.fixture
def with_transfer(drawn):  # type: ignore[no-untyped-def]
    enter_transfer(drawn, drawn.drawn_entities()[0])
    return drawn


def test_coordinator_may_print_every_document_of_the_task(with_transfer):  # type: ignore[no-untyped-def]
    facts = load_facts(with_transfer.db, with_transfer.task_id)
    refs = select_documents(facts, Principal("coord", frozenset({"coordinator"})))
    assert refs == facts.refs()
    assert {r.kind for r in refs} == {"notice", "dispatch", "record", "result", "transfer"}


def test_liaison_prints_their_agency_papers_only(with_transfer):  # type: ignore[no-untyped-def]
    facts = load_facts(with_transfer.db, with_transfer.task_id)
    refs = select_documents(facts, _liaison("HEALTH"))
    assert {r.agency for r in refs if r.kind in ("record", "result", "transfer")} == {"HEALTH"}
    assert not [r for r in refs if r.kind == "transfer"]  # the transfer is SAMR's letter
    assert len([r for r in refs if r.kind == "notice"]) == 4  # every team has a HEALTH inspector
    samr = select_documents(facts, _liaison("SAMR"), kind="transfer", agency="SAMR")
    assert [r.kind for r in samr] == ["transfer"]
    with pytest.raises(Forbidden, match="your own agency"):
        select_documents(facts, _liaison("HEALTH"), agency="SAMR")
    with pytest.raises(Forbidden):  # a SAMR inspector's batch is not a HEALTH liaison's
        select_documents(
            facts,
            _liaison("HEALTH"),
            inspector=next(i for i in with_transfer.team_of(with_transfer.drawn_entities()[0]) if i.startswith("SAMR")),
        )


def test_inspector_prints_only_their_own_assignments(with_transfer):  # type: ignore[no-untyped-def]
    drawn = with_transfer
    first = drawn.drawn_entities()[0]
    me = next(i for i in drawn.team_of(first) if i.startswith("HEALTH"))
    facts = load_facts(drawn.db, drawn.task_id)
    refs = select_documents(facts, _inspector(me))
    assert {(r.kind, r.entity_id or "") for r in refs if r.kind != "dispatch"} == {
        ("notice", first),
        ("record", first),
    }  # and not SAMR's record sheet, nor the transfer letter
    assert [r.team for r in refs if r.kind == "dispatch"] == [tuple(sorted(drawn.team_of(first)))]
    assert select_documents(facts, _inspector(me), inspector=me) == refs
    with pytest.raises(Forbidden):
        select_documents(facts, _inspector(me), inspector="HEALTH-999")
    with pytest.raises(Forbidden):
        select_documents(facts, _inspector(me), kind="transfer")
    with pytest.raises(Forbidden):  # an auditor or reviewer prints nothing
        select_documents(facts, Principal("aud", frozenset({"auditor", "reviewer"})))


# ------------------------------------------------------------------ web


def test_web_batch_and_single_document_follow_the_rule(drawn, sign_in, client):  # type: ignore[no-untyped-def]
    first, second = drawn.drawn_entities()[:2]
    me = next(i for i in drawn.team_of(first) if i.startswith("HEALTH"))
    sign_in("insp", "inspector", inspector_id=me)
    page = client.get(f"/tasks/{drawn.task_id}/documents")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert f"/documents/notice/{first}.pdf" in body and f"/documents/notice/{second}.pdf" not in body
    mine = client.get(f"/tasks/{drawn.task_id}/documents/notice/{first}.pdf")
    assert mine.status_code == 200 and mine.mimetype == "application/pdf"
    assert "检查通知书" in text_of(mine.data)
    assert client.get(f"/tasks/{drawn.task_id}/documents/notice/{second}.pdf").status_code == 403
    assert client.get(f"/tasks/{drawn.task_id}/documents.pdf?agency=SAMR").status_code == 403
    assert client.get(f"/tasks/{drawn.task_id}/documents/notice/EDU:0000.pdf").status_code == 404


def test_web_coordinator_prints_a_batch_and_the_task_page_links_to_it(drawn, sign_in, client):  # type: ignore[no-untyped-def]
    sign_in("coord", "coordinator")
    assert "documents-links" in client.get(f"/tasks/{drawn.task_id}").get_data(as_text=True)
    listing = client.get(f"/tasks/{drawn.task_id}/documents").get_data(as_text=True)
    links = re.findall(r'href="(/tasks/[^"]+/documents/(?:dispatch|record)/[^"]+\.pdf)"', listing)
    assert len(links) == 4 + 8  # a dispatch sheet per team, a record sheet per entity and agency
    for link in (links[0], links[-1]):  # a team's members joined by +, an entity id with its agency
        assert client.get(html.unescape(link)).status_code == 200, link
    response = client.get(f"/tasks/{drawn.task_id}/documents.pdf?kind=notice&agency=SAMR")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = text_of(response.data)
    assert "济卫联查〔" in text and all(name in text for _, name, *_ in sc.ENTITIES)


def test_web_refuses_the_signed_out_and_roles_without_documents(drawn, sign_in, client):  # type: ignore[no-untyped-def]
    assert sends_to_sign_in(client.get(f"/tasks/{drawn.task_id}/documents.pdf"))
    sign_in("aud", "auditor")
    assert client.get(f"/tasks/{drawn.task_id}/documents.pdf").status_code == 403


# ------------------------------------------------------------------ CLI


@pytest.fixture
def cli_env(monkeypatch, settings):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HUB_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("HUB_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("HUB_SECRET_KEY", "test")
    monkeypatch.delenv("HUB_CONFIG", raising=False)
    monkeypatch.delenv("HUB_BROKER_URL", raising=False)


def test_cli_writes_the_pdf_and_applies_the_rule_with_as(drawn, cli_env, tmp_path, capsys):  # type: ignore[no-untyped-def]
    out = tmp_path / "notices.pdf"
    assert main(["task", "documents", drawn.task_id, "--kind", "notice", "--out", str(out)]) == 0
    assert "济卫联查〔" in text_of(out.read_bytes())
    assert "4 document(s) written" in capsys.readouterr().out
    sc.add_person(drawn.db, "liaison-h", ["liaison"], agency="HEALTH")
    assert (
        main(
            [
                "task",
                "documents",
                drawn.task_id,
                "--agency",
                "SAMR",
                "--as",
                "liaison-h",
                "--out",
                str(tmp_path / "x.pdf"),
            ]
        )
        == 77
    )
    assert "own agency" in capsys.readouterr().err
    assert (
        main(
            [
                "task",
                "documents",
                drawn.task_id,
                "--kind",
                "record",
                "--agency",
                "HEALTH",
                "--as",
                "liaison-h",
                "--out",
                str(tmp_path / "h.pdf"),
            ]
        )
        == 0
    )
    assert main(["task", "documents", drawn.task_id, "--as", "nobody", "--out", str(tmp_path / "n.pdf")]) == 66
    assert main(["task", "documents", "JT-NOPE", "--out", str(tmp_path / "n.pdf")]) == 66
    assert main(["task", "documents", drawn.task_id, "--kind", "result", "--out", str(tmp_path / "r.pdf")]) == 66


def test_cli_refuses_a_task_not_drawn_yet(db, settings, cli_env, tmp_path, capsys):  # type: ignore[no-untyped-def]
    scenario = sc.frozen_task(db, settings)
    assert main(["task", "documents", scenario.task_id, "--out", str(tmp_path / "x.pdf")]) == 75
    assert "after the draw" in capsys.readouterr().err
