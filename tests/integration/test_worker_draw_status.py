"""The draw requested from the task page runs on a real `hub worker` (Redis broker), and the page's
status.json shows it queued, then done at 100% as the worker's job wrote it into the database."""

from __future__ import annotations

import pytest

from tests.web import scenario as sc
from tests.web.conftest import csrf_token

from .test_worker import _wait, worker_env  # noqa: F401  (the fixture: a real worker process)

pytestmark = [pytest.mark.redis, pytest.mark.slow]


def test_the_task_page_follows_a_draw_on_a_real_worker(worker_env, db):  # noqa: F811
    from hub import create_app

    app = create_app(worker_env)
    app.config.update(TESTING=True)
    scen = sc.frozen_task(db, worker_env, "JT-2026-0810")
    sc.add_person(db, "coord", ["coordinator"])
    client = app.test_client()
    client.post("/login", data={"name": "coord", "password": sc.PASSWORD, "csrf_token": csrf_token(client)})
    answer = client.post(
        f"/tasks/{scen.task_id}/draw",
        data={"entropy": "worker entropy", "confirmed": "yes", "csrf_token": csrf_token(client)},
    )
    assert answer.status_code == 302
    page = client.get(f"/tasks/{scen.task_id}").get_data(as_text=True)
    seen = set()

    def done():  # type: ignore[no-untyped-def]
        status = client.get(f"/tasks/{scen.task_id}/status.json").get_json()
        seen.add(status["draw_status"])
        return status["draw_status"] == "done" and status

    final = _wait(done)
    assert final["state"] == "drawn" and final["draw_progress"] == 100
    assert seen <= {"queued", "running", "done"}
    assert f'data-status-url="/tasks/{scen.task_id}/status.json"' in page
    assert "抽取已排队" in page  # not drawn in the request: the worker has it
