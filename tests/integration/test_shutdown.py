"""Bounded time: SIGTERM/SIGINT to a real `srm-bridge run` in the middle of a slow pull or a back-off
wait ends it within `scheduler.stop_grace_s`, keeping every committed page; a stream over its
`<source>.stream_timeout_s` fails with a clear error and keeps its cursor."""
import signal
import subprocess
import time
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select

from config import load_settings
from sandbox.faults import Faults
from sandbox.generator import generate_sap
from sandbox.serve import sap_endpoints, start_sap
from scheduler.bootstrap import App
from store.db import create_engine_for, schema_is_current
from store.sync_state import read_cursor
from store.tables import goods_movements, purchase_orders, sync_runs
from sync.pipeline import run_sync
from tests.support.service import COMMAND, ServiceProcess, clean_environment, sap_variables, wait_until

GRACE_S = 5


@pytest.fixture
def dataset():
    return generate_sap(6, 6, seed=11, as_of=date.today())


def environment(tmp_path, sap: dict[str, str], **more: str) -> dict[str, str]:
    return clean_environment(
        SRM_BRIDGE_DATABASE__URL=f"sqlite:///{tmp_path / 'srm.db'}", SRM_BRIDGE_BROKER__FOLDER=str(tmp_path / "broker"),
        **sap, SRM_BRIDGE_SAP__SETTLE_SECONDS="0", SRM_BRIDGE_SAP__PAGE_SIZE="5",
        SRM_BRIDGE_SCHEDULER__SOURCES='["sap"]', SRM_BRIDGE_SCHEDULER__STOP_GRACE_S=str(GRACE_S),
        SRM_BRIDGE_SCHEDULER__HTTP__PORT="0", **more)


def runs(engine) -> list:
    if not schema_is_current(engine):
        return []
    with engine.connect() as connection:
        return connection.execute(select(sync_runs).order_by(sync_runs.c.id)).all()


def stop_and_time(service: ServiceProcess, signum: int) -> tuple[int, float]:
    started = time.monotonic()
    service.signal(signum)
    code = service.wait(GRACE_S + 30)
    return code, time.monotonic() - started


def test_sigterm_mid_pull_exits_within_the_grace_and_the_next_run_completes_the_data(tmp_path, dataset):
    slow = Faults(latency_ms=400)
    server, app = start_sap(dataset, faults=slow)
    env = environment(tmp_path, sap_variables(server, app))
    engine = create_engine_for(f"sqlite:///{tmp_path / 'srm.db'}")
    service = ServiceProcess(tmp_path, env)
    try:
        wait_until(lambda: any(r.outcome == "running" and r.pages >= 2 for r in runs(engine)), 90,
                   what="a pull in progress")
        code, took = stop_and_time(service, signal.SIGTERM)
        assert code == 0 and took <= GRACE_S, (code, took)
        print(f"SIGTERM mid-pull: exited in {took:.2f} s (grace {GRACE_S} s)")

        [stopped] = [r for r in runs(engine) if r.outcome != "succeeded"]
        assert stopped.outcome == "stopped" and stopped.error.startswith("Stopped")
        assert stopped.finished_at is not None
        with engine.connect() as connection:
            table = purchase_orders if stopped.stream == "sap.purchase_orders" else goods_movements
            stored, newest = connection.execute(select(func.count(), func.max(table.c.changed_at))).one()
            cursor = read_cursor(connection, stopped.stream)
        assert 0 < stored < len(dataset[stopped.stream.split(".")[1]])
        assert newest is not None and cursor is None, "SAP pages by id: the cursor waits for the window's end"
        levels = {entry["message"]: entry["level"] for entry in service.lines()}
        assert levels["stopping"] == "info" and levels["stream stopped"] == "warning"
        assert "error" not in levels.values()

        slow.latency_ms = 0  # the next run need not be slow to show it completes the data
        done = subprocess.run([COMMAND, "sync", "--source", "sap"], env=env, cwd=tmp_path, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        with engine.connect() as connection:
            assert connection.execute(select(func.count()).select_from(purchase_orders)).scalar() == \
                len(dataset["purchase_orders"])
            assert connection.execute(select(func.count()).select_from(goods_movements)).scalar() == \
                len(dataset["goods_movements"])
    finally:
        service.stop()
        server.stop()
        engine.dispose()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_abandons_a_back_off_wait(tmp_path, dataset, signum):
    server, app = start_sap(dataset, faults=Faults(fail_rate=1.0))  # every data request: 503
    env = environment(tmp_path, sap_variables(server, app), SRM_BRIDGE_SAP__RETRY_INITIAL_S="60")
    service = ServiceProcess(tmp_path, env)
    try:
        retry = service.wait_for_log("transient failure, retrying", 90)
        assert retry["level"] == "warning" and retry["wait_s"] >= 30
        code, took = stop_and_time(service, signum)
        assert code == 0 and took <= GRACE_S, (code, took)
        stopped = [entry for entry in service.lines() if entry.get("message") == "stream stopped"]
        assert stopped and stopped[0]["error"].startswith("Stopped")
    finally:
        service.stop()
        server.stop()


def test_a_stream_over_its_deadline_fails_clearly_and_keeps_its_cursor(sqlite_engine, dataset, caplog):
    server, app = start_sap(dataset, faults=Faults(latency_ms=300))
    settings = load_settings(sap={**sap_endpoints(server, app), "page_size": 5, "settle_seconds": 0,
                                  "stream_timeout_s": 1.5})
    now = datetime.now(timezone.utc)
    try:
        report = run_sync(sqlite_engine, App(settings, sqlite_engine).streams(["sap"])[:1], now)
    finally:
        server.stop()
    [result] = report.streams
    assert result.outcome == "failed" and 0 < result.pages
    assert result.error.startswith("StreamTimeout") and "sap.stream_timeout_s=1.5" in result.error
    with sqlite_engine.connect() as connection:  # SAP pages by id: the cursor stays where the run found it
        assert connection.execute(select(func.count()).select_from(purchase_orders)).scalar() > 0
        assert read_cursor(connection, "sap.purchase_orders") is None
    [line] = [r for r in caplog.records if r.getMessage() == "stream failed"]
    assert line.levelname == "ERROR"
