"""Alembic environment: migrations run on the engine srm-bridge hands over, or inside the transaction
of the connection it hands over (SQLite, where `store.db.upgrade` holds the transaction itself)."""
from alembic import context

from store.tables import metadata


def run(connection) -> None:  # noqa: ANN001 - a SQLAlchemy connection
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True, compare_type=True)
    context.run_migrations()


given = context.config.attributes.get("connection")
if given is not None:
    run(given)
else:
    with context.config.attributes["engine"].begin() as connection:
        run(connection)
