"""No message stalls a consumer: each poison message is quarantined with its raw bytes and acknowledged,
and the valid event behind it is handled, once; on SQLite and PostgreSQL, through a real broker."""
import uuid

import pytest
from sqlalchemy import select

from config.settings import ConsumerSettings
from store.consumers import record_failure
from store.tables import consumer_attempts, quarantine
from sync.consumer import HANDLED, QUARANTINED, EventConsumer
from tests.support.brokers import broker_settings, delete_topology, put_raw
from tests.support.events import NOW, random_suppliers
from tests.support.poison import POISONS, event_id, poison, valid

LIMITS = ConsumerSettings(max_attempts=3, retry_initial_s=0, max_body_kb=64)


@pytest.fixture
def filesystem(tmp_path):
    return broker_settings("filesystem://", tmp_path)


@pytest.fixture
def rabbitmq(amqp_url, tmp_path):
    settings = broker_settings(amqp_url, tmp_path)
    yield settings
    delete_topology(settings)


def consume(engine, broker, messages: list[bytes], handler=None) -> tuple[dict, list[str]]:
    handled: list[str] = []
    put_raw(broker, [(body, f"m-{n}") for n, body in enumerate(messages)])
    consumer = EventConsumer(engine, broker, f"test-{uuid.uuid4().hex[:8]}",
                             handler or (lambda _connection, event: handled.append(event.id)), lambda: NOW,
                             settings=LIMITS)
    result = consumer.run(max_events=len(messages), idle_timeout_s=10)
    return result.outcomes, handled


def quarantined_bytes(engine) -> list[bytes]:
    with engine.connect() as connection:
        return [bytes(raw) for raw in connection.execute(select(quarantine.c.raw).order_by(quarantine.c.id)).scalars()]


@pytest.mark.parametrize("kind", POISONS)
def test_a_poison_message_is_quarantined_with_its_bytes_and_the_next_event_gets_through(engine, filesystem, kind):
    supplier, other = random_suppliers(2)
    bad, good = poison(kind, supplier), valid(other)
    outcomes, handled = consume(engine, filesystem, [bad, good])
    assert outcomes == {QUARANTINED: 1, HANDLED: 1}
    assert handled == [event_id(good)]
    kept, = quarantined_bytes(engine)
    assert kept == bad[:LIMITS.max_body_kb * 1024]


def test_every_poison_on_rabbitmq_in_one_queue(postgres_engine, rabbitmq):
    suppliers = random_suppliers(2 * len(POISONS))
    goods = [valid(supplier) for supplier in suppliers[:len(POISONS)]]
    bads = [poison(kind, supplier) for kind, supplier in zip(POISONS, suppliers[len(POISONS):])]
    outcomes, handled = consume(postgres_engine, rabbitmq, [m for pair in zip(bads, goods) for m in pair])
    assert outcomes == {QUARANTINED: len(POISONS), HANDLED: len(POISONS)}
    assert len(handled) == len(set(handled)) == len(POISONS)
    assert quarantined_bytes(postgres_engine) == [bad[:LIMITS.max_body_kb * 1024] for bad in bads]


def test_a_failing_handler_is_called_max_attempts_times_then_its_event_is_quarantined(engine, filesystem):
    doomed, fine = random_suppliers(2)
    calls: list[str] = []

    def handler(_connection, event):
        calls.append(event.subject)
        if event.subject == doomed:
            raise RuntimeError("downstream says no")

    outcomes, _ = consume(engine, filesystem, [valid(doomed), valid(fine)], handler)
    assert outcomes == {QUARANTINED: 1, HANDLED: 1}
    assert calls == [doomed] * LIMITS.max_attempts + [fine]
    with engine.connect() as connection:
        assert connection.execute(select(quarantine.c.reason)).scalar() == \
            "the handler failed 3 times (consumer.max_attempts); last: RuntimeError: downstream says no"
        assert connection.execute(select(consumer_attempts)).all() == []  # settled


def test_a_handler_error_is_kept_without_the_passwords_it_quotes(engine, filesystem):
    supplier, = random_suppliers(1)

    def handler(_connection, _event):
        raise RuntimeError("POST https://srm:hunter22@crm.example/api refused")

    consume(engine, filesystem, [valid(supplier)], handler)
    with engine.connect() as connection:
        reason = connection.execute(select(quarantine.c.reason)).scalar()
    assert reason.endswith("last: RuntimeError: POST https://srm:***@crm.example/api refused")


def test_a_redelivered_event_goes_on_counting_the_failures_of_earlier_runs(sqlite_engine, filesystem):
    supplier, = random_suppliers(1)
    calls = []

    def handler(_connection, event):
        calls.append(event.id)
        raise RuntimeError("still broken")

    consumer = EventConsumer(sqlite_engine, filesystem, "test-redelivered", handler, lambda: NOW, settings=LIMITS)
    body = valid(supplier)
    with sqlite_engine.begin() as connection:  # two failures counted before the consumer stopped
        record_failure(connection, "test-redelivered", event_id(body), "RuntimeError: first", NOW)
        record_failure(connection, "test-redelivered", event_id(body), "RuntimeError: second", NOW)
    assert consumer.deliver(body, redelivered=True) == QUARANTINED
    assert calls == [event_id(body)]  # the third and last attempt
