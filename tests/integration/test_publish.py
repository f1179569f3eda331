"""One publisher contract, run on the filesystem transport and on RabbitMQ, with real consumers."""
import json
import re
import shutil
import threading
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml
from kombu import Exchange, Queue

from config.settings import BrokerSettings, QueueBinding
from domain.events import CONTENT_TYPE
from store.outbox import backlog, dead_letters, events, replay
from sync import relay
from sync.consumer import DUPLICATE, HANDLED, STALE, EventConsumer
from sync.envelope import enqueue
from sync.publisher import Outgoing, Publisher, broker_connection
from sync.relay import drain
from tests.support.brokers import broker_settings, delete_topology
from tests.support.events import (
    CONTRACT,
    EXAMPLES,
    NOW,
    check_against_contract,
    random_suppliers,
    scorecard,
    subject_for,
)
from tests.support.tcp_proxy import TcpProxy


@pytest.fixture(params=["filesystem", "rabbitmq"])
def broker(request, tmp_path):
    url = "filesystem://" if request.param == "filesystem" else request.getfixturevalue("amqp_url")
    settings = broker_settings(url, tmp_path)
    yield settings
    delete_topology(settings)


@pytest.fixture
def rabbitmq(amqp_url, tmp_path):
    settings = broker_settings(amqp_url, tmp_path)
    yield settings
    delete_topology(settings)


def read_back(settings: BrokerSettings, at_least: int, drain_s: float = 0.5) -> list:
    """Every message on the first queue: at least `at_least`, then whatever else arrives within `drain_s`."""
    received = []
    with broker_connection(settings) as connection:
        queue = Queue(settings.queues[0].name, Exchange(settings.exchange, type="topic"), settings.queues[0].routing_key)
        with connection.SimpleQueue(queue) as simple:
            while True:
                try:
                    message = simple.get(timeout=10 if len(received) < at_least else drain_s)
                except simple.Empty:
                    if len(received) < at_least:
                        raise
                    return received
                received.append(message)
                message.ack()


def enqueue_scorecards(engine, broker: BrokerSettings, suppliers: list[str], per_supplier: int) -> None:
    with engine.begin() as connection:
        for n in range(per_supplier):
            for supplier in suppliers:
                enqueue(connection, broker, "scorecard.published.v1", supplier, scorecard(supplier, n), NOW)


def drain_once(engine, broker: BrokerSettings, now=NOW) -> relay.RelayResult:
    with Publisher(broker) as publisher:
        return drain(engine, publisher, broker, lambda: now)


def sequences_by_supplier(bodies: list[dict]) -> dict[str, list[int]]:
    seen: dict[str, list[int]] = {}
    for body in bodies:
        seen.setdefault(body["subject"], []).append(int(body["sequence"]))
    return seen


def consumer(engine, broker: BrokerSettings, handled: list) -> EventConsumer:
    return EventConsumer(engine, broker, f"test-{uuid.uuid4().hex[:8]}",
                         lambda _connection, event: handled.append(event), lambda: NOW)


