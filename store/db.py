"""Engine creation and schema upgrades (Alembic), the same on SQLite and PostgreSQL.

Every wait on the database is bounded. On PostgreSQL the server cancels a statement running longer
than `statement_timeout_s` or waiting longer than `lock_timeout_s` for a lock, and ends a session left
idle inside a transaction for `idle_in_transaction_timeout_s`, which releases the locks of a client
that died; TCP keepalives find a silent peer, and no wait for an answer outlasts `answer_timeout_s`:
a link that dies without a reset closes the connection with an error instead of hanging the cycle,
and the pool (with its pre-ping) hands the next cycle a fresh one. On SQLite a writer waits up to
`lock_timeout_s` for another; migrations there run in one transaction, so a killed first migration
leaves no schema rather than half of one.
"""
import logging
import time
from importlib import resources
from typing import Iterable

import psycopg
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.exc import SQLAlchemyError

from config.settings import DatabaseSettings


def database_url(url: str) -> str:
    """Plain `postgresql://` URLs use psycopg 3, the driver srm-bridge ships with."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class BoundedConnection(psycopg.Connection):
    """psycopg's connection, giving up on an answer that does not come within `answer_timeout_s`."""

    answer_timeout_s: float | None = None

    def wait(self, gen, interval: float = 0.1, timeout: float | None = None):  # noqa: ANN001, ANN201 - psycopg's
        bound = timeout if timeout is not None else self.answer_timeout_s
        started = time.monotonic()
        try:
            return super().wait(gen, interval, bound)
        except psycopg.OperationalError as exc:
            if bound is None or self.closed or time.monotonic() - started < bound:
                raise
            self.pgconn.finish()  # its state is unknown: never reuse it
            raise psycopg.OperationalError(f"no answer from the database within {bound:g} s "
                                           "(database.answer_timeout_s): connection closed") from exc


class SyncedCursor(psycopg.Cursor):
    """Ends `executemany` with an ordinary statement. psycopg runs it in pipeline mode, ending with a Sync
    and then a Flush; PostgreSQL arms `idle_in_transaction_session_timeout` only when it waits after a
    Sync, so after the Flush a session whose client vanished would keep its locks until keepalives
    noticed, and never behind a link that still acknowledges packets."""

    def executemany(self, query, params_seq, *, returning: bool = False) -> None:  # noqa: ANN001 - psycopg's
        super().executemany(query, params_seq, returning=returning)
        self.connection.execute("SELECT 1")


