"""Portable INSERT … ON CONFLICT DO UPDATE for SQLite and PostgreSQL, and plain inserts of many rows.

On PostgreSQL a large page goes through `COPY`: plain inserts straight into the table, upserts into a
temporary staging table first, then one `INSERT … SELECT … ON CONFLICT` from it. The server then
parses and plans one statement for the page instead of one per row. Values pass through the
columns' own bind processing (scaled decimals, UTC instants, JSON) exactly as a row-by-row
statement would. Small batches, and every batch on SQLite (in-process, where a statement per row
costs little), go row by row.
"""
from contextlib import contextmanager
from operator import itemgetter
from typing import Iterator, Sequence

import psycopg
from sqlalchemy import Connection, Table
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

BULK_ROWS = 100  # from this many rows on, PostgreSQL gets them through COPY


def upsert(connection: Connection, table: Table, rows: Sequence[dict], keys: Sequence[str]) -> None:
    if not rows:
        return
    updated = [column.name for column in table.columns if column.name not in keys]
    if _bulk(connection, rows):
        _copy_upsert(connection, table, rows, keys, updated)
        return
    insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = insert(table)
    updates = {name: statement.excluded[name] for name in updated}
    statement = statement.on_conflict_do_update(index_elements=list(keys), set_=updates) if updates \
        else statement.on_conflict_do_nothing(index_elements=list(keys))
    connection.execute(statement, list(rows))


def insert_rows(connection: Connection, table: Table, rows: Sequence[dict]) -> None:
    """Plain inserts of `rows`, all with the same keys."""
    if not rows:
        return
    if _bulk(connection, rows):
        _copy(connection, table, f'"{table.name}"', rows)
    else:
        connection.execute(table.insert(), list(rows))


def _bulk(connection: Connection, rows: Sequence[dict]) -> bool:
    return connection.dialect.name == "postgresql" and len(rows) >= BULK_ROWS


@contextmanager
def _as_statement_errors(statement: str) -> Iterator[None]:
    """Errors raised as SQLAlchemy raises them for its own statements: the database's as `DBAPIError`s
    (`IntegrityError`, `DataError`, `OperationalError`, …), a value that cannot be bound as `StatementError`."""
    try:
        yield
    except psycopg.Error as exc:
        raise DBAPIError.instance(statement, None, exc, psycopg.Error) from exc
    except (ValueError, TypeError, ArithmeticError) as exc:
        raise StatementError(str(exc), statement, None, exc) from exc


def _copy(connection: Connection, table: Table, target: str, rows: Sequence[dict]) -> None:
    """COPY `rows` into `target` (the table or its staging copy), each value bound as `table`'s column binds it."""
    names = list(rows[0])
    processors = [table.c[name].type._cached_bind_processor(connection.dialect) for name in names]
    columns = ", ".join(f'"{name}"' for name in names)
    statement = f"COPY {target} ({columns}) FROM STDIN"
    with _as_statement_errors(statement), connection.connection.driver_connection.cursor() as cursor, \
            cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([process(row[name]) if process else row[name] for name, process in zip(names, processors)])


def _copy_upsert(connection: Connection, table: Table, rows: Sequence[dict], keys: Sequence[str],
                 updated: list[str]) -> None:
    """COPY into a staging table, then one upsert from it; the last copy of a key wins, as row by row.
    Columns the rows leave out take their defaults, and update to them, as in a row-by-row upsert."""
    staging = f'"srm_staging_{table.name}"'
    raw = connection.connection.driver_connection
    names = ", ".join(f'"{name}"' for name in rows[0])
    conflict = ", ".join(f'"{key}"' for key in keys)
    action = "DO UPDATE SET " + ", ".join(f'"{name}" = EXCLUDED."{name}"' for name in updated) if updated \
        else "DO NOTHING"
    # Made once per session and emptied at each commit: creating and dropping it with every page cost the
    # catalog more than the page's rows. Emptied here too: a long transaction (a scoring run) upserts many times.
    prepare = f'CREATE TEMPORARY TABLE IF NOT EXISTS {staging} (LIKE "{table.name}") ON COMMIT DELETE ROWS'
    with _as_statement_errors(prepare):
        raw.execute(prepare)
        raw.execute(f"TRUNCATE {staging}")
    key = itemgetter(*keys)
    _copy(connection, table, staging, list({key(row): row for row in rows}.values()))
    statement = f'INSERT INTO "{table.name}" ({names}) SELECT {names} FROM {staging} ON CONFLICT ({conflict}) {action}'
    with _as_statement_errors(statement):
        raw.execute(statement)