class TestPublisherContract:
    def test_exactly_the_outbox_rows_arrive_in_supplier_order_and_match_the_contract(self, broker, sqlite_engine):
        suppliers = random_suppliers(3)
        enqueue_scorecards(sqlite_engine, broker, suppliers, 4)
        result = drain_once(sqlite_engine, broker)
        assert (result.sent, result.failed, result.unavailable) == (12, 0, None)
        messages = read_back(broker, 12)
        with sqlite_engine.connect() as connection:
            rows = {row["id"]: row for row in events(connection)}
            assert backlog(connection, NOW)["pending"] == 0
        bodies = [check_against_contract(m.body) for m in messages]
        assert sorted(b["id"] for b in bodies) == sorted(rows)
        assert sequences_by_supplier(bodies) == {s: [1, 2, 3, 4] for s in suppliers}
        for message, body in zip(messages, bodies):
            assert message.properties["message_id"] == body["id"]
            assert message.content_type == CONTENT_TYPE
            assert message.delivery_info["routing_key"] == f"scorecard.published.{body['subject']}"
            assert body["sequence"] == f"{rows[body['id']]['sequence']:020d}"
            assert body["data"] == json.loads(rows[body["id"]]["envelope"])["data"]

    def test_unroutable_event_is_rejected_dead_lettered_and_replayable(self, broker, sqlite_engine):
        bound = broker.queues[0]
        risk_only = broker.model_copy(update={"queues": [QueueBinding(name=bound.name, routing_key="risk.#")]})
        supplier, = random_suppliers(1)
        enqueue_scorecards(sqlite_engine, risk_only, [supplier], 2)
        first = drain_once(sqlite_engine, risk_only)
        assert (first.sent, first.failed, first.dead) == (0, 1, 0)
        with sqlite_engine.connect() as connection:
            rows = events(connection)
        assert [r["attempts"] for r in rows] == [1, 0] and all(r["sent_at"] is None for r in rows)
        assert "unroutable" in rows[0]["last_error"] or "no queue is bound" in rows[0]["last_error"]
        assert drain_once(sqlite_engine, risk_only).failed == 0  # backing off: the supplier's later event waits

        later = NOW + timedelta(hours=1)
        second = drain_once(sqlite_engine, risk_only, later)
        assert second.dead == 1  # max_attempts=2; the next event of the supplier now gets its turn and fails too
        with sqlite_engine.connect() as connection:
            assert [d["sequence"] for d in dead_letters(connection)] == [1]

        with sqlite_engine.begin() as connection:
            assert replay(connection, dead=True) == 1
            replay(connection, event_id=rows[1]["id"])
        fixed = drain_once(sqlite_engine, broker, later)  # the operator bound a queue for scorecards
        assert (fixed.sent, fixed.failed) == (2, 0)
        assert sequences_by_supplier([json.loads(m.body) for m in read_back(broker, 2)]) == {supplier: [1, 2]}

    def test_crash_between_publish_and_mark_sent_redelivers_and_the_consumer_dedupes(self, broker, sqlite_engine,
                                                                                      monkeypatch):
        suppliers = random_suppliers(2)
        enqueue_scorecards(sqlite_engine, broker, suppliers, 3)

        def crash(*_args):
            raise SystemExit("relay killed after the confirm, before the commit")

        monkeypatch.setattr(relay, "mark_sent", crash)
        with pytest.raises(SystemExit):
            drain_once(sqlite_engine, broker)
        monkeypatch.undo()
        with sqlite_engine.connect() as connection:
            assert backlog(connection, NOW)["pending"] == 6
        assert drain_once(sqlite_engine, broker).sent == 6

        messages = read_back(broker, 12)  # the uncommitted batch went out twice
        ids = [m.properties["message_id"] for m in messages]
        assert len(ids) == 12 and len(set(ids)) == 6
        handled: list = []
        reader = consumer(sqlite_engine, broker, handled)
        outcomes = [reader.deliver(m.body, m.properties["message_id"]) for m in messages]
        assert outcomes.count(HANDLED) == 6 and outcomes.count(DUPLICATE) + outcomes.count(STALE) == 6
        assert sequences_by_supplier([json.loads(e.model_dump_json()) for e in handled]) == \
            {s: [1, 2, 3] for s in suppliers}

    def test_consumer_base_reads_what_the_relay_published(self, broker, sqlite_engine):
        suppliers = random_suppliers(2)
        enqueue_scorecards(sqlite_engine, broker, suppliers, 2)
        drain_once(sqlite_engine, broker)
        handled: list = []
        result = consumer(sqlite_engine, broker, handled).run(max_events=4, idle_timeout_s=10)
        assert result.outcomes == {HANDLED: 4}
        assert sorted((e.subject, e.sequence) for e in handled) == sorted(
            (s, f"{n:020d}") for s in suppliers for n in (1, 2))


