"""The Celery app: every task runs inside the Flask app context (Flask's Celery pattern).

Embedded default (no HUB_BROKER_URL): tasks run in-process, eagerly. Scale-out: the
same tasks go through Redis or RabbitMQ to ``hub worker`` processes.
"""

from __future__ import annotations

from celery import Celery, Task
from celery.signals import worker_process_init
from flask import Flask

from hub.config import Settings
from hub.db import forget_inherited_connections

TASK_MODULES = ("hub.rosters.jobs", "hub.draw.jobs", "hub.outbox.jobs", "hub.verification.jobs")


def celery_init_app(app: Flask, settings: Settings) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery = Celery(app.name, task_cls=FlaskTask, include=list(TASK_MODULES))
    celery.conf.update(
        broker_url=settings.broker_url or "memory://localhost/",
        task_always_eager=settings.embedded,
        task_eager_propagates=True,
        task_ignore_result=True,
        task_acks_late=True,  # a killed worker's task goes back to the queue
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        broker_transport_options={"visibility_timeout": 3600},
    )
    celery.set_default()
    app.extensions["celery"] = celery
    return celery


@worker_process_init.connect
def _own_connections(**_: object) -> None:
    """A prefork pool process must not use the database connections it inherited from the worker's main
    process (two processes on one socket break both: "server closed the connection unexpectedly", seen
    stranding a claimed outbox batch); it opens its own."""
    forget_inherited_connections()
