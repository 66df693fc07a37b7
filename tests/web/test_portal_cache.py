"""The portal's micro-cache (hub.web.caching over hub.microcache): a public page read again is answered
from memory with no SQL; a new publication shows once the documented bound has passed; errors, streamed
downloads and signed-in pages are never kept; ETag/304 still work."""

from __future__ import annotations

import pytest

from hub import create_app
from hub.microcache import MicroCache
from hub.results.models import Result

from .portal_factory import TASK_ID, add_published, sql, uscc

TTL = 5


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(make_settings, clock):  # type: ignore[no-untyped-def]
    app = create_app(make_settings({"portal": {"response_cache_seconds": TTL, "response_cache_mb": 4}}))
    app.config.update(TESTING=True)
    assert app.extensions["hub_public_cache"].enabled  # the configured cache, before the test's clock replaces it
    app.extensions["hub_public_cache"] = MicroCache(4 * 1024 * 1024, TTL, clock=clock)
    return app


PAGES = (
    "/public/",
    "/public/results/?name=酒店",
    "/public/results.json?district=370102",
    "/public/results.csv?agency=HEALTH",
    "/public/entities/{entity}",
    "/public/entities/{entity}.json",
    f"/public/tasks/{TASK_ID}/results",
    "/public/tasks/",
)


def test_a_page_read_again_is_answered_from_memory_without_sql(app, db):  # type: ignore[no-untyped-def]
    add_published(db)
    client = app.test_client()
    for url in (u.format(entity=uscc(1)) for u in PAGES):
        with sql(app) as first_sql:
            first = client.get(url)
        assert first.status_code == 200 and first_sql, url
        with sql(app) as again_sql:
            again = client.get(url)
        assert again_sql == [], f"{url} read the database again"
        assert again.status_code == 200 and again.get_data() == first.get_data(), url
        for header in ("ETag", "Content-Type", "Cache-Control", "Last-Modified", "Content-Disposition"):
            assert again.headers.get(header) == first.headers.get(header), (url, header)
        assert "Set-Cookie" not in again.headers, url
        with sql(app) as conditional_sql:
            unchanged = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
        assert unchanged.status_code == 304 and unchanged.get_data() == b"" and conditional_sql == [], url


def test_each_language_is_kept_apart(app, db):  # type: ignore[no-untyped-def]
    add_published(db)
    client = app.test_client()
    chinese = client.get("/public/verify").get_data()
    english = client.get("/public/verify?lang=en").get_data()
    assert chinese != english
    assert client.get("/public/verify").get_data() == chinese
    assert client.get("/public/verify?lang=en").get_data() == english


def test_a_new_publication_shows_once_the_bound_has_passed(app, db, clock):  # type: ignore[no-untyped-def]
    add_published(db)
    client = app.test_client()
    url = f"/public/entities/{uscc(1)}.json"
    before = client.get(url).json["rows"]
    with db.unit_of_work() as s:
        first = s.query(Result).filter(Result.entity_id == uscc(1)).one()
        s.add(
            Result(
                result_id="NEW-1",
                task_id=TASK_ID,
                entity_id=uscc(1),
                agency="EDU",
                inspected_on=first.inspected_on,
                outcome_codes=["1"],
                inspectors=[],
                items=[],
                findings="",
                state="approved",
                entered_by="t",
                approved_at=first.approved_at,
                published_on=first.published_on,
            )
        )
    clock.now += TTL - 0.5
    assert client.get(url).json["rows"] == before  # within the documented bound: the kept answer
    clock.now += 0.5
    after = [r["result_id"] for r in client.get(url).json["rows"]]
    assert "NEW-1" in after and len(after) == len(before) + 1


def test_an_error_is_never_kept(app, db):  # type: ignore[no-untyped-def]
    add_published(db)
    client = app.test_client()
    cache = app.extensions["hub_public_cache"]
    for url in (f"/public/entities/{uscc(4)}", "/public/results/?year=99", "/public/tasks/JT-NOPE-1"):
        assert client.get(url).status_code in (400, 404), url
        with sql(app) as statements:
            assert client.get(url).status_code in (400, 404), url
        assert statements or "year" in url, f"{url}: the second answer came from memory"
    assert len(cache) == 0


def test_streamed_downloads_and_signed_in_pages_are_never_kept(app, db):  # type: ignore[no-untyped-def]
    from .conftest import csrf_token
    from .scenario import PASSWORD, add_person

    add_published(db)
    client = app.test_client()
    cache = app.extensions["hub_public_cache"]
    assert client.get("/public/data/results-2025.csv").status_code == 200
    assert len(cache) == 0
    add_person(db, "coord", ["coordinator"])
    signed = client.post("/login", data={"name": "coord", "password": PASSWORD, "csrf_token": csrf_token(client)})
    assert signed.status_code == 302
    for url in ("/tasks/", "/results/"):
        answer = client.get(url)
        assert answer.status_code in (200, 302), url
    assert len(cache) == 0
    assert client.get("/public/tasks/").status_code == 200 and len(cache) == 1  # the public page, for anyone
