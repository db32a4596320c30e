"""Alembic environment: runs on the connection handed over by ``app.migrate.upgrade``."""

from alembic import context

from app import (
    db,
    models,  # noqa: F401  (registers the tables on the metadata)
)

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through app.migrate.upgrade()")
context.configure(
    connection=connection,
    target_metadata=db.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
