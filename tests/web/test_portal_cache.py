"""The portal's response cache (hub.web.caching over hub.microcache, keyed by the publication generation
of hub.db): a public answer read again comes from the cache (in Redis, shared by every web process, when
the broker is Redis; in the process's memory otherwise) with one tiny query and no render, and it is
never stale: after each kind of publishing write, through a service or an entry point, every page
answers exactly what a fresh render answers. Errors, streamed downloads and signed-in pages are never
kept; ETag/304 still work."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import redis
from flask import Flask, request

from hub import create_app
from hub.db import Database
from hub.items.services import import_items
from hub.microcache import MicroCache, RedisCache, TieredCache
from hub.results.models import Result
from hub.results.services import approve, enter_result

from .portal_factory import TASK_ID, add_published, sql, uscc
from .scenario import ACTOR, ENTITIES, approve_all, drawn_task, enter, frozen_task

INDIVIDUAL = next(e[0] for e in ENTITIES if e[2] == "individual")

TTL = 3600

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


@pytest.fixture(params=["memory", "redis"])
def cache_settings(request, make_settings):  # type: ignore[no-untyped-def]
    """Settings with the response cache on: in memory (no broker) or in Redis (the broker is Redis)."""
    config = {"portal": {"response_cache_seconds": TTL, "response_cache_mb": 4}}
    if request.param == "memory":
        return make_settings(config)
    url = request.getfixturevalue("redis_db_url")
    redis.Redis.from_url(url).flushdb()  # nothing left by an earlier test
    return make_settings(config, broker_url=url)


@pytest.fixture
def app(cache_settings):  # type: ignore[no-untyped-def]
    app = create_app(cache_settings)
    app.config.update(TESTING=True)
    return app


@pytest.fixture
def fresh(make_settings) -> Flask:
    """The same database with the cache off: what a page says when rendered now."""
    app = create_app(make_settings({"portal": {"response_cache_seconds": 0}}))
    app.config.update(TESTING=True)
    return app


def _generation_reads(statements: list[str]) -> bool:
    """Nothing but the generation read (on PostgreSQL it goes through a pool of its own, not seen here)."""
    return all("publication_generation" in s for s in statements) and len(statements) <= 1


def test_the_cache_is_where_the_broker_says(app, cache_settings):  # type: ignore[no-untyped-def]
    cache = app.extensions["hub_public_cache"]
    assert cache.enabled
    if cache_settings.broker_url:  # Redis, with a near copy in the process's memory
        assert isinstance(cache, TieredCache) and isinstance(cache.far, RedisCache)
    else:
        assert isinstance(cache, MicroCache)


def test_a_page_read_again_is_answered_from_the_cache_reading_only_the_generation(app, db):  # type: ignore[no-untyped-def]
    add_published(db)
    client = app.test_client()
    for url in (u.format(entity=uscc(1)) for u in PAGES):
        with sql(app) as first_sql:
            first = client.get(url)
        assert first.status_code == 200 and first.headers["X-Cache"] == "miss", url
        assert not _generation_reads(first_sql), f"{url}: a miss reads the page's data"
        with sql(app) as again_sql:
            again = client.get(url)
        assert _generation_reads(again_sql), f"{url} read more than the generation: {again_sql}"
        assert again.status_code == 200 and again.get_data() == first.get_data(), url
        assert again.headers["X-Cache"] == "hit", url
        for header in ("ETag", "Content-Type", "Cache-Control", "Last-Modified", "Content-Disposition"):
            assert again.headers.get(header) == first.headers.get(header), (url, header)
        assert "Set-Cookie" not in again.headers, url
        with sql(app) as conditional_sql:
            unchanged = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
        assert unchanged.status_code == 304 and unchanged.get_data() == b"" and _generation_reads(conditional_sql)


def test_each_language_is_kept_apart(app, db):  # type: ignore[no-untyped-def]
    add_published(db)
    client = app.test_client()
    chinese = client.get("/public/verify").get_data()
    english = client.get("/public/verify?lang=en").get_data()
    assert chinese != english
    assert client.get("/public/verify").get_data() == chinese
    assert client.get("/public/verify?lang=en").get_data() == english


class Watch:
    """Public pages read through the cached app, compared after each write with a fresh render."""

    def __init__(self, app: Flask, fresh: Flask, urls: list[str]) -> None:
        self.cached, self.fresh, self.urls = app.test_client(), fresh.test_client(), urls
        self.seen: dict[str, bytes] = {}

    def read(self) -> None:
        """Read every page twice: the second answer comes from the cache."""
        for url in self.urls:
            first = self.cached.get(url)
            again = self.cached.get(url)
            if first.status_code == 200:
                assert again.headers["X-Cache"] == "hit" and again.get_data() == first.get_data(), url
            self.seen[url] = first.get_data()

    def check(self, *changed: str) -> None:
        """Every page answers what a fresh render answers; the pages in ``changed`` differ from before."""
        for url in self.urls:
            now = self.cached.get(url)
            assert (now.status_code, now.get_data()) == (
                self.fresh.get(url).status_code,
                self.fresh.get(url).get_data(),
            ), f"{url} is stale"
        for url in changed:
            assert self.cached.get(url).get_data() != self.seen[url], f"{url} did not change"
        self.read()


def test_every_kind_of_publishing_write_shows_at_once(app, fresh, db, settings):  # type: ignore[no-untyped-def]
    task = "JT-2026-0100"
    urls = [
        "/public/",
        "/public/items/HEALTH",
        "/public/items/HEALTH.json",
        "/public/tasks/",
        "/public/tasks.json",
        f"/public/tasks/{task}",
        f"/public/tasks/{task}.json",
        f"/public/tasks/{task}/results",
        f"/public/tasks/{task}/results.json",
        "/public/results/?name=实验",
        "/public/results.json?agency=HEALTH",
        "/public/feeds/HEALTH.atom",
        "/public/plans/",
        "/public/plans.json",
    ]
    watch = Watch(app, fresh, urls)
    watch.read()

    # an item list (一单)
    item = {"agency": "HEALTH", "code": "HEALTH-X-01", "name": "新增事项", "legal_basis": "《条例》", "subject": "学校"}
    import_items(db, [item], ACTOR)
    watch.check("/public/items/HEALTH.json")

    # a task notice: frozen (public from then on), then drawn (the record and its verifier)
    scenario = frozen_task(db, settings, task)
    watch.check(f"/public/tasks/{task}", "/public/tasks.json")
    from hub.draw.services import run_draw
    from hub.tasks import services as lifecycle

    lifecycle.request_draw(db, task, "2026-11-30 福彩3D 123", ACTOR)
    run_draw(db, settings, task, ACTOR)
    watch.check(f"/public/tasks/{task}.json")
    school = next(e for e in scenario.drawn_entities() if e != INDIVIDUAL)
    watch.urls += [f"/public/entities/{school}", f"/public/entities/{school}.json"]
    watch.read()

    # results published (approved), then a correction (更正) of one
    entered = enter(scenario, school, "HEALTH", "饮用水消毒记录不全", codes=("2", "5"))
    watch.check()  # entered but not approved: nothing public changed, and nothing is stale
    approve_all(scenario)
    watch.check(
        f"/public/tasks/{task}/results.json", f"/public/entities/{school}", "/public/results.json?agency=HEALTH"
    )
    with db.unit_of_work() as s:
        published = s.get(Result, s.query(Result.id).filter(Result.result_id == entered).scalar())
        assert published is not None
        amended = {
            "entity_id": school,
            "agency": "HEALTH",
            "inspected_on": "2026-12-10",
            "outcome_codes": ["1"],
            "inspectors": scenario.team_of(school),
            "findings": "复查合格",
            "amends": published.result_id,
        }
    enter_result(db, task, amended, ACTOR, today=date(2026, 12, 22))
    approve(db, settings, task, ACTOR, today=date(2026, 12, 23))
    watch.check(f"/public/entities/{school}", f"/public/tasks/{task}/results.json")

    # an annual plan, approved
    from hub.plans import services as plans

    entry = {
        "title": "学校卫生",
        "agencies": ["HEALTH"],
        "items": {"HEALTH": ["HEALTH-SCH-01"]},
        "population": {"categories": ["school"]},
        "ratio": "0.05",
        "months": [3],
    }
    plan_id = plans.create_plan(db, ACTOR, "HEALTH", 2026, "2026年度卫生随机抽查计划", [entry])
    watch.check()  # a draft plan is not public
    plans.approve(db, "reviewer", plan_id)
    watch.check("/public/plans.json")

    # a roster change: an entity's name, as its results show it
    from hub.rosters.models import Entity

    with db.unit_of_work() as s:
        s.query(Entity).filter(Entity.entity_id == school).one().name = "济南市历下区实验小学（新校区）"
    watch.check(f"/public/entities/{school}")


ALL_PAGES = [
    "/public/",
    "/public/items/",
    "/public/items/HEALTH",
    "/public/items/HEALTH.json",
    "/public/tasks/",
    "/public/tasks.json",
    "/public/results/?name=实验",
    "/public/results.json?agency=HEALTH",
    "/public/feeds/HEALTH.atom",
    "/public/plans/",
    "/public/plans.json",
    "/public/verify",
    "/public/masking",
    "/public/data/",
]


def test_an_audited_write_no_page_shows_leaves_every_page_but_the_home_page_a_hit(app, fresh, db, settings):  # type: ignore[no-untyped-def]
    """A user added (audited as user.add: a row in audit_log, nothing else public) moves the audit
    chain's head, which only the home page shows: that page is rendered anew, every other page is still
    answered from the cache, and every page answers what a fresh render answers."""
    from hub.auth.accounts import add_person as add_user_audited

    scenario = drawn_task(db, settings)
    school = next(e for e in scenario.drawn_entities() if e != INDIVIDUAL)
    enter(scenario, school, "HEALTH", "", codes=("1",))
    approve_all(scenario)
    task = scenario.task_id
    urls = [*ALL_PAGES, f"/public/tasks/{task}", f"/public/tasks/{task}/results", f"/public/entities/{school}"]
    watch = Watch(app, fresh, urls)
    watch.read()
    add_user_audited(db, ACTOR, "newcomer", ["auditor"])
    for url in urls:
        answer = watch.cached.get(url)
        assert answer.headers.get("X-Cache") == ("miss" if url == "/public/" else "hit"), url
    watch.check("/public/")


def test_a_delivery_date_shows_at_once(delivering, redis_db_url):  # type: ignore[no-untyped-def]
    from hub.db import init_db
    from hub.outbox.delivery import drain

    settings, fresh_settings = delivering
    db = init_db(settings.database_url)
    scenario = drawn_task(db, settings)
    enter(scenario, scenario.drawn_entities()[0], "HEALTH", "", codes=("1",))
    approve_all(scenario)
    task = scenario.task_id
    school = scenario.drawn_entities()[0]
    urls = [*ALL_PAGES, f"/public/tasks/{task}", f"/public/tasks/{task}/results", f"/public/entities/{school}"]
    watch = Watch(create_app(settings), create_app(fresh_settings), urls)
    watch.read()
    assert "报送省联合监管平台" not in watch.seen[f"/public/tasks/{task}"].decode("utf-8")
    drain(db, settings, respect_backoff=False)
    # the deliveries (outbox) and their audit entries: a page that read neither is still a hit
    for url in ("/public/items/HEALTH", "/public/items/HEALTH.json", "/public/verify", "/public/masking"):
        assert watch.cached.get(url).headers.get("X-Cache") == "hit", url
    watch.check(f"/public/tasks/{task}", f"/public/tasks/{task}/results", f"/public/entities/{school}")
    assert "报送省联合监管平台" in watch.cached.get(f"/public/tasks/{task}").get_data(as_text=True)


@pytest.fixture
def delivering(make_settings, redis_db_url) -> Iterator[tuple[Any, Any]]:  # type: ignore[no-untyped-def]
    """Settings delivering to the sandbox sinks, with the cache in Redis; and the same with the cache off."""
    from connectors.sandboxes.sinks import start_sinks
    from tests.integration.outbox_factory import APP_ID, SECRET, sink_settings

    redis.Redis.from_url(redis_db_url).flushdb()
    servers = start_sinks(APP_ID, SECRET)

    def cached(config: dict[str, Any], **kw: Any) -> Any:
        return make_settings(config | {"portal": {"response_cache_seconds": TTL}}, **kw)

    def uncached(config: dict[str, Any], **kw: Any) -> Any:
        return make_settings(config | {"portal": {"response_cache_seconds": 0}}, **kw)

    yield sink_settings(cached, servers, broker_url=redis_db_url), sink_settings(uncached, servers)
    for server in servers.values():
        server.stop()


def test_the_command_line_publishes_at_once(app, fresh, db, settings, monkeypatch, tmp_path):  # type: ignore[no-untyped-def]
    from hub.cli import main

    monkeypatch.setenv("HUB_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("HUB_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("HUB_SECRET_KEY", "test")
    monkeypatch.delenv("HUB_CONFIG", raising=False)
    monkeypatch.delenv("HUB_BROKER_URL", raising=False)
    scenario = drawn_task(db, settings)
    school = next(e for e in scenario.drawn_entities() if e != INDIVIDUAL)
    enter(scenario, school, "HEALTH", "", codes=("1",))
    watch = Watch(app, fresh, ["/public/items/HEALTH.json", f"/public/tasks/{scenario.task_id}/results.json"])
    watch.read()
    assert main(["results", "approve", scenario.task_id, "--all"]) == 0
    watch.check(f"/public/tasks/{scenario.task_id}/results.json")
    items = tmp_path / "items.json"
    items.write_text(
        '[{"agency": "HEALTH", "code": "HEALTH-CLI-01", "name": "命令行事项", "legal_basis": "《条例》",'
        ' "subject": "学校", "content": "", "method": "现场检查"}]',
        encoding="utf-8",
    )
    assert main(["items", "import", str(items)]) == 0
    watch.check("/public/items/HEALTH.json")


def test_two_web_processes_share_the_cache_through_redis(make_settings, redis_db_url, db):  # type: ignore[no-untyped-def]
    redis.Redis.from_url(redis_db_url).flushdb()
    add_published(db)
    settings = make_settings({"portal": {"response_cache_seconds": TTL}}, broker_url=redis_db_url)
    one, two = create_app(settings).test_client(), create_app(settings).test_client()
    url = f"/public/entities/{uscc(1)}.json"
    first = one.get(url)
    assert first.headers["X-Cache"] == "miss"
    second = two.get(url)
    assert second.headers["X-Cache"] == "hit" and second.get_data() == first.get_data()
    with db.unit_of_work() as s:
        s.query(Result).filter(Result.entity_id == uscc(1)).one().findings = "复查：已改正"
    changed = two.get(url)
    assert changed.headers["X-Cache"] == "miss" and "复查：已改正" in changed.get_data(as_text=True)
    again = one.get(url)
    assert again.headers["X-Cache"] == "hit" and again.get_data() == changed.get_data()


def test_redis_out_of_reach_is_a_miss_not_an_error(make_settings, db):  # type: ignore[no-untyped-def]
    add_published(db)
    settings = make_settings({"portal": {"response_cache_seconds": TTL}}, broker_url="redis://127.0.0.1:1/0")
    app = create_app(settings)
    client = app.test_client()
    first, again = client.get("/public/tasks/"), client.get("/public/tasks/")
    assert first.status_code == 200 and first.headers["X-Cache"] == "miss"
    # kept in the process's near copy all the same; Redis was asked each time and failed
    assert again.status_code == 200 and again.headers["X-Cache"] == "hit" and again.get_data() == first.get_data()
    assert app.extensions["hub_public_cache"].far.failures == 2  # the look-up and the store of the miss


def test_an_error_is_never_kept(app, db):  # type: ignore[no-untyped-def]
    add_published(db)
    client = app.test_client()
    for url in (f"/public/entities/{uscc(4)}", "/public/results/?year=99", "/public/tasks/JT-NOPE-1"):
        assert client.get(url).status_code in (400, 404), url
        answer = client.get(url)
        assert answer.status_code in (400, 404) and "X-Cache" not in answer.headers, url
    assert len(app.extensions["hub_public_cache"]) == 0


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


def test_no_cache_when_it_is_off(fresh, db):  # type: ignore[no-untyped-def]
    add_published(db)
    client = fresh.test_client()
    with sql(fresh) as statements:
        assert client.get("/public/tasks/").status_code == 200
        assert client.get("/public/tasks/").status_code == 200
    assert not any("publication_generation" in s for s in statements)
    assert "X-Cache" not in client.get("/public/tasks/").headers


def test_the_database_tag_keeps_hubs_apart(db: Database) -> None:
    from hub.web.caching import _database_tag

    assert _database_tag("sqlite:///a.db") != _database_tag("sqlite:///b.db")


def _headers(answer: Any) -> dict[str, str]:
    """What a client is told, but the date and which way the answer came."""
    return {k: v for k, v in answer.headers.items() if k not in ("Date", "X-Cache")}


def test_a_hit_is_answered_before_flask_with_the_headers_of_a_miss(app, db):  # type: ignore[no-untyped-def]
    """The thin layer (PublicPagesFromCache) answers a kept page without Flask's dispatch: no
    before_request runs, and status, body and every header are those Flask's way gave (security
    headers, validators, the language cookie a ``?lang=`` sets, HSTS over HTTPS, the 304)."""
    add_published(db)
    dispatched: list[str] = []
    app.before_request_funcs.setdefault(None, []).insert(0, lambda: dispatched.append(request.path))
    client = app.test_client()
    urls = [u.format(entity=uscc(1)) for u in PAGES] + ["/public/verify?lang=en", "/public/tasks/?lang=zh"]
    for url in urls:
        for base in ("http://localhost", "https://localhost"):
            dispatched.clear()
            first = client.get(url, base_url=base)
            assert first.headers["X-Cache"] == "miss" and dispatched, url
            client.delete_cookie("lang")  # each answer as to a new reader
            again = client.get(url, base_url=base)
            assert again.headers["X-Cache"] == "hit" and not dispatched[1:], f"{url}: a hit went through Flask"
            assert (again.status_code, again.get_data()) == (first.status_code, first.get_data()), url
            assert _headers(again) == _headers(first), url
            assert ("Strict-Transport-Security" in again.headers) == base.startswith("https"), url
            assert ("Set-Cookie" in again.headers) == ("lang=" in url), url
            client.delete_cookie("lang")
            unchanged = client.get(url, base_url=base, headers={"If-None-Match": first.headers["ETag"]})
            assert unchanged.status_code == 304 and unchanged.get_data() == b"" and not dispatched[1:], url
            client.delete_cookie("lang")


def test_behind_a_proxy_the_layer_keys_pages_by_what_the_proxy_reports(make_settings, db):  # type: ignore[no-untyped-def]
    add_published(db)
    app = create_app(make_settings({"security": {"proxies": 1}, "portal": {"response_cache_seconds": TTL}}))
    client = app.test_client()
    secure = {"X-Forwarded-Proto": "https"}
    first = client.get("/public/tasks/", headers=secure)
    again = client.get("/public/tasks/", headers=secure)
    assert again.headers["X-Cache"] == "hit" and "Strict-Transport-Security" in again.headers
    assert _headers(again) == _headers(first)
    plain = client.get("/public/tasks/")  # another URL (http://): its own entry, without HSTS
    assert plain.headers["X-Cache"] == "miss" and "Strict-Transport-Security" not in plain.headers


def test_a_miss_reads_the_generation_once(app, db):  # type: ignore[no-untyped-def]
    """The layer hands the key it looked up under to Flask: one generation read per request."""
    add_published(db)
    database = app.extensions["hub_db"]
    reads: list[int] = []
    original = database.generations

    def counted() -> dict[str, int]:
        reads.append(1)
        return original()

    database.generations = counted
    try:
        client = app.test_client()
        assert client.get("/public/tasks/").headers["X-Cache"] == "miss" and len(reads) == 1
        assert client.get("/public/tasks/").headers["X-Cache"] == "hit" and len(reads) == 2
    finally:
        del database.generations
