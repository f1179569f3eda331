"""One publisher contract, run on the filesystem transport and on RabbitMQ, with a real consumer."""
import json
import uuid
from datetime import datetime, timezone

import pytest
from kombu import Exchange, Queue

from config.settings import BrokerSettings, QueueBinding
from store.outbox import backlog, events
from sync.envelope import CONTENT_TYPE, enqueue
from sync.publisher import Publisher, broker_connection
from sync.relay import drain

NOW = datetime(2026, 7, 1, tzinfo=timezone.utc)


@pytest.fixture(params=["filesystem", "rabbitmq"])
def broker(request, tmp_path):
    url = "filesystem://" if request.param == "filesystem" else request.getfixturevalue("amqp_url")
    name = uuid.uuid4().hex[:10]
    settings = BrokerSettings(url=url, folder=tmp_path / "broker", exchange=f"srm.events.test.{name}",
                              queues=[QueueBinding(name=f"srm-test-{name}", routing_key="#")], max_attempts=2,
                              confirm_timeout_s=5)
    yield settings
    with broker_connection(settings) as connection:
        channel = connection.channel()
        for binding in settings.queues:
            Queue(binding.name, Exchange(settings.exchange, type="topic"), binding.routing_key)(channel).delete()
        Exchange(settings.exchange, type="topic")(channel).delete()


def read_back(settings: BrokerSettings, expected: int) -> list:
    received = []
    with broker_connection(settings) as connection:
        queue = Queue(settings.queues[0].name, Exchange(settings.exchange, type="topic"), settings.queues[0].routing_key)
        with connection.SimpleQueue(queue) as simple:
            while len(received) < expected:
                message = simple.get(timeout=5)
                received.append(message)
                message.ack()
    return received


class TestPublisherContract:
    def test_exactly_the_outbox_rows_arrive_in_supplier_order(self, broker, sqlite_engine):
        with sqlite_engine.begin() as connection:
            for n in range(3):
                for supplier in ("0000100002", "0000100001"):
                    enqueue(connection, broker, "scorecard.published.v1", supplier, {"n": n}, NOW)
        with Publisher(broker) as publisher:
            result = drain(sqlite_engine, publisher, broker, lambda: NOW)
        assert (result.sent, result.failed) == (6, 0)
        messages = read_back(broker, 6)
        with sqlite_engine.connect() as connection:
            rows = {row["id"]: row for row in events(connection)}
            assert backlog(connection, NOW)["pending"] == 0
        bodies = [json.loads(m.body) for m in messages]
        assert {b["id"] for b in bodies} == set(rows)
        for supplier in ("0000100001", "0000100002"):
            assert [b["sequence"] for b in bodies if b["subject"] == supplier] == [1, 2, 3]
        for message, body in zip(messages, bodies):
            assert message.properties["message_id"] == body["id"]
            assert message.content_type == CONTENT_TYPE
            assert message.delivery_info["routing_key"] == f"scorecard.published.{body['subject']}"
            assert body["specversion"] == "1.0" and body["type"] == "scorecard.published.v1"

    def test_unroutable_event_is_an_error_not_a_silent_drop(self, broker, sqlite_engine):
        broker = broker.model_copy(update={"queues": [QueueBinding(name=broker.queues[0].name, routing_key="risk.#")]})
        with sqlite_engine.begin() as connection:
            enqueue(connection, broker, "scorecard.published.v1", "0000100001", {}, NOW)
            enqueue(connection, broker, "scorecard.published.v1", "0000100001", {}, NOW)
        with Publisher(broker) as publisher:
            result = drain(sqlite_engine, publisher, broker, lambda: NOW)
        assert (result.sent, result.failed) == (0, 1)
        with sqlite_engine.connect() as connection:
            rows = events(connection)
        assert [r["attempts"] for r in rows] == [1, 0] and all(r["sent_at"] is None for r in rows)
        assert "routing key" in rows[0]["last_error"] or "NO_ROUTE" in rows[0]["last_error"]


def test_unreachable_broker_keeps_rows_unsent(sqlite_engine):
    broker = BrokerSettings(url="amqp://guest:guest@127.0.0.1:9//", connect_timeout_s=1, max_attempts=1)
    with sqlite_engine.begin() as connection:
        enqueue(connection, broker, "scorecard.published.v1", "0000100001", {}, NOW)
    with Publisher(broker) as publisher:
        result = drain(sqlite_engine, publisher, broker, lambda: NOW)
    assert (result.sent, result.failed, result.dead) == (0, 1, 1)
    with sqlite_engine.connect() as connection:
        assert backlog(connection, NOW) == {"pending": 0, "sent": 0, "dead": 1, "oldest_pending_age_s": None}