def test_the_same_exchange_routes_in_each_broker_folder_of_one_process(tmp_path):
    """kombu's filesystem transport keeps its bindings per process; each folder still gets its routing table."""
    for n, folder in enumerate((tmp_path / "first", tmp_path / "second", tmp_path / "first")):
        settings = BrokerSettings(folder=folder)
        if n == 2:
            shutil.rmtree(folder / "control")  # emptied under a running process: declared again
        with Publisher(settings) as publisher:
            assert publisher.publish_many([Outgoing(f"event-{n}", "scorecard.published.0000100001", "{}", "scorecard.published.v1")]) == {f"event-{n}": None}
    assert len(list((tmp_path / "second" / "queues").iterdir())) == len(BrokerSettings().queues)


def test_unreachable_broker_keeps_rows_pending_without_counting_attempts(sqlite_engine, tmp_path):
    broker = broker_settings("amqp://guest:guest@127.0.0.1:9//", tmp_path, connect_timeout_s=1, max_attempts=1)
    enqueue_scorecards(sqlite_engine, broker, random_suppliers(1), 1)
    result = drain_once(sqlite_engine, broker)
    assert (result.sent, result.failed, result.dead) == (0, 1, 0) and "unavailable" in result.unavailable
    with sqlite_engine.connect() as connection:
        assert backlog(connection, NOW)["pending"] == 1
        assert [r["attempts"] for r in events(connection)] == [0]


@pytest.fixture
def proxy(amqp_url):
    parts = urlsplit(amqp_url)
    tcp = TcpProxy(parts.hostname, parts.port or 5672)
    yield tcp, parts._replace(netloc=f"{parts.username}:{parts.password}@127.0.0.1:{tcp.port}").geturl()
    tcp.close()


def test_broker_outage_mid_batch_loses_nothing_and_duplicates_keep_their_id(rabbitmq, proxy, sqlite_engine):
    tcp, proxied_url = proxy
    through_proxy = rabbitmq.model_copy(update={"url": proxied_url})
    suppliers = random_suppliers(20)
    enqueue_scorecards(sqlite_engine, rabbitmq, suppliers, 10)
    with Publisher(through_proxy) as publisher:
        assert publisher.publish_many([]) == {}  # connected and topology declared
        tcp.cut_after(60_000)  # well inside the 200 events (~100 kB)
        outage = drain(sqlite_engine, publisher, through_proxy, lambda: NOW)
        assert outage.unavailable and 0 < outage.sent < 200
        assert drain(sqlite_engine, publisher, through_proxy, lambda: NOW).unavailable  # still down: nothing counted
        tcp.restore()
        recovered = drain(sqlite_engine, publisher, through_proxy, lambda: NOW)
    assert recovered.unavailable is None and outage.sent + recovered.sent == 200
    with sqlite_engine.connect() as connection:
        assert backlog(connection, NOW)["pending"] == 0 and {r["attempts"] for r in events(connection)} == {0}

    messages = read_back(rabbitmq, 200)
    bodies = {}
    for message in messages:
        assert bodies.setdefault(message.properties["message_id"], message.body) == message.body
    assert len(bodies) == 200
    handled: list = []
    reader = consumer(sqlite_engine, rabbitmq, handled)
    outcomes = [reader.deliver(m.body) for m in messages]
    assert outcomes.count(HANDLED) == 200 and set(outcomes) <= {HANDLED, DUPLICATE, STALE}


@pytest.mark.timeout(60)
def test_blocked_broker_hits_the_confirm_timeout_instead_of_hanging(rabbitmq, proxy, sqlite_engine):
    tcp, proxied_url = proxy
    through_proxy = rabbitmq.model_copy(update={"url": proxied_url, "confirm_timeout_s": 1})
    suppliers = random_suppliers(5)
    enqueue_scorecards(sqlite_engine, rabbitmq, suppliers, 1)
    with Publisher(through_proxy) as publisher:
        assert publisher.publish_many([]) == {}
        tcp.freeze()  # the broker stops reading from publishers, as under a memory alarm
        blocked = drain(sqlite_engine, publisher, through_proxy, lambda: NOW)
        assert blocked.sent == 0 and "not confirmed" in blocked.unavailable
        tcp.restore()
        assert drain(sqlite_engine, publisher, through_proxy, lambda: NOW).sent == 5
    assert len({m.properties["message_id"] for m in read_back(rabbitmq, 5)}) == 5


