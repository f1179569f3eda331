"""The service in-process against the stand-ins: cycles, their summary and run ids, independence of
streams, scoring and publishing, waiting for a database that is not there yet."""
import json
import logging
import urllib.error
import urllib.request
from datetime import date, datetime, timezone
from urllib.parse import urlsplit

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from config import load_settings
from sandbox.faults import Faults
from sandbox.generator import generate_salesforce, generate_sap
from sandbox.serve import sap_endpoints, start_salesforce, start_sap
from scheduler.bootstrap import App, open_app
from scheduler.service import Service
from store.actions import counts_by_status
from store.db import schema_is_current, upgrade
from store.risks import open_counts_by_severity
from store.tables import outbox, sync_runs
from sync.envelope import enqueue_many
from sync.pipeline import run_sync
from sync.run_context import RunIdFilter
from tests.support.events import random_suppliers, scorecard
from tests.support.service import closed_port, wait_until
from tests.support.tcp_proxy import TcpProxy

TODAY = date.today()


@pytest.fixture
def salesforce(tmp_path):
    server, _, ca = start_salesforce(generate_salesforce(3, seed=5, as_of=TODAY), tls_dir=tmp_path / "ca")
    yield {"login_url": server.url, "verify": str(ca), "retry_initial_s": 0}
    server.stop()


def start_sap_with(latency_ms: int = 0) -> tuple:
    return start_sap(generate_sap(3, 4, seed=5, as_of=TODAY), faults=Faults(latency_ms=latency_ms))


@pytest.fixture
def sap():
    server, app = start_sap_with()
    yield {**sap_endpoints(server, app), "settle_seconds": 0, "retry_initial_s": 0}
    server.stop()


@pytest.fixture
def captured(caplog):
    caplog.set_level(logging.INFO)
    caplog.handler.addFilter(RunIdFilter())
    return caplog


def service_with(tmp_path, database_url: str | None = None, **sections) -> Service:
    tmp_path.mkdir(parents=True, exist_ok=True)
    scheduler = {"http": {"port": 0}, "sync_interval_s": 3600, "unhealthy_after": 1, **sections.pop("scheduler", {})}
    broker = {"folder": str(tmp_path / "broker"), **sections.pop("broker", {})}
    settings = load_settings(database={"url": database_url or f"sqlite:///{tmp_path / 'srm.db'}"},
                             broker=broker, scheduler=scheduler, **sections)
    return Service(open_app(settings=settings, connect=False))


def scrape(service: Service, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(service.http.url + path, timeout=15) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def samples(service: Service) -> dict[tuple, float]:
    families = text_string_to_metric_families(scrape(service, "/metrics")[1])
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for family in families for s in family.samples}


def summaries(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.getMessage() == "cycle finished"]


def test_a_cycle_syncs_scores_and_sums_up_under_one_run_id(tmp_path, sap, salesforce, captured):
    captured.set_level(logging.DEBUG, logger="srm_bridge")
    service = service_with(tmp_path, sap=sap, salesforce=salesforce, scheduler={"publish_interval_s": 0.3}).start()
    try:
        [summary] = wait_until(lambda: summaries(captured), 120, what="a cycle")
        assert summary.outcome == "succeeded" and summary.levelname == "INFO"
        assert summary.sap_pulled > 0 and summary.sap_stored == summary.sap_pulled and summary.sap_quarantined == 0
        assert summary.salesforce_pulled == 3 and summary.scored > 0
        assert datetime.fromisoformat(summary.next_run_at) > datetime.now(timezone.utc)
        of_the_cycle = [record for record in captured.records if record.threadName == "leader"
                        and record.name.startswith(("srm_bridge.sync", "srm_bridge.cycle", "srm_bridge.jobs"))]
        assert len(of_the_cycle) > 3
        assert {getattr(record, "run_id", None) for record in of_the_cycle} == {summary.run_id}

        published = wait_until(lambda: samples(service).get(("srm_bridge_publish_confirmed_total", ())), 60,
                               what="the relay publishing the scorecards")
        wait_until(lambda: samples(service)[("srm_bridge_outbox_backlog_events", ())] == 0, 60, what="an empty outbox")
        metrics = samples(service)
        assert published >= summary.scorecards_changed
        assert metrics[("srm_bridge_leader", ())] == 1
        assert metrics[("srm_bridge_records_pulled_total", (("stream", "salesforce.accounts"),))] == 3
        assert metrics[("srm_bridge_stream_last_success_timestamp_seconds", (("stream", "sap.goods_movements"),))] > 0
        assert metrics[("srm_bridge_cycles_total", (("outcome", "succeeded"),))] == 1
        with service.app.engine.connect() as connection:
            statuses, severities = counts_by_status(connection), open_counts_by_severity(connection)
        assert statuses and severities, "the stand-ins' data raises signals and opens actions"
        expected = {**{("srm_bridge_corrective_actions", (("status", k),)): v for k, v in statuses.items()},
                    **{("srm_bridge_risk_signals_open", (("severity", k),)): v for k, v in severities.items()}}
        wait_until(lambda: all(samples(service).get(key) == value for key, value in expected.items()), 30,
                   what="the state gauges refreshed after scoring")
        assert scrape(service, "/readyz")[0] == 200
        idle = wait_until(lambda: [r for r in captured.records if r.getMessage() == "published"
                                   and not (r.sent or r.failed)], 30, what="a relay pass with nothing to publish")
        assert all(record.levelname == "DEBUG" for record in idle)  # idle drains stay out of the info log
        sessions = [r for r in captured.records if r.getMessage() == "Salesforce session opened"]
        assert sessions and all(record.levelname == "DEBUG" for record in sessions)
    finally:
        assert service.shutdown() == 0


