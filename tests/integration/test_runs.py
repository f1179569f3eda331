"""`runs` never lies: a run whose process died is shown `abandoned`, found through its owning process
(host and pid) or its heartbeat, and recorded so by the next sync; on SQLite and PostgreSQL."""
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update

from domain.records import Page
from store import sync_state
from store.sync_state import recent_runs, start_run
from store.tables import sync_runs
from sync.pipeline import run_sync
from sync.streams import Stream

NOW = datetime.now(timezone.utc)
WINDOW = (NOW - timedelta(days=1), NOW)
# a pull that stores one page, says so, then waits for SAP forever
HANGING = """
import sys, time
from datetime import datetime, timedelta, timezone
from domain.records import Page
from store.db import create_engine_for
from sync.streams import Stream, pull

def fetch(lower, upper):
    yield Page(records=[])
    print("paged", flush=True)
    time.sleep(3600)
    yield Page(records=[])

pull(create_engine_for(sys.argv[1]), Stream("test.hanging", fetch, lambda connection, records: [], timedelta(0),
     timedelta(0)), "run-of-a-killed-process", datetime.now(timezone.utc))
"""


def outcomes(engine) -> dict[str, str]:
    with engine.connect() as connection:
        return {run["run_id"]: run["outcome"] for run in recent_runs(connection)}


def stored_outcomes(engine) -> dict[str, str]:
    with engine.connect() as connection:
        return dict(connection.execute(select(sync_runs.c.run_id, sync_runs.c.outcome)).all())


def test_a_run_whose_process_was_killed_is_abandoned(engine):
    child = subprocess.Popen([sys.executable, "-c", HANGING, engine.url.render_as_string(hide_password=False)],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "paged"
        assert outcomes(engine) == {"run-of-a-killed-process": "running"}
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        child.stdout.close()
    assert outcomes(engine) == {"run-of-a-killed-process": "abandoned"}
    assert stored_outcomes(engine) == {"run-of-a-killed-process": "running"}
    report = run_sync(engine, [], NOW)  # the next sync records it
    assert stored_outcomes(engine) == {"run-of-a-killed-process": "abandoned"}
    with engine.connect() as connection:
        error = connection.execute(select(sync_runs.c.error).where(sync_runs.c.run_id != report.run_id)).scalar()
    assert f"pid {child.pid}" in error and "is gone" in error


def test_a_run_on_another_host_is_abandoned_once_its_heartbeat_stops(engine):
    with engine.begin() as connection:
        quiet = start_run(connection, "quiet", "test.remote", NOW, WINDOW, owner=("elsewhere", 4242))
        start_run(connection, "beating", "test.remote", NOW, WINDOW, owner=("elsewhere", 4243))
        connection.execute(update(sync_runs).where(sync_runs.c.id == quiet).values(
            heartbeat_at=NOW - timedelta(seconds=sync_state.SILENT_S + 1)))
    assert outcomes(engine) == {"quiet": "abandoned", "beating": "running"}


def test_a_run_waiting_on_a_slow_page_keeps_beating_and_stays_running(engine, monkeypatch):
    monkeypatch.setattr(sync_state, "HEARTBEAT_S", 0.1)
    monkeypatch.setattr(sync_state, "SILENT_S", 0.6)
    seen = []

    def slow(_lower, _upper):
        for _ in range(3):
            with engine.connect() as connection:
                seen.append((connection.execute(select(sync_runs.c.heartbeat_at)).scalar(), outcomes(engine)))
            time.sleep(0.5)
        yield Page(records=[])

    report = run_sync(engine, [Stream("test.slow", slow, lambda _connection, _records: [], timedelta(0),
                                      timedelta(0))], NOW)
    assert report.ok
    beats = [beat for beat, _ in seen]
    assert beats == sorted(beats) and len(set(beats)) == 3
    assert all(shown == {report.run_id: "running"} for _, shown in seen)
