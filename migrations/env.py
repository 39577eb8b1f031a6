"""Alembic environment: online against DATABASE_URL (or -x url=...), offline (--sql) for any dialect."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine, pool

from storefront.adapters.db.tables import metadata

config = context.config
if config.config_file_name is not None and not config.attributes.get("skip_logging"):
    from logging.config import fileConfig

    fileConfig(config.config_file_name, disable_existing_loggers=False)


def database_url() -> str:
    url = (
        context.get_x_argument(as_dictionary=True).get("url")
        or config.attributes.get("url")
        or os.environ.get("DATABASE_URL")
    )
    if not url:
        raise SystemExit("Set DATABASE_URL or pass -x url=<sqlalchemy url>")
    return str(url)


def run_offline() -> None:
    context.configure(url=database_url(), target_metadata=metadata, literal_binds=True, version_table="ALEMBIC_VERSION")
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=metadata, version_table="ALEMBIC_VERSION")
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(database_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata, version_table="ALEMBIC_VERSION")
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
