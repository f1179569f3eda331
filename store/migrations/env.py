"""Alembic environment: migrations run on the engine srm-bridge hands over."""
from alembic import context

from store.tables import metadata

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True, compare_type=True)
    context.run_migrations()
