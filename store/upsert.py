"""Portable INSERT … ON CONFLICT DO UPDATE for SQLite and PostgreSQL."""
from typing import Sequence

from sqlalchemy import Connection, Table
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert


def upsert(connection: Connection, table: Table, rows: Sequence[dict], keys: Sequence[str]) -> None:
    if not rows:
        return
    insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = insert(table)
    updates = {column.name: statement.excluded[column.name] for column in table.columns if column.name not in keys}
    statement = statement.on_conflict_do_update(index_elements=list(keys), set_=updates) if updates \
        else statement.on_conflict_do_nothing(index_elements=list(keys))
    connection.execute(statement, list(rows))
