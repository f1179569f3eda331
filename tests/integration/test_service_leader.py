"""Three real `srm-bridge run` processes on one PostgreSQL schema: one leads, a standby takes over
within `scheduler.takeover_s` when the leader is SIGKILLed, and no stream is ever pulled by two
processes at once (the `sync_runs` rows of each stream never overlap in time)."""
import json
import signal
import subprocess
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select, text

from sandbox.faults import Faults
from sandbox.generator import generate_sap
from sandbox.serve import start_sap
from store.db import create_engine_for, schema_is_current
from store.records import utc
from store.tables import purchase_orders, sync_runs
from tests.support.service import COMMAND, ServiceProcess, clean_environment, sap_variables, wait_until

TAKEOVER_S = 3


@pytest.fixture
def slow_sap():
    dataset = generate_sap(6, 6, seed=5, as_of=date.today())
    server, app = start_sap(dataset, faults=Faults(latency_ms=150))
    yield sap_variables(server, app), dataset
    server.stop()


def leaders(processes: list[ServiceProcess]) -> list[ServiceProcess]:
    return [p for p in processes if p.process.poll() is None and p.metric("srm_bridge_leader") == 1]


def logged_at(entry: dict) -> datetime:
    return datetime.fromisoformat(entry["ts"])


def test_one_leader_takes_over_within_the_bound_and_no_stream_is_pulled_twice(postgres_schema_url, slow_sap, tmp_path):
    sap, dataset = slow_sap
    env = clean_environment(
        SRM_BRIDGE_DATABASE__URL=postgres_schema_url, SRM_BRIDGE_BROKER__FOLDER=str(tmp_path / "broker"),
        **sap, SRM_BRIDGE_SAP__SETTLE_SECONDS="0", SRM_BRIDGE_SAP__PAGE_SIZE="10",
        SRM_BRIDGE_SCHEDULER__SOURCES='["sap"]', SRM_BRIDGE_SCHEDULER__SYNC_INTERVAL_S="1",
        SRM_BRIDGE_SCHEDULER__TAKEOVER_S=str(TAKEOVER_S), SRM_BRIDGE_SCHEDULER__HTTP__PORT="0")
    processes = [ServiceProcess(tmp_path / f"p{n}", env) for n in range(3)]  # started together on an empty schema
    engine = create_engine_for(postgres_schema_url)
    try:
        first = wait_until(lambda: leaders(processes), 90, what="a leader")
        assert len(first) == 1
        leader = first[0]
        standbys = [p for p in processes if p is not leader]
        for standby in standbys:
            standby.wait_for_log("standby: another instance leads", 60)
            assert standby.metric("srm_bridge_leader") == 0

        def pulling() -> bool:  # the leader is in the middle of its first pull: pages committed, more to come
            if not schema_is_current(engine):
                return False
            with engine.connect() as connection:
                return bool(connection.execute(select(func.count()).where(
                    sync_runs.c.outcome == "running", sync_runs.c.pages >= 2)).scalar())
        wait_until(pulling, 60, what="a pull in progress")
        leader.signal(signal.SIGKILL)
        leader.wait(10)
        killed_at = datetime.now(timezone.utc)

        successor = wait_until(lambda: leaders(standbys), 30, what="a new leader")[0]
        took_over = logged_at(successor.logged("leading: this instance syncs and scores")[-1])
        assert (took_over - killed_at).total_seconds() <= TAKEOVER_S
        assert [p.metric("srm_bridge_leader") for p in standbys].count(1) == 1

        status = subprocess.run([COMMAND, "status", "--json"], env=env, capture_output=True, text=True, timeout=60)
        assert f":{successor.pid}" in json.loads(status.stdout)["leader"]

        successor.wait_for_log("cycle finished", 90)  # it completes what the killed leader left half-done
        with engine.connect() as connection:
            stored = connection.execute(select(func.count()).select_from(purchase_orders)).scalar()
            runs = connection.execute(select(sync_runs).order_by(sync_runs.c.stream, sync_runs.c.started_at)).all()
        assert stored == len(dataset["purchase_orders"])
        assert_never_pulled_twice(runs, killed_at)
        lines = [entry for p in processes for entry in p.lines()]
        assert not [entry for entry in lines if entry.get("level") == "error" or "UniqueViolation" in str(entry)]
    finally:
        for process in processes:
            process.stop()
        engine.dispose()


def assert_never_pulled_twice(runs: list, killed_at: datetime) -> None:
    """Per stream, each run's [started, finished] ends before the next one starts; a run the kill cut
    short ends at the kill. `started_at` is its cycle's start, earlier than the pull's: conservative."""
    by_stream: dict[str, list[tuple[datetime, datetime]]] = {}
    for run in runs:
        finished = utc(run.finished_at) if run.finished_at else killed_at
        by_stream.setdefault(run.stream, []).append((utc(run.started_at), finished))
    assert set(by_stream) == {"sap.purchase_orders", "sap.goods_movements"}
    for stream, spans in by_stream.items():
        spans.sort()
        for (_, previous_end), (start, _) in zip(spans, spans[1:]):
            assert start >= previous_end, f"{stream} pulled twice at once: a run started {start} before {previous_end}"


def test_a_lost_lock_connection_stops_leader_work(postgres_schema_url, slow_sap, tmp_path):
    sap, _ = slow_sap
    env = clean_environment(
        SRM_BRIDGE_DATABASE__URL=postgres_schema_url, SRM_BRIDGE_BROKER__FOLDER=str(tmp_path / "broker"),
        **sap, SRM_BRIDGE_SCHEDULER__SOURCES='["sap"]',
        SRM_BRIDGE_SCHEDULER__TAKEOVER_S=str(TAKEOVER_S), SRM_BRIDGE_SCHEDULER__HTTP__PORT="0")
    service = ServiceProcess(tmp_path / "p", env)
    engine = create_engine_for(postgres_schema_url)
    try:
        wait_until(lambda: service.metric("srm_bridge_leader") == 1, 90, what="leading")
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                    "WHERE application_name LIKE :name"), {"name": f"srm-bridge leader %:{service.pid}"})
        lost = service.wait_for_log("leader lock lost: leader work stopped", 3 * TAKEOVER_S)
        assert lost["level"] == "error"
        wait_until(lambda: len(service.logged("leading: this instance syncs and scores")) == 2, 30,
                   what="leading again once the lock is free")
        assert service.metric("srm_bridge_leader") == 1
    finally:
        service.stop()
        engine.dispose()
