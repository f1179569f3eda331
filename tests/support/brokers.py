"""Brokers for tests and benchmarks: an exchange and queue of their own on a shared RabbitMQ (or in a
folder of their own), removed afterwards, and raw messages put on them as any producer could."""
import time
import uuid
from pathlib import Path

from kombu import Exchange, Queue

from config.settings import BrokerSettings, QueueBinding
from domain.events import CONTENT_TYPE
from sync.publisher import broker_connection, declare_topology


def broker_settings(url: str, folder: Path, **overrides) -> BrokerSettings:
    name = uuid.uuid4().hex[:10]
    options = {"url": url, "folder": folder / "broker", "exchange": f"srm.events.test.{name}",
               "queues": [QueueBinding(name=f"srm-test-{name}", routing_key="#")], "max_attempts": 2,
               "confirm_timeout_s": 5, "connect_timeout_s": 5, **overrides}
    return BrokerSettings(**options)


def delete_topology(settings: BrokerSettings) -> None:
    with broker_connection(settings) as connection:
        channel = connection.channel()
        for binding in settings.queues:
            Queue(binding.name, Exchange(settings.exchange, type="topic"), binding.routing_key)(channel).delete()
        Exchange(settings.exchange, type="topic")(channel).delete()


def put_raw(settings: BrokerSettings, messages: list[tuple[bytes, str]]) -> None:
    """(body, message id) pairs onto the exchange, in order, whatever the bytes are."""
    with broker_connection(settings) as connection:
        exchange = declare_topology(connection, settings)
        producer = connection.Producer(exchange=exchange)
        for number, (body, message_id) in enumerate(messages):
            if number and settings.url.startswith("filesystem"):
                time.sleep(0.002)  # the filesystem transport orders its files by their millisecond, then at random
            producer.publish(body, routing_key="scorecard.published.raw", content_type=CONTENT_TYPE,
                             content_encoding="binary", delivery_mode=2, message_id=message_id)
