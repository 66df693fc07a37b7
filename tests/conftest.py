"""Shared fixtures: a fresh database per test (SQLite, or PostgreSQL with HUB_TEST_DB=postgresql),
settings pointing at it, and the Flask app. Each test run gets its own PostgreSQL database and
Redis db number, and removes them afterwards."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings

# Property tests check answers, not speed: no per-example deadline (a loaded CI machine would fail
# them for being slow; benchmarks/ measures time).
hypothesis_settings.register_profile("hub", deadline=None)
hypothesis_settings.load_profile("hub")

TEST_DB = os.environ.get("HUB_TEST_DB", "sqlite")
PG_SERVER = os.environ.get("HUB_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_SERVER = os.environ.get("HUB_TEST_REDIS", "redis://127.0.0.1:6379")


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    for item in items:
        if "db_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)


def _pg_admin():  # type: ignore[no-untyped-def]
    import psycopg

    dsn = PG_SERVER.replace("postgresql+psycopg://", "postgresql://")
    return psycopg.connect(dsn, autocommit=True)


@pytest.fixture(scope="session")
def _template_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from hub.db import upgrade

    if TEST_DB == "sqlite":
        path = tmp_path_factory.mktemp("template") / "template.db"
        upgrade(f"sqlite:///{path}")
        yield str(path)
        return
    name = f"hub_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with _pg_admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_SERVER.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade(url)
        yield url
    finally:
        from hub.db import _current

        if _current is not None:
            _current.dispose()
        with _pg_admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def db_url(_template_db: str, tmp_path: Path) -> str:
    """A database at the latest schema with nothing in it."""
    if TEST_DB == "sqlite":
        path = tmp_path / "hub.db"
        shutil.copy(_template_db, path)
        return f"sqlite:///{path}"
    from sqlalchemy import create_engine, text

    import hub.models  # noqa: F401
    from hub.db import Base

    engine = create_engine(_template_db)
    with engine.begin() as conn:
        names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return _template_db


@pytest.fixture
def make_settings(db_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Settings from a config dict (as the TOML file would hold it) plus secrets in a fake env."""
    import tomli_w

    from hub.config import load_settings

    def make(config: dict[str, Any] | None = None, env: dict[str, str] | None = None, broker_url: str | None = None):  # type: ignore[no-untyped-def]
        path = tmp_path / f"hub-{uuid.uuid4().hex[:6]}.toml"
        config = dict(config or {})
        # Tests read a page, change the data and read it again at once: the portal's response cache is on
        # (as deployed) for every test, so each of them also checks that a cached public page is never stale
        # (the cache is keyed by the publication generation; tests/web/test_portal_cache.py).
        config["portal"] = {"response_cache_seconds": 3600, **config.get("portal", {})}
        path.write_text(tomli_w.dumps(config), encoding="utf-8")
        environ = {
            "HUB_DATABASE_URL": db_url,
            "HUB_DATA_DIR": str(tmp_path / "var"),
            "HUB_SECRET_KEY": "test-secret-key",
            **(env or {}),
        }
        if broker_url:
            environ["HUB_BROKER_URL"] = broker_url
        return load_settings(path, environ=environ)

    return make


@pytest.fixture
def settings(make_settings):  # type: ignore[no-untyped-def]
    return make_settings()


@pytest.fixture
def db(settings):  # type: ignore[no-untyped-def]
    from hub.db import init_db

    return init_db(settings.database_url)


@pytest.fixture
def app(settings):  # type: ignore[no-untyped-def]
    from hub import create_app

    app = create_app(settings)
    app.config.update(TESTING=True)
    return app


@pytest.fixture(scope="session")
def redis_db_url() -> Iterator[str]:
    """A Redis db number of this test process's own, flushed afterwards."""
    import redis

    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").lstrip("gw") or "0"
    number = 1 + (os.getpid() + int(worker)) % 15
    url = f"{REDIS_SERVER}/{number}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()