def test_a_failing_source_skips_neither_the_other_streams_nor_scoring(tmp_path, salesforce, captured):
    unreachable = {"url": f"http://127.0.0.1:{closed_port()}/sap", "max_attempts": 1, "retry_initial_s": 0}
    service = service_with(tmp_path, sap=unreachable, salesforce=salesforce).start()
    try:
        [summary] = wait_until(lambda: summaries(captured), 120, what="a cycle")
        assert summary.outcome == "failed" and summary.levelname == "ERROR"
        assert summary.streams_failed == ["sap.purchase_orders", "sap.goods_movements"]
        assert summary.salesforce_stored == 3 and summary.scored is not None
        failed = [r for r in captured.records if r.getMessage() == "stream failed"]
        assert {r.stream for r in failed} == set(summary.streams_failed)
        assert all(r.levelname == "ERROR" and "unreachable" in r.error for r in failed)
        status, body = scrape(service, "/readyz")  # unhealthy_after=1: the one cycle failed
        assert status == 503 and json.loads(body)["cycles"] == "the last 1 cycles failed"
    finally:
        service.shutdown()


def test_publishing_never_waits_behind_a_slow_sync(tmp_path, salesforce):
    server, app = start_sap_with(latency_ms=1500)
    service = service_with(tmp_path, sap={**sap_endpoints(server, app), "page_size": 5, "settle_seconds": 0},
                           salesforce=salesforce, scheduler={"publish_interval_s": 0.2})
    engine = service.app.engine
    upgrade(engine)
    with engine.begin() as connection:
        enqueue_many(connection, service.app.settings.broker,
                     [("scorecard.published.v1", supplier, scorecard(supplier, 1)) for supplier in random_suppliers(20)],
                     datetime.now(timezone.utc))
    service.start()
    try:
        def drained() -> bool:
            with engine.connect() as connection:
                return connection.execute(select(func.count()).where(outbox.c.sent_at.is_(None))).scalar() == 0
        wait_until(drained, 60, what="the outbox drained")
        with engine.connect() as connection:
            outcomes = connection.execute(select(sync_runs.c.outcome)).scalars().all()
        assert outcomes == ["running"], "the events went out while the first stream was still being pulled"
    finally:
        service.shutdown()
        server.stop()


def test_run_waits_for_a_database_that_is_not_there_yet(tmp_path, postgres_schema_url, captured):
    url = urlsplit(postgres_schema_url)
    proxy = TcpProxy(url.hostname, url.port or 5432)
    proxy.cut()  # refuses every connection until restored
    through_proxy = postgres_schema_url.replace(url.netloc, f"{url.username}@127.0.0.1:{proxy.port}")
    service = service_with(tmp_path, through_proxy, scheduler={"retry_max_s": 0.5, "takeover_s": 1,
                                                                "sources": []}).start()
    try:
        def attempts() -> list[logging.LogRecord]:
            return [r for r in captured.records if r.getMessage() == "database unreachable; trying again"]
        wait_until(lambda: len(attempts()) >= 3, 60, what="three attempts")
        assert all(record.levelname == "WARNING" and record.retry_in_s <= 0.5 for record in attempts())
        assert scrape(service, "/healthz")[0] == 200
        status, body = scrape(service, "/readyz")
        assert status == 503 and json.loads(body)["database"] != "ok"
        proxy.restore()
        wait_until(lambda: "srm_bridge_leader 1.0" in scrape(service, "/metrics")[1], 60, what="leading")
        wait_until(lambda: scrape(service, "/readyz")[0] == 200, 60, what="ready")
    finally:
        service.shutdown()
        proxy.close()



