"""What every `hub` command receives: the settings, the database and the app, built on first use."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

import click

from hub.errors import ConfigError, Unavailable

if TYPE_CHECKING:
    from hub.config import Settings

ACTOR = "cli"


def first_line(exc: BaseException) -> str:
    """An exception's message on one line (database drivers' messages run over several)."""
    return " ".join(str(exc).split())[:300]


class Context:
    """Settings, database and app, built on first use."""

    def __init__(self, config: str | None) -> None:
        self.config = config

    @cached_property
    def settings(self) -> Settings:
        from hub.config import load_settings  # here: `hub draw offline` and `hub verify` need no settings

        return load_settings(self.config)

    @cached_property
    def db(self):
        from sqlalchemy import inspect
        from sqlalchemy.exc import OperationalError  # here: `hub draw offline` and `hub verify` need no database

        from hub.db import init_db

        db = init_db(self.settings.database_url)
        try:
            has_schema = inspect(db.engine).has_table("alembic_version")
        except OperationalError as exc:
            raise Unavailable(
                f"the database cannot be reached: {first_line(exc.orig or exc)}",
                where=db.engine.url.render_as_string(hide_password=True),
            ) from None
        if not has_schema:
            raise ConfigError(
                "the database has no schema yet: run `hub db upgrade` first",
                where=db.engine.url.render_as_string(hide_password=True),
            )
        return db

    @cached_property
    def app(self):
        from hub import create_app

        self.db  # noqa: B018  (refuses a database without its schema, with the command to run)
        return create_app(self.settings)

    def enqueue(self, action: str, args: tuple) -> None:
        """Start a scheduled job through Celery (in-process when embedded)."""
        with self.app.app_context():
            if action == "sync":
                from hub.rosters.jobs import sync_source

                sync_source.delay(*args)
            elif action == "push":
                from hub.outbox.jobs import drain_outbox

                drain_outbox.delay(*args)


pass_ctx = click.make_pass_decorator(Context)
