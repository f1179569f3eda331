"""One active instance: the leader lock on PostgreSQL and SQLite, in-process and across real processes."""
import subprocess
import sys
import textwrap
import time
import uuid

import pytest
from sqlalchemy import text

from config.settings import SchedulerSettings
from scheduler.leader import AdvisoryLock, FileLock, LeaderBusy, derived_key, instance_name, leader_lock, migrate_under_lock
from store.db import create_engine_for, schema_is_current
from tests.support.databases import POSTGRES_VAR, service_url


def test_the_key_differs_per_database_and_schema():
    keys = {derived_key(db, schema) for db in ("test", "prod") for schema in ("public", "t_1", None)}
    assert len(keys) == 6
    assert all(-2**63 <= key < 2**63 for key in keys)


def test_advisory_lock_is_exclusive_and_names_its_holder(postgres_engine):
    first, second = (AdvisoryLock(postgres_engine, None, takeover_s=3) for _ in range(2))
    try:
        assert first.try_acquire()
        assert not second.try_acquire()
        assert first.confirm() and not second.confirm()
        assert second.holder().startswith(instance_name())
        first.release()
        assert second.holder() is None
        assert second.try_acquire() and second.confirm()
    finally:
        first.release()
        second.release()


def test_each_schema_has_its_own_leader(postgres_engine):
    base = service_url(POSTGRES_VAR)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine_for(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    other = create_engine_for(f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}")
    here, there = AdvisoryLock(postgres_engine, None, 3), AdvisoryLock(other, None, 3)
    try:
        assert here.try_acquire() and there.try_acquire()
        assert here.key != there.key
    finally:
        here.release()
        there.release()
        other.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_a_terminated_lock_session_is_noticed(postgres_engine):
    lock = AdvisoryLock(postgres_engine, None, 3)
    assert lock.try_acquire()
    with postgres_engine.connect() as connection:
        pid = connection.execute(text(
            "SELECT pid FROM pg_stat_activity WHERE application_name = :name"),
            {"name": f"srm-bridge leader {instance_name()}"}).scalars().all()
        assert pid
        connection.execute(text("SELECT pg_terminate_backend(p) FROM unnest(CAST(:pids AS int[])) p"), {"pids": pid})
    assert not lock.confirm()
    lock.release()
    assert AdvisoryLock(postgres_engine, None, 3).holder() is None


HOLD_AND_SLEEP = textwrap.dedent("""
    import sys, time
    from config.settings import SchedulerSettings
    from scheduler.leader import leader_lock
    from store.db import create_engine_for
    lock = leader_lock(create_engine_for(sys.argv[1]), SchedulerSettings(leader_lock_key=int(sys.argv[2])))
    assert lock.try_acquire()
    print("held", flush=True)
    time.sleep(600)
""")


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_a_killed_holder_frees_the_lock_at_once(database, tmp_path):
    url = f"sqlite:///{tmp_path / 'srm.db'}" if database == "sqlite" else service_url(POSTGRES_VAR)
    settings = SchedulerSettings(leader_lock_key=uuid.uuid4().int % 2**62)  # a key no other test holds
    holder = subprocess.Popen([sys.executable, "-c", HOLD_AND_SLEEP, url, str(settings.leader_lock_key)],
                              stdout=subprocess.PIPE, text=True)
    engine = create_engine_for(url)
    lock = leader_lock(engine, settings)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert not lock.try_acquire()
        assert f":{holder.pid}" in lock.holder()
        holder.kill()
        holder.wait()
        freed = time.monotonic()
        while not lock.try_acquire():
            assert time.monotonic() - freed < 3, "the lock outlived its killed holder"
            time.sleep(0.05)
    finally:
        holder.kill()
        lock.release()
        engine.dispose()


def test_file_lock_notices_its_file_replaced(tmp_path):
    path = tmp_path / "srm.db.leader"
    lock = FileLock(path)
    assert lock.try_acquire() and lock.confirm()
    path.unlink()
    assert not lock.confirm(), "a new file at the path could be locked by another process"
    lock.release()


def test_file_lock_is_exclusive_between_two_holders_in_one_process(tmp_path):
    first, second = FileLock(tmp_path / "x.leader"), FileLock(tmp_path / "x.leader")
    assert first.try_acquire() and not second.try_acquire()
    assert second.holder().startswith(instance_name())
    first.release()
    assert second.holder() is None and second.try_acquire()
    second.release()


def test_migrations_wait_for_the_lock_and_name_the_holder(postgres_schema_url):
    engine = create_engine_for(postgres_schema_url)
    settings = SchedulerSettings()
    holder = leader_lock(engine, settings)
    assert holder.try_acquire()
    try:
        with pytest.raises(LeaderBusy, match=instance_name()):
            migrate_under_lock(engine, settings, wait_s=0.5)
        assert not schema_is_current(engine)
    finally:
        holder.release()
    migrate_under_lock(engine, settings, wait_s=0.5)
    assert schema_is_current(engine)
    engine.dispose()

