"""Alembic environment: the connection is handed in by app.db.migrate (no alembic.ini needed)."""

from alembic import context

from app.db.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through app.db.migrate.upgrade(engine)")
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run()
