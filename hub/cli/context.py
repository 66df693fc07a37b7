"""What every `hub` command receives: the settings, the database and the app, built on first use."""
from __future__ import annotations

from functools import cached_property

import click

from hub.config import Settings, load_settings
from hub.errors import ConfigError

ACTOR = "cli"


class Context:
    """Settings, database and app, built on first use."""

    def __init__(self, config: str | None) -> None:
        self.config = config

    @cached_property
    def settings(self) -> Settings:
        return load_settings(self.config)

    @cached_property
    def db(self):
        from sqlalchemy import inspect

        from hub.db import init_db

        db = init_db(self.settings.database_url)
        if not inspect(db.engine).has_table("alembic_version"):
            raise ConfigError("the database has no schema yet: run `hub db upgrade` first",
                              where=db.engine.url.render_as_string(hide_password=True))
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
