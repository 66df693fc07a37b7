"""Alembic environment: migrates the URL set by hub.db.upgrade."""

from alembic import context
from sqlalchemy import create_engine, pool

import hub.models  # noqa: F401  (registers every table)
from hub.db import Base, described_by_models

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url") or ""
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            include_name=described_by_models,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
