"""Alembic environment: always given a live connection by :mod:`safepassage.store.schema`."""

from alembic import context

from safepassage.store.tables import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
