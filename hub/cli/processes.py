"""`hub serve`, `hub worker`, `hub scheduler`: the long-running processes.

Each builds every configured connector first (hub.connections): a bad option stops it with
exit 78 naming the key, before it serves, consumes or schedules anything.
"""

from __future__ import annotations

import logging

import click

from hub.cli.context import Context, pass_ctx
from hub.connections import check_connectors
from hub.errors import HubError


@click.command()
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@click.option("--workers", default=2, type=int, help="processes (about one per core)")
@click.option(
    "--threads", default=4, type=int, help="threads per process (gthread: keep-alive; overlaps database waits)"
)
@click.option(
    "--access-log/--no-access-log", default=True, help="one line per request on stdout (costs CPU under load)"
)
@pass_ctx
def serve(ctx: Context, host: str, port: int, workers: int, threads: int, access_log: bool) -> None:
    """Serve the web UI and API (gunicorn)."""
    from gunicorn.app.base import BaseApplication

    from hub.db import forget_inherited_connections

    check_connectors(ctx.settings)
    app = ctx.app

    class _Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", max(1, threads))
            self.cfg.set("worker_class", "gthread")  # keep-alive connections; sync workers close each one
            self.cfg.set("accesslog", "-" if access_log else None)
            # each worker opens its own database connections, never the master's
            self.cfg.set("post_fork", lambda server, worker: forget_inherited_connections())

        def load(self):
            return app

    _Server().run()


@click.command()
@click.option("--concurrency", default=2, type=int)
@pass_ctx
def worker(ctx: Context, concurrency: int) -> None:
    """Run a Celery worker (needs HUB_BROKER_URL)."""
    if ctx.settings.embedded:
        raise HubError("hub worker needs a broker: set HUB_BROKER_URL (e.g. redis://127.0.0.1:6379/0)")
    check_connectors(ctx.settings)
    celery = ctx.app.extensions["celery"]
    celery.worker_main(
        ["worker", "--loglevel=INFO", f"--concurrency={concurrency}", "--without-gossip", "--without-mingle"]
    )


@click.command()
@pass_ctx
def scheduler(ctx: Context) -> None:
    """Run the scheduler; several may run, one is active (database lease)."""
    from hub.scheduler import HubScheduler

    check_connectors(ctx.settings)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    sched = HubScheduler(ctx.db, ctx.settings, ctx.enqueue, blocking=True)
    click.echo(f"scheduler {sched.holder}: {len(sched.jobs)} job(s): {', '.join(sorted(sched.jobs))}", err=True)
    try:
        sched.start()
    except (KeyboardInterrupt, SystemExit):
        sched.shutdown()


def register(cli: click.Group) -> None:
    cli.add_command(serve)
    cli.add_command(worker)
    cli.add_command(scheduler)