def test_run_keeps_waiting_for_an_unreachable_broker(tmp_path, captured):
    broker = {"url": f"amqp://guest:guest@127.0.0.1:{closed_port()}//", "connect_timeout_s": 1}
    service = service_with(tmp_path, broker=broker, scheduler={"retry_max_s": 0.5, "publish_interval_s": 0.1,
                                                               "sources": []})
    upgrade(service.app.engine)
    with service.app.engine.begin() as connection:
        supplier, = random_suppliers(1)
        enqueue_many(connection, service.app.settings.broker, [("scorecard.published.v1", supplier,
                                                                scorecard(supplier, 1))], datetime.now(timezone.utc))
    service.start()
    try:
        def outages() -> list[logging.LogRecord]:
            return [r for r in captured.records if r.getMessage() == "broker unavailable; events wait for the next drain"]
        wait_until(lambda: len(outages()) >= 3, 60, what="three attempts")
        assert all(record.levelname == "WARNING" and "guest:guest" not in record.error for record in outages())
        status, body = scrape(service, "/readyz")
        assert status == 503 and json.loads(body)["broker"] != "ok"
        assert scrape(service, "/healthz")[0] == 200
    finally:
        assert service.shutdown() == 0


def test_a_long_pull_logs_its_progress(sqlite_engine, captured, monkeypatch):
    monkeypatch.setattr("sync.streams.PROGRESS_EVERY_S", 0.4)
    server, app = start_sap_with(latency_ms=300)
    settings = load_settings(sap={**sap_endpoints(server, app), "page_size": 5, "settle_seconds": 0})
    try:
        report = run_sync(sqlite_engine, App(settings, sqlite_engine).streams(["sap"])[:1], datetime.now(timezone.utc))
    finally:
        server.stop()
    progress = [r for r in captured.records if r.getMessage() == "stream pulling"]
    assert len(progress) >= 2
    assert all(r.run_id == report.run_id and r.stream == "sap.purchase_orders" for r in progress)
    assert [r.pulled for r in progress] == sorted(r.pulled for r in progress) and progress[-1].pulled > 0


def console_page(service: Service, token: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(service.http.url + "/suppliers",
                                     headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_the_web_console_shares_the_endpoint_and_its_credentials_rule(tmp_path, captured):
    local = service_with(tmp_path / "local", scheduler={"sources": []}).start()
    try:
        wait_until(lambda: schema_is_current(local.app.engine), 60, what="the schema migrated by the leader")
        status, page = console_page(local)
        assert status == 200 and "<html" in page.lower()
        assert scrape(local, "/healthz")[0] == 200
    finally:
        local.shutdown()

    open_to_all = service_with(tmp_path / "open", scheduler={"sources": [], "http": {"host": "0.0.0.0", "port": 0}})
    open_to_all.start()
    try:
        assert console_page(open_to_all)[0] == 404  # no credentials: no console beyond loopback
        assert scrape(open_to_all, "/metrics")[0] == 200
        [warning] = [r for r in captured.records if r.getMessage() == "web console not served on this endpoint"]
        assert "SRM_BRIDGE_CONSOLE__TOKEN" in warning.reason
    finally:
        open_to_all.shutdown()

    guarded = service_with(tmp_path / "guarded", scheduler={"sources": [], "http": {"host": "0.0.0.0", "port": 0}},
                           console={"token": "s3cret-token"}).start()
    try:
        wait_until(lambda: schema_is_current(guarded.app.engine), 60, what="the schema migrated by the leader")
        assert console_page(guarded)[0] == 401
        assert console_page(guarded, "s3cret-token")[0] == 200
        assert scrape(guarded, "/readyz")[0] in (200, 503) and scrape(guarded, "/healthz")[0] == 200
    finally:
        guarded.shutdown()