def create_engine_for(url: str, settings: DatabaseSettings | None = None) -> Engine:
    settings = settings or DatabaseSettings(url=url)
    parsed = make_url(database_url(url))
    if parsed.get_backend_name() == "postgresql":
        return _postgresql_engine(parsed, settings)
    engine = create_engine(parsed, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        busy_ms = round(settings.lock_timeout_s * 1000)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001 - DBAPI hook
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
            cursor.close()
    return engine


def _postgresql_engine(url, settings: DatabaseSettings) -> Engine:  # noqa: ANN001 - a SQLAlchemy URL
    """Server-side timeouts as startup options (after any the URL sets), keepalives on both ends of the
    link (the server's, so it also finds a client that vanished), a bounded wait."""
    silent_ms = 1000 * (settings.keepalives_idle_s + settings.keepalives_interval_s * settings.keepalives_count)
    server = {"statement_timeout": round(settings.statement_timeout_s * 1000),
              "lock_timeout": round(settings.lock_timeout_s * 1000),
              "idle_in_transaction_session_timeout": round(settings.idle_in_transaction_timeout_s * 1000),
              "tcp_keepalives_idle": settings.keepalives_idle_s,
              "tcp_keepalives_interval": settings.keepalives_interval_s,
              "tcp_keepalives_count": settings.keepalives_count, "tcp_user_timeout": silent_ms}
    options = " ".join([url.query.get("options", ""), *(f"-c {name}={value}" for name, value in server.items())])
    libpq = {"connect_timeout": settings.connect_timeout_s, "keepalives": 1,
             "keepalives_idle": settings.keepalives_idle_s, "keepalives_interval": settings.keepalives_interval_s,
             "keepalives_count": settings.keepalives_count, "tcp_user_timeout": silent_ms}
    url = url.update_query_dict({"options": options.strip()})
    engine = create_engine(url, pool_pre_ping=True,
                           connect_args={name: value for name, value in libpq.items() if name not in url.query})

    @event.listens_for(engine, "do_connect")
    def _bounded(_dialect, _record, cargs, cparams) -> BoundedConnection:  # noqa: ANN001 - SQLAlchemy hook
        connection = BoundedConnection.connect(*cargs, **cparams)
        connection.answer_timeout_s = settings.answer_timeout_s
        connection.cursor_factory = SyncedCursor
        return connection
    return engine


def refresh_statistics(engine: Engine, tables: Iterable[str]) -> None:
    """ANALYZE `tables` on PostgreSQL. After a bulk load its planner would plan from the statistics of the
    tables as they were, until autovacuum (where it is on) gets to them: scoring right after a first sync
    then scanned every record of the window once per supplier batch (1.8 s a batch at 5,000 suppliers,
    1.0 s with current statistics). SQLite plans without them."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE " + ", ".join(connection.dialect.identifier_preparer.quote(table)
                                                          for table in tables))


def refresh_statistics_after(engine: Engine, tables: list[str], log: logging.Logger, after: str, **extra) -> None:
    """`refresh_statistics` once a bulk write (`after`: "a large pull", …) is committed. A refusal costs
    later reads their plans, never data: a warning, and what was written stands."""
    started = time.monotonic()
    try:
        refresh_statistics(engine, tables)
    except SQLAlchemyError as exc:
        log.warning(f"could not refresh table statistics after {after}; later reads may plan slower until "
                    "PostgreSQL's autovacuum analyzes them",
                    extra={**extra, "tables": tables, "error": str(getattr(exc, "orig", None) or exc)})
        return
    log.info(f"table statistics refreshed after {after}",
             extra={**extra, "tables": tables, "duration_s": round(time.monotonic() - started, 3)})


def alembic_config(engine: Engine, connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("store").joinpath("migrations")))
    config.attributes["engine"] = engine
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    if engine.dialect.name != "sqlite":
        command.upgrade(alembic_config(engine), revision)  # PostgreSQL DDL is transactional: one transaction
        return
    # pysqlite begins transactions only before DML, so each CREATE TABLE would commit on its own:
    # take the transaction into our hands and run every step of the upgrade inside one.
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            _drop_unversioned_leftovers(connection)
            command.upgrade(alembic_config(engine, connection), revision)
        except BaseException:
            connection.exec_driver_sql("ROLLBACK")
            raise
        connection.exec_driver_sql("COMMIT")


class SchemaError(RuntimeError):
    """The database holds srm-bridge tables but no schema version: it cannot be upgraded safely."""


def _drop_unversioned_leftovers(connection: Connection) -> None:
    """Empty tables without a schema version, which a first migration killed by an earlier release
    (one not yet run in a single transaction) could leave: dropped, so the upgrade starts afresh."""
    tables = connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'table' "
                                     "AND name NOT LIKE 'sqlite_%'")).scalars().all()
    if "alembic_version" in tables and connection.execute(text("SELECT count(*) FROM alembic_version")).scalar():
        return
    holding = [name for name in tables if connection.execute(text(f'SELECT 1 FROM "{name}" LIMIT 1')).first()]
    if holding:
        raise SchemaError(f"the database has tables with rows ({', '.join(sorted(holding))}) but no schema version: "
                          "it was not created by srm-bridge's migrations, or it was damaged; point database.url "
                          "at a new file or restore a backup")
    for name in tables:
        connection.exec_driver_sql(f'DROP TABLE "{name}"')


def schema_is_current(engine: Engine) -> bool:
    """True when the database is at the latest revision (connects, changes nothing)."""
    heads = set(ScriptDirectory.from_config(alembic_config(engine)).get_heads())
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads()) == heads
