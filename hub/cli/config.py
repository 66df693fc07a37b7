"""`hub config check`: read the configuration and build every connector, as the processes do at start."""

from __future__ import annotations

import click

from hub.cli.context import Context, pass_ctx


@click.group("config")
def config_group() -> None:
    """The configuration file and environment."""


@config_group.command("check")
@pass_ctx
def config_check(ctx: Context) -> None:
    """Build every configured source and sink; exit 78 naming the first bad key."""
    from hub.connections import check_connectors

    built = check_connectors(ctx.settings)
    click.echo(
        f"configuration ok: {len(built.sources)} source(s) {', '.join(sorted(built.sources)) or '-'}; "
        f"{len(built.sinks)} sink(s) {', '.join(sorted(built.sinks)) or '-'}"
    )


def register(cli: click.Group) -> None:
    cli.add_command(config_group)
