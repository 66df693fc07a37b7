"""Processes forked from one holding database connections (Celery's prefork pool, gunicorn's workers)
open their own instead of sharing the parent's sockets."""

from __future__ import annotations

from celery.signals import worker_process_init


def test_a_celery_pool_process_drops_the_connections_it_inherited(make_settings) -> None:
    from hub import create_app

    app = create_app(make_settings({}))
    engine = app.extensions["hub_db"].engine
    with engine.connect() as conn:  # a pooled connection, as a worker's main process may hold one
        conn.exec_driver_sql("SELECT 1")
    inherited = engine.pool
    assert inherited.checkedin() >= 1

    worker_process_init.send(sender=None)  # what Celery sends in each new pool process

    assert engine.pool is not inherited and engine.pool.checkedin() == 0
    with engine.connect() as conn:  # and the next use opens a connection of its own
        assert conn.exec_driver_sql("SELECT 1").scalar() == 1
