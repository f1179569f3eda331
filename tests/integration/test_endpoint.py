"""The service's HTTP endpoint, scraped through a real HTTP client: /healthz, /readyz, /metrics, mounts."""
import json
import logging
import socket
import threading
import time
import urllib.error
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from config import load_settings
from scheduler.health import Health
from scheduler.http import Endpoint, HttpServer
from scheduler.metrics import Metrics
from store.db import create_engine_for, upgrade
from sync.streams import StreamResult
from tests.support.service import closed_port


@pytest.fixture
def serve(tmp_path):
    servers = []

    def start(**env: str) -> tuple[str, Health, Metrics, Endpoint]:
        settings = load_settings(database={"url": f"sqlite:///{tmp_path / 'srm.db'}"},
                                 broker={"folder": str(tmp_path / "broker"), **env.pop("broker", {})},
                                 scheduler={"unhealthy_after": 2, **env.pop("scheduler", {})})
        engine = create_engine_for(settings.database.url)
        upgrade(engine)
        health, metrics = Health(settings, engine), Metrics()
        endpoint = Endpoint(health, metrics)
        server = HttpServer(endpoint, "127.0.0.1", 0, threads=2).start()
        servers.append((server, health, engine))
        return server.url, health, metrics, endpoint

    yield start
    for server, health, engine in servers:
        server.stop()
        health.close()
        engine.dispose()


def get(url: str, method: str = "GET") -> tuple[int, str]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=15) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_healthz_fails_when_a_loop_stops_making_progress(serve):
    url, health, _, _ = serve(scheduler={"stalled_after_s": 0.3})
    health.beat("leader")
    health.beat("relay")
    status, body = get(url + "/healthz")
    assert status == 200 and json.loads(body)["status"] == "ok"
    time.sleep(0.5)
    health.beat("relay")
    status, body = get(url + "/healthz")
    assert status == 503 and json.loads(body)["stuck"] == ["leader"]
    health.forget("leader")  # a loop that ended on purpose is not stuck
    assert get(url + "/healthz")[0] == 200


def test_readyz_checks_database_broker_and_recent_cycles(serve):
    url, health, _, _ = serve()
    status, body = get(url + "/readyz")
    assert status == 200, body
    assert json.loads(body) == {"status": "ok", "database": "ok", "broker": "ok", "cycles": "ok"}
    health.record_cycle(False)
    assert get(url + "/readyz")[0] == 200  # one failure of the last two: still ready
    health.record_cycle(False)
    status, body = get(url + "/readyz")
    assert status == 503 and json.loads(body)["cycles"] == "the last 2 cycles failed"
    health.record_cycle(True)
    assert get(url + "/readyz")[0] == 200


def test_readyz_fails_while_the_broker_is_unreachable(serve):
    url, *_ = serve(broker={"url": f"amqp://guest:secret@127.0.0.1:{closed_port()}//", "connect_timeout_s": 1})
    status, body = get(url + "/readyz")
    answer = json.loads(body)
    assert status == 503 and answer["database"] == "ok" and answer["broker"] != "ok"
    assert "secret" not in body


def test_metrics_are_prometheus_text_named_srm_bridge(serve):
    url, _, metrics, _ = serve()
    metrics.leader.set(1)
    metrics.count_page("sap.purchase_orders", 10, 9, 1)
    metrics.record_stream(StreamResult("sap.purchase_orders", outcome="succeeded", pulled=10, duration_s=1.5))
    status, body = get(url + "/metrics")
    assert status == 200
    families = {family.name: family for family in text_string_to_metric_families(body)}
    assert all(name.startswith("srm_bridge_") for name in families)
    for name in ("srm_bridge_leader", "srm_bridge_records_pulled", "srm_bridge_records_stored",
                 "srm_bridge_records_quarantined", "srm_bridge_cycle_duration_seconds",
                 "srm_bridge_stream_duration_seconds", "srm_bridge_scoring_duration_seconds",
                 "srm_bridge_publish_duration_seconds", "srm_bridge_stream_last_success_timestamp_seconds",
                 "srm_bridge_outbox_backlog_events", "srm_bridge_outbox_oldest_event_age_seconds",
                 "srm_bridge_outbox_dead_letters", "srm_bridge_publish_confirmed", "srm_bridge_publish_failed",
                 "srm_bridge_salesforce_api_usage_ratio", "srm_bridge_risk_signals_open",
                 "srm_bridge_corrective_actions"):
        assert name in families, name
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value for f in families.values() for s in f.samples}
    assert samples[("srm_bridge_leader", ())] == 1
    assert samples[("srm_bridge_records_quarantined_total", (("stream", "sap.purchase_orders"),))] == 1
    assert samples[("srm_bridge_stream_duration_seconds_count", (("stream", "sap.purchase_orders"),))] == 1


def test_each_service_instance_has_its_own_registry(serve):
    first, _, one, _ = serve()
    second, _, other, _ = serve()
    one.leader.set(1)
    other.leader.set(0)
    assert "srm_bridge_leader 1.0" in get(first + "/metrics")[1]
    assert "srm_bridge_leader 0.0" in get(second + "/metrics")[1]


def test_mounted_applications_get_their_prefix_and_never_the_operational_paths(serve):
    url, _, _, endpoint = serve()
    seen = []

    def app(environ, start_response):
        seen.append((environ["SCRIPT_NAME"], environ["PATH_INFO"]))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"console"]

    endpoint.mount("/console", app)
    assert get(url + "/console/suppliers/0000100001") == (200, "console")
    assert seen[-1] == ("/console", "/suppliers/0000100001")
    assert get(url + "/elsewhere")[0] == 404
    endpoint.mount("/", app)
    assert get(url + "/elsewhere") == (200, "console")
    assert get(url + "/healthz")[0] in (200, 503) and "console" not in get(url + "/healthz")[1]
    with pytest.raises(ValueError):
        endpoint.mount("/metrics", app)
    assert get(url + "/healthz", method="POST")[0] == 405


def test_stop_closes_the_port_and_its_threads(tmp_path):
    settings = load_settings(database={"url": f"sqlite:///{tmp_path / 'srm.db'}"})
    server = HttpServer(Endpoint(Health(settings, create_engine_for(settings.database.url)), Metrics()),
                        "127.0.0.1", 0, threads=2).start()
    assert get(server.url + "/healthz")[0] == 200
    server.stop()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.port), timeout=2).close()
    assert not [thread for thread in threading.enumerate() if thread.name.startswith(("waitress", "http"))
                and thread.is_alive()]


def test_stop_lets_a_request_in_flight_finish_before_any_socket_closes(caplog):
    entered, release, answers = threading.Event(), threading.Event(), []

    def slow(environ, start_response):
        entered.set()
        release.wait(10)
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "4")])
        return [b"done"]

    def client() -> None:
        try:
            answers.append(get(server.url + "/slow"))
        except OSError as exc:
            answers.append(exc)

    server = HttpServer(slow, "127.0.0.1", 0, threads=1).start()
    asking = threading.Thread(target=client)
    asking.start()
    assert entered.wait(10)
    stopping = threading.Thread(target=server.stop)
    stopping.start()
    server._thread.join(10)  # the loop has ended: what is left is the request in flight
    release.set()
    for thread in (stopping, asking):
        thread.join(10)
    assert answers == [(200, "done")]
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]
