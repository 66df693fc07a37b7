"""`hub db upgrade`: create or migrate the database."""

from __future__ import annotations

import click

from hub.cli.context import Context, pass_ctx


@click.group("db")
def db_group() -> None:
    """Create or migrate the database."""


@db_group.command("upgrade")
@pass_ctx
def db_upgrade(ctx: Context) -> None:
    """Create / migrate the database to the latest schema."""
    from hub.db import upgrade

    upgrade(ctx.settings.database_url)
    click.echo("database is at the latest schema")


def register(cli: click.Group) -> None:
    cli.add_command(db_group)
