"""Chinese first, English on request; names for codes; the navigation hides what a role can't open."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from hub.web.i18n import TRANSLATIONS, load_catalogue
from hub.web.nav import NAV

from .scenario import drawn_task
from .signin import sends_to_sign_in

ROOT = Path(__file__).resolve().parents[2]


def test_pages_are_chinese_by_default(client) -> None:  # type: ignore[no-untyped-def]
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="zh-CN">' in html and "<h1>概览</h1>" in html and "登录" in html
    assert "Overview" not in html


def test_english_on_request_is_remembered(client) -> None:  # type: ignore[no-untyped-def]
    first = client.get("/?lang=en")
    assert "<h1>Overview</h1>" in first.get_data(as_text=True)
    assert "lang=en" in first.headers["Set-Cookie"]
    again = client.get("/login").get_data(as_text=True)  # the cookie, no parameter
    assert '<html lang="en">' in again
    # The public portal is the same for every reader of a URL (it is cached): its language comes from the
    # URL alone, never from the cookie (docs/portal.md).
    assert '<html lang="zh-CN">' in client.get("/public/").get_data(as_text=True)
    english = client.get("/public/?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in english and "Task notices" in english and "抽查任务公告" not in english
    back = client.get("/?lang=zh_CN").get_data(as_text=True)
    assert "<h1>概览</h1>" in back


def test_an_unknown_language_falls_back_to_chinese(client) -> None:  # type: ignore[no-untyped-def]
    assert "<h1>概览</h1>" in client.get("/?lang=xx").get_data(as_text=True)


def test_task_pages_show_names_not_codes(db, settings, sign_in) -> None:  # type: ignore[no-untyped-def]
    scenario = drawn_task(db, settings)
    html = sign_in("coord", "coordinator").get(f"/tasks/{scenario.task_id}").get_data(as_text=True)
    assert "市卫生健康委" in html and ">已抽取<" in html
    listing = sign_in("coord2", "coordinator").get("/tasks/").get_data(as_text=True)
    assert ">已抽取<" in listing and ">drawn<" not in listing


def test_the_navigation_hides_what_a_role_cannot_open(sign_in, client) -> None:  # type: ignore[no-untyped-def]
    anonymous = client.get("/").get_data(as_text=True)
    assert 'href="/tasks/"' not in anonymous and 'href="/public/"' in anonymous
    assert 'href="/quarantine"' not in anonymous  # nor in the page's own links
    inspector = sign_in("insp", "inspector", inspector_id="HEALTH-001").get("/").get_data(as_text=True)
    assert 'href="/tasks/"' in inspector
    assert 'href="/results/"' not in inspector and 'href="/quarantine"' not in inspector
    assert sign_in("aud", "auditor").get("/").get_data(as_text=True).count('href="/quarantine"') == 2


def test_every_navigation_entry_asks_the_roles_its_route_asks(app) -> None:  # type: ignore[no-untyped-def]
    for entry in NAV:
        view = app.view_functions[entry.endpoint]
        marker = getattr(view, "_hub_access", None)
        expected = () if marker == ("public",) else marker
        assert set(entry.roles) == set(expected or ()), entry.endpoint


def test_a_signed_out_visitor_signs_in_and_comes_back(db, client) -> None:  # type: ignore[no-untyped-def]
    from .conftest import csrf_token
    from .scenario import PASSWORD, add_person

    add_person(db, "coord", ["coordinator"])
    response = client.get("/quarantine?page=2")
    assert sends_to_sign_in(response, "/quarantine?page=2")
    back = client.post(
        response.headers["Location"], data={"name": "coord", "password": PASSWORD, "csrf_token": csrf_token(client)}
    )
    assert back.status_code == 302 and back.headers["Location"] == "/quarantine?page=2"


def test_the_english_catalogue_translates_every_message() -> None:
    """`make translations` has been run and every id has its English text (a new _() fails here)."""
    method_map = [("**.py", "python"), ("web/templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "N_": None, "_l": None, "lazy_gettext": None}
    ids = {m[1] for m in extract_from_dir(str(ROOT / "hub"), method_map, keywords=keywords) if isinstance(m[1], str)}
    with (TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh)
    untranslated = sorted(i for i in ids if not (catalog.get(i) and catalog.get(i).string))
    assert untranslated == []


def test_the_catalogue_loads_from_the_po_file() -> None:
    assert load_catalogue("en").gettext("概览") == "Overview"
    assert load_catalogue("fr").gettext("概览") == "概览"  # no catalogue: the Chinese id
