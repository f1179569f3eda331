"""Publish outbox rows with kombu: durable topic exchange, persistent messages, confirms, mandatory.

On AMQP brokers `confirm_publish` makes each publish wait for the broker's ack (bounded by
`confirm_timeout_s`); an unroutable message comes back as basic.return and raises. Virtual
transports (filesystem, memory) have neither, so routability is checked against their binding
table before publishing: an event no queue would receive is an error, never a silent drop.
The filesystem transport orders messages by a millisecond timestamp in the file name, so two
messages in the same millisecond could swap: the publisher lets the millisecond tick first.
"""
import logging
import time
from pathlib import Path

from kombu import Connection, Exchange, Producer, Queue

from config.settings import BrokerSettings
from sync.envelope import CONTENT_TYPE

log = logging.getLogger("srm_bridge.sync.publisher")


class PublishError(Exception):
    """A message was not confirmed by the broker (unreachable, refused, unroutable, timed out)."""


def broker_connection(settings: BrokerSettings) -> Connection:
    if settings.url.startswith("filesystem"):
        folder = Path(settings.folder)
        for part in ("queues", "control", "processed"):
            (folder / part).mkdir(parents=True, exist_ok=True)
        options = {"data_folder_in": str(folder / "queues"), "data_folder_out": str(folder / "queues"),
                   "control_folder": str(folder / "control"), "processed_folder": str(folder / "processed"),
                   "store_processed": False}
        return Connection(settings.url, transport_options=options)
    return Connection(settings.url, connect_timeout=settings.connect_timeout_s,
                      transport_options={"confirm_publish": True})


class Publisher:
    def __init__(self, settings: BrokerSettings) -> None:
        self.settings = settings
        self.connection = broker_connection(settings)
        self.exchange = Exchange(settings.exchange, type="topic", durable=True)
        self.producer: Producer | None = None
        self.millisecond_files = settings.url.startswith("filesystem")
        self.last_publish_ms = 0

    def __enter__(self) -> "Publisher":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self.producer = None
        self.connection.release()

    def _ready(self) -> Producer:
        if self.producer is None:
            try:
                self.connection.ensure_connection(max_retries=1, timeout=self.settings.connect_timeout_s)
                channel = self.connection.default_channel
                self.exchange(channel).declare()
                for binding in self.settings.queues:
                    Queue(binding.name, self.exchange, routing_key=binding.routing_key, durable=True)(channel).declare()
                self.producer = Producer(channel, exchange=self.exchange)
            except Exception as exc:  # kombu surfaces transport errors of many kinds
                self._reset()
                raise PublishError(f"broker {self.connection.as_uri()} unavailable: {exc}") from exc
        return self.producer

    def _reset(self) -> None:
        self.producer = None
        try:
            self.connection.close()
        except Exception:  # noqa: BLE001 - closing a broken connection may fail again; nothing to save
            log.debug("closing a broken broker connection failed", exc_info=True)
        self.connection = broker_connection(self.settings)

    def _routable(self, producer: Producer, routing_key: str) -> bool:
        channel = producer.channel
        if not hasattr(channel, "get_table"):
            return True
        table = channel.get_table(self.exchange.name)
        return bool(channel.typeof(self.exchange.name).lookup(table, self.exchange.name, routing_key, None))

    def publish(self, event_id: str, routing_key: str, envelope: str) -> None:
        """Return only once the broker has the message; raise `PublishError` otherwise."""
        producer = self._ready()
        if not self._routable(producer, routing_key):
            raise PublishError(f"no queue is bound for routing key {routing_key} on {self.exchange.name}")
        if self.millisecond_files:
            while round(time.monotonic() * 1000) <= self.last_publish_ms:
                time.sleep(0.0002)
            self.last_publish_ms = round(time.monotonic() * 1000)
        try:
            producer.publish(envelope, routing_key=routing_key, content_type=CONTENT_TYPE, content_encoding="utf-8",
                             delivery_mode=2, mandatory=True, message_id=event_id, retry=False,
                             timeout=self.settings.confirm_timeout_s, confirm_timeout=self.settings.confirm_timeout_s)
        except Exception as exc:  # any failure means "not confirmed": the row stays unsent
            self._reset()
            raise PublishError(f"publishing {event_id} failed: {type(exc).__name__}: {exc}") from exc