def test_several_relays_on_postgresql_publish_each_row_once_in_supplier_order(rabbitmq, postgres_engine):
    broker = rabbitmq.model_copy(update={"batch_size": 25})
    suppliers = random_suppliers(30)
    enqueue_scorecards(postgres_engine, broker, suppliers, 10)
    results: list = []
    barrier = threading.Barrier(3)

    def relay_process():
        barrier.wait()
        results.append(drain_once(postgres_engine, broker))

    threads = [threading.Thread(target=relay_process) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.sent for r in results) == 300 and not any(r.failed for r in results)
    bodies = [json.loads(m.body) for m in read_back(broker, 300)]
    assert len(bodies) == 300 and len({b["id"] for b in bodies}) == 300
    assert sequences_by_supplier(bodies) == {s: list(range(1, 11)) for s in suppliers}


def test_a_consumer_built_from_the_asyncapi_document_alone_reads_every_event_type(rabbitmq, sqlite_engine):
    """Queues bound by each channel's address; every message checked against the schema its message names,
    and found by a consumer that reads everything and keeps what carries the binding's AMQP `type`."""
    document = yaml.safe_load((CONTRACT / "asyncapi.yaml").read_text())
    supplier, = random_suppliers(1)
    exchange = Exchange(rabbitmq.exchange, type="topic", durable=True)  # the document names `srm.events`
    queues = {name: Queue(f"{rabbitmq.queues[0].name}.{name}", exchange, auto_delete=True,
                          routing_key=re.sub(r"\{\w+\}", "*", channel["address"]))
              for name, channel in document["channels"].items()}
    everything = Queue(f"{rabbitmq.queues[0].name}.everything", exchange, auto_delete=True, routing_key="#")
    with broker_connection(rabbitmq) as connection:
        for queue in [*queues.values(), everything]:
            queue(connection.default_channel).declare()
        with sqlite_engine.begin() as transaction:
            for event_type, data in EXAMPLES.items():
                enqueue(transaction, rabbitmq, event_type, subject_for(event_type, supplier), data, NOW)
        assert drain_once(sqlite_engine, rabbitmq).sent == len(EXAMPLES) == len(queues)
        with connection.SimpleQueue(everything) as simple:
            by_type = {}
            for _ in EXAMPLES:
                message = simple.get(timeout=10)
                message.ack()
                by_type[message.properties.get("type")] = json.loads(message.body)
        for spec in document["components"]["messages"].values():
            assert by_type[spec["bindings"]["amqp"]["messageType"]]["type"] == spec["name"]
        for name, queue in queues.items():
            spec = document["components"]["messages"][name]
            with connection.SimpleQueue(queue) as simple:
                message = simple.get(timeout=10)
                message.ack()
                assert simple.qsize() == 0
            schema = json.loads((CONTRACT / spec["payload"]["schema"]["$ref"]).read_text())
            envelope = json.loads(message.body)
            jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(envelope)
            assert message.content_type == spec["contentType"]
            assert (envelope["type"], envelope["subject"]) == (spec["name"], subject_for(spec["name"], supplier))
            assert message.properties["message_id"] == envelope["id"]
            assert message.properties["type"] == spec["bindings"]["amqp"]["messageType"]


def test_a_short_outage_is_ridden_out_within_one_publish_run(rabbitmq, proxy, sqlite_engine):
    tcp, proxied_url = proxy
    through_proxy = rabbitmq.model_copy(update={"url": proxied_url, "retry_initial_s": 0.5, "outage_attempts": 6,
                                                "connect_timeout_s": 1})
    enqueue_scorecards(sqlite_engine, rabbitmq, random_suppliers(3), 2)
    tcp.cut()
    threading.Timer(1.0, tcp.restore).start()
    with Publisher(through_proxy) as publisher:
        result = relay.drain_patiently(sqlite_engine, publisher, through_proxy, lambda: NOW)
    assert result.sent == 6 and result.failed >= 3 and result.unavailable is None
    assert len({m.properties["message_id"] for m in read_back(rabbitmq, 6)}) == 6
