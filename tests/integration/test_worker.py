"""Celery through a real Redis broker with a real `hub worker` process: a sync and a draw."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import tomli_w
from sqlalchemy import select

from connectors.sandboxes.samr import SamrSandbox
from hub.draw import jdp
from hub.draw.publication import drawn_files
from hub.rosters.models import SyncRun
from hub.tasks import services as lifecycle
from hub.tasks.models import JointTask
from tests.web import scenario as sc

APP_ID, SECRET = "hub-worker", "worker-secret"
pytestmark = [pytest.mark.redis, pytest.mark.slow]


@pytest.fixture
def worker_env(make_settings, redis_db_url, tmp_path):  # type: ignore[no-untyped-def]
    server = SamrSandbox({APP_ID: SECRET}, entities=300, seed=12).start()
    config = {
        "sources": {
            "samr": {"kind": "samr-rest", "url": server.url, "app_id": APP_ID, "app_secret_env": "HUB_W_SECRET"}
        }
    }
    path = tmp_path / "worker.toml"
    path.write_text(tomli_w.dumps(config))
    settings = make_settings(config, env={"HUB_W_SECRET": SECRET}, broker_url=redis_db_url)
    env = {
        **os.environ,
        "HUB_CONFIG": str(path),
        "HUB_W_SECRET": SECRET,
        "HUB_BROKER_URL": redis_db_url,
        "HUB_DATABASE_URL": settings.database_url,
        "HUB_DATA_DIR": str(settings.data_dir),
        "HUB_SECRET_KEY": "x",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "worker", "--concurrency", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    yield settings
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
    server.stop()


def _wait(predicate, seconds: float = 60):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError("the worker did not finish in time")


def test_sync_and_draw_run_on_a_real_worker(worker_env, db):
    from hub import create_app
    from hub.draw.jobs import draw_task
    from hub.rosters.jobs import sync_source

    app = create_app(worker_env)
    assert app.extensions["celery"].conf.task_always_eager is False
    with app.app_context():
        sync_source.delay("samr")

    def synced():  # type: ignore[no-untyped-def]
        with db.unit_of_work() as s:
            run = s.scalar(select(SyncRun).where(SyncRun.outcome == "ok"))
            return run and run.inserted

    assert _wait(synced) == 300

    scen = sc.frozen_task(db, worker_env, "JT-2026-0800")
    lifecycle.request_draw(db, scen.task_id, "worker entropy", "t")
    with app.app_context():
        draw_task.delay(scen.task_id, "t")

    def drawn():  # type: ignore[no-untyped-def]
        with db.unit_of_work() as s:
            return s.get(JointTask, scen.task_id).state == "drawn"

    _wait(drawn)
    record, roster, pool = drawn_files(db, scen.task_id)
    assert jdp.verify(record, roster, pool) == []
    assert record["entropy"] == "worker entropy"
