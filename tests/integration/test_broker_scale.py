"""Past one machine on RabbitMQ: quorum queues (`broker.queue_type`) and failover over several broker URLs
(`broker.url` as a list), each publishing through the relay and consuming through a consumer."""
import pytest
from amqp.exceptions import PreconditionFailed
from kombu import Exchange, Queue

from config.settings import BrokerSettings
from sync.consumer import HANDLED
from sync.publisher import broker_connection
from tests.integration.test_publish import consumer, drain_once, enqueue_scorecards
from tests.support.brokers import broker_settings, delete_topology
from tests.support.events import random_suppliers
from tests.support.service import closed_port


@pytest.fixture
def quorum(amqp_url, tmp_path):
    settings = broker_settings(amqp_url, tmp_path, queue_type="quorum")
    yield settings
    delete_topology(settings)


@pytest.fixture
def failover(amqp_url, tmp_path):
    settings = broker_settings([f"amqp://guest:guest@127.0.0.1:{closed_port()}//", amqp_url], tmp_path)
    yield settings
    delete_topology(settings)


def published_and_consumed(engine, broker: BrokerSettings) -> None:
    suppliers = random_suppliers(2)
    enqueue_scorecards(engine, broker, suppliers, 2)
    assert drain_once(engine, broker).sent == 4
    handled: list = []
    assert consumer(engine, broker, handled).run(max_events=4, idle_timeout_s=10).outcomes == {HANDLED: 4}
    assert sorted((e.subject, e.sequence) for e in handled) == sorted(
        (s, f"{n:020d}") for s in suppliers for n in (1, 2))


def test_quorum_queues_are_declared_and_carry_the_events(quorum, sqlite_engine):
    published_and_consumed(sqlite_engine, quorum)
    with broker_connection(quorum) as connection:
        classic = Queue(quorum.queues[0].name, Exchange(quorum.exchange, type="topic"), durable=True)
        with pytest.raises(PreconditionFailed, match="x-queue-type"):
            classic(connection.channel()).declare()


def test_a_dead_first_broker_fails_over_to_the_next(failover, sqlite_engine):
    assert failover.url.count(";") == 1
    published_and_consumed(sqlite_engine, failover)
