"""One active instance: the leader lock that lets exactly one `srm-bridge run` sync and score.

PostgreSQL: a session advisory lock held on a dedicated autocommit connection (never idle in a
transaction), keyed by the database and schema unless `scheduler.leader_lock_key` says otherwise,
so deployments in separate schemas of one database do not share it. The server frees it as soon
as the session ends: a killed leader's socket closes at once, and server-side TCP keepalives set
on the session notice a vanished host within about `scheduler.takeover_s`. The holder's
`application_name` names it (`srm-bridge leader host:pid`) for `status`.

SQLite: an exclusive `flock` on `<database file>.leader`, released by the kernel when the process
dies; the file names the holder. The file is never deleted, so two processes always lock the same
inode.

The lock says nothing about leadership unless it is confirmed: the leader checks it every
`takeover_s / 3` and stops leader work the moment a check fails.
"""
import fcntl
import hashlib
import os
import socket
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

from config.settings import SchedulerSettings
from scheduler.exits import Unreachable
from store.db import schema_is_current, upgrade


def instance_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class LeaderLock(Protocol):
    def try_acquire(self) -> bool:
        """Take the lock if it is free; never waits."""

    def confirm(self) -> bool:
        """True while the lock is still held by this process."""

    def release(self) -> None: ...

    def holder(self) -> str | None:
        """Who holds the lock now (any process), or None."""


def leader_lock(engine: Engine, settings: SchedulerSettings) -> LeaderLock:
    if engine.dialect.name == "postgresql":
        return AdvisoryLock(engine, settings.leader_lock_key, settings.takeover_s)
    database = engine.url.database
    if not database or database == ":memory:":
        return ProcessLock()
    return FileLock(Path(database + ".leader"))


def derived_key(database: str, schema: str | None) -> int:
    digest = hashlib.blake2b(f"srm-bridge leader {database} {schema or ''}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


_HELD = """
SELECT a.application_name, a.pid, a.client_addr FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
  AND l.classid::bigint = :high AND l.objid::bigint = :low
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""


class AdvisoryLock:
    def __init__(self, engine: Engine, key: int | None, takeover_s: float) -> None:
        self.engine = engine
        self.key = key
        self.takeover_s = takeover_s
        self._connection: Connection | None = None

    def _open(self) -> Connection:
        connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            if self.key is None:
                database, schema = connection.execute(text("SELECT current_database(), current_schema()")).one()
                self.key = derived_key(database, schema)
            idle = max(1, int(self.takeover_s / 3))
            connection.execute(text(
                "SELECT set_config('tcp_keepalives_idle', :idle, false), "
                "set_config('tcp_keepalives_interval', :interval, false), "
                "set_config('tcp_keepalives_count', '2', false), "
                "set_config('application_name', :name, false)"),
                {"idle": str(idle), "interval": str(max(1, idle // 2)), "name": f"srm-bridge standby {instance_name()}"})
        except SQLAlchemyError:
            connection.invalidate()
            connection.close()
            raise
        return connection

    def _key_halves(self) -> dict[str, int]:
        unsigned = self.key & 0xFFFF_FFFF_FFFF_FFFF
        return {"high": unsigned >> 32, "low": unsigned & 0xFFFF_FFFF}

    def try_acquire(self) -> bool:
        if self._connection is None:
            self._connection = self._open()
        try:
            held = self._connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}).scalar()
            if held:
                self._connection.execute(text("SELECT set_config('application_name', :name, false)"),
                                         {"name": f"srm-bridge leader {instance_name()}"})
        except SQLAlchemyError:
            self.release()
            raise
        return bool(held)

    def confirm(self) -> bool:
        if self._connection is None:
            return False
        try:
            return self._connection.execute(
                text(f"SELECT count(*) FROM ({_HELD}) held WHERE pid = pg_backend_pid()"),
                self._key_halves()).scalar() == 1
        except SQLAlchemyError:
            return False

    def release(self) -> None:
        """Close the lock's session: that frees the lock whatever state the connection is in."""
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.invalidate()
            connection.close()

    def holder(self) -> str | None:
        with self.engine.connect() as connection:
            if self.key is None:
                database, schema = connection.execute(text("SELECT current_database(), current_schema()")).one()
                self.key = derived_key(database, schema)
            row = connection.execute(text(_HELD), self._key_halves()).first()
        if row is None:
            return None
        name = (row.application_name or "").removeprefix("srm-bridge leader ") or f"backend pid {row.pid}"
        return f"{name} ({row.client_addr})" if row.client_addr else name


class FileLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{instance_name()} since {datetime.now(timezone.utc):%Y-%m-%dT%H:%M:%SZ}\n".encode())
        self._fd = fd
        return True

    def confirm(self) -> bool:
        """Held, and the file at the path is still the one locked (not deleted or replaced under us)."""
        if self._fd is None:
            return False
        try:
            return os.fstat(self._fd).st_ino == os.stat(self.path).st_ino
        except OSError:
            return False

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.ftruncate(fd, 0)
            os.close(fd)  # closing the last descriptor releases the flock

    def holder(self) -> str | None:
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            return None  # nobody holds it exclusively
        except BlockingIOError:
            return os.read(fd, 200).decode(errors="replace").strip() or "unknown"
        finally:
            os.close(fd)


class ProcessLock:
    """An in-memory database lives in one process: that process leads."""

    def __init__(self) -> None:
        self._held = False

    def try_acquire(self) -> bool:
        self._held = True
        return True

    def confirm(self) -> bool:
        return self._held

    def release(self) -> None:
        self._held = False

    def holder(self) -> str | None:
        return instance_name() if self._held else None


class LeaderBusy(Unreachable):
    """The schema needs migrating, but a running leader holds the lock the migration needs (exit code 3)."""


def migrate_under_lock(engine: Engine, settings: SchedulerSettings, wait_s: float | None = None) -> None:
    """Bring the schema to the latest revision holding the leader lock, so two starting processes never race.

    Nothing is locked when the schema is already current. Otherwise this waits up to `wait_s`
    (default `takeover_s`) for the lock: a leader migrates when it takes the lock, so one still
    holding it with an older schema is an older version that must stop first.
    """
    if schema_is_current(engine):
        return
    lock = leader_lock(engine, settings)
    deadline = time.monotonic() + (settings.takeover_s if wait_s is None else wait_s)
    while not lock.try_acquire():
        if time.monotonic() >= deadline:
            raise LeaderBusy(f"the database schema needs migrating but {lock.holder() or 'another process'} holds "
                             "the leader lock; stop that srm-bridge run (an older version), then retry")
        time.sleep(0.5)
    try:
        upgrade(engine)
    finally:
        lock.release()
