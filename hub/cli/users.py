"""`hub user add|deactivate|password`, `hub token create|list|revoke`: people, their roles and machines' tokens."""

from __future__ import annotations

import os
from typing import Any

import click

from hub.cli.context import ACTOR, Context, pass_ctx
from hub.errors import InvalidInput


@click.group()
def user() -> None:
    """People and their roles."""


@user.command("add")
@click.argument("name")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    help="admin, coordinator, liaison, inspector, reviewer or auditor (repeatable).",
)
@click.option("--agency", default=None, help="The agency of a liaison or inspector.")
@click.option("--inspector-id", default=None, help="Link an inspector account to the roster.")
@click.option("--password-env", default=None, help="Environment variable holding the password.")
@pass_ctx
def user_add(
    ctx: Context,
    name: str,
    roles: tuple[str, ...],
    agency: str | None,
    inspector_id: str | None,
    password_env: str | None,
) -> None:
    """Add a user with one or more roles."""
    from hub.auth.accounts import add_person

    password = None
    if password_env:
        password = os.environ.get(password_env)
        if not password:
            raise InvalidInput(f"environment variable {password_env} is empty", where="--password-env")
    add_person(ctx.db, ACTOR, name, roles, agency, password, inspector_id)
    click.echo(f"user {name} added with roles {', '.join(sorted(roles))}")


@user.command("deactivate")
@click.argument("name")
@pass_ctx
def user_deactivate(ctx: Context, name: str) -> None:
    """NAME can no longer sign in; their sessions end and their tokens are revoked."""
    from hub.auth.accounts import deactivate

    revoked = deactivate(ctx.db, ACTOR, name)
    click.echo(f"user {name} deactivated; {revoked} token(s) revoked")


@user.command("password")
@click.argument("name")
@click.option(
    "--password-env", default=None, help="Environment variable holding the new password (else it is asked for twice)."
)
@pass_ctx
def user_password(ctx: Context, name: str, password_env: str | None) -> None:
    """Set NAME's password (at least 12 characters, not a common one, not the name); their sessions end."""
    from hub.auth.accounts import change_password

    if password_env:
        password = os.environ.get(password_env) or ""
        if not password:
            raise InvalidInput(f"environment variable {password_env} is empty", where="--password-env")
    else:
        password = click.prompt("new password", hide_input=True, confirmation_prompt=True, err=True)
    change_password(ctx.db, ACTOR, name, password)
    click.echo(f"password of {name} changed; their sessions have ended")


@click.group()
def token() -> None:
    """Bearer tokens for machines."""


@token.command("create")
@click.argument("name")
@click.option(
    "--days",
    type=click.IntRange(0, 3650),
    default=None,
    help="Days until the token expires (0: never; default: [security] token_days, 90).",
)
@pass_ctx
def token_create(ctx: Context, name: str, days: int | None) -> None:
    """Issue a bearer token for NAME; it is printed once and stored only as a hash."""
    from hub.auth.accounts import issue_token_for

    days = ctx.settings.security.token_days if days is None else days
    click.echo(issue_token_for(ctx.db, ACTOR, name, days)[0])


@token.command("list")
@click.argument("name")
@pass_ctx
def token_list(ctx: Context, name: str) -> None:
    """NAME's tokens: id, created, expires, last used, revoked (the tokens themselves are not kept)."""
    from hub.auth.accounts import tokens_of

    def when(value: Any) -> str:
        return value.isoformat(timespec="minutes") + "Z" if value else "-"

    click.echo("id\tcreated\texpires\tlast_used\trevoked")
    for t in tokens_of(ctx.db, name):
        click.echo(
            f"{t['token_id']}\t{when(t['created_at'])}\t{when(t['expires_at'])}\t"
            f"{when(t['last_used_at'])}\t{when(t['revoked_at'])}"
        )


@token.command("revoke")
@click.argument("token_id", type=int)
@pass_ctx
def token_revoke(ctx: Context, token_id: int) -> None:
    """Revoke the token with TOKEN_ID (from `hub token list`); it stops working at once."""
    from hub.auth.accounts import revoke

    revoke(ctx.db, ACTOR, token_id)
    click.echo(f"token {token_id} revoked")


def register(cli: click.Group) -> None:
    cli.add_command(user)
    cli.add_command(token)
