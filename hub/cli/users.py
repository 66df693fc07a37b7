"""`hub user add`, `hub token create`: people, their roles and machines' tokens."""
from __future__ import annotations

import os

import click

from hub.cli.context import ACTOR, Context, pass_ctx
from hub.errors import InvalidInput


@click.group()
def user() -> None:
    """People and their roles."""


@user.command("add")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True,
              help="admin, coordinator, liaison, inspector, reviewer or auditor (repeatable).")
@click.option("--agency", default=None, help="The agency of a liaison or inspector.")
@click.option("--inspector-id", default=None, help="Link an inspector account to the roster.")
@click.option("--password-env", default=None, help="Environment variable holding the password.")
@pass_ctx
def user_add(ctx: Context, name: str, roles: tuple[str, ...], agency: str | None,
             inspector_id: str | None, password_env: str | None) -> None:
    """Add a user with one or more roles."""
    from hub.auth.accounts import add_person

    password = None
    if password_env:
        password = os.environ.get(password_env)
        if not password:
            raise InvalidInput(f"environment variable {password_env} is empty", where="--password-env")
    add_person(ctx.db, ACTOR, name, roles, agency, password, inspector_id)
    click.echo(f"user {name} added with roles {', '.join(sorted(roles))}")


@click.group()
def token() -> None:
    """Bearer tokens for machines."""


@token.command("create")
@click.argument("name")
@pass_ctx
def token_create(ctx: Context, name: str) -> None:
    """Issue a bearer token for NAME; it is printed once and stored only as a hash."""
    from hub.auth.accounts import issue_token

    click.echo(issue_token(ctx.db, ACTOR, name))


def register(cli: click.Group) -> None:
    cli.add_command(user)
    cli.add_command(token)
