"""A freeze, the frozen files read for a draw and a draw stored each leave their SQLite connection's page
cache (up to 256 MiB) to be let go when the connection goes back to the pool: `PRAGMA shrink_memory`, then the
freed heap returned to the system. Without it, the process that drew kept the freeze's pages, and so did every
worker it forked (docs/performance.md, the draw benchmark)."""

from __future__ import annotations

import platform

import pytest
from sqlalchemy import event, text

from hub.db import release_cache_after
from hub.draw.services import run_draw
from hub.memory import return_free_memory
from hub.results.history import RESULTS_HISTORY
from hub.tasks import services as lifecycle
from tests.web import scenario as sc


@pytest.fixture
def shrinks(db):  # type: ignore[no-untyped-def]
    """The statements `PRAGMA shrink_memory` run on this database's connections, as SQLite itself traced them."""
    if not db.is_sqlite:
        pytest.skip("SQLite's page cache lives in the hub's process; PostgreSQL keeps its own")
    seen: list[str] = []

    def trace(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        dbapi_conn.set_trace_callback(lambda sql: seen.append(sql) if "shrink_memory" in sql else None)

    db.engine.dispose()  # the connections from here on are traced
    event.listen(db.engine, "connect", trace)
    yield seen
    event.remove(db.engine, "connect", trace)
    db.engine.dispose()


def test_freeze_and_draw_let_go_of_the_page_cache(db, settings, shrinks):
    scenario = sc.committed_task(db, settings, "JT-2026-0960")
    assert shrinks == []  # creating and committing to a task keeps the cache
    lifecycle.freeze(db, settings, scenario.task_id, sc.ACTOR, history=RESULTS_HISTORY)
    assert len(shrinks) == 1  # the freeze's unit of work, once it is back in the pool
    for party, secret in scenario.secrets.items():
        lifecycle.reveal(db, scenario.task_id, party, secret, sc.liaison_of(party))
    lifecycle.request_draw(db, scenario.task_id, "2026-11-30 福彩3D 123", sc.ACTOR)
    assert len(shrinks) == 1
    run_draw(db, settings, scenario.task_id, sc.ACTOR)
    assert len(shrinks) == 4  # the roster read, the pool read, the draw stored


def test_a_connection_marked_is_released_once(db, shrinks):
    with db.unit_of_work() as s:
        release_cache_after(s)
        s.execute(text("SELECT 1"))
    with db.unit_of_work() as s:
        s.execute(text("SELECT 1"))
    assert shrinks == ["PRAGMA shrink_memory"]


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_free_memory_is_returned_on_linux():
    assert return_free_memory() is True
