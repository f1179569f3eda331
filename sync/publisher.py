"""Publish outbox rows with kombu: durable topic exchange, persistent messages, confirms, mandatory.

On RabbitMQ the channel is put in confirm mode and a batch of messages is published before
waiting for the broker's acks (one round trip per batch, not per message); the wait after the
last message is bounded by `confirm_timeout_s` (however large the batch), and each socket write
by the same limit, so a broker that blocks publishers (memory or disk alarm) or a dead link
turns into an error, never a hang. `mandatory` makes an
unroutable message come back as basic.return: it is rejected, not silently dropped.

Virtual transports (the filesystem default) have neither confirms nor returns, so routability
is checked against their binding table before publishing. The filesystem transport orders
messages by a millisecond timestamp in the file name, so the publisher lets the millisecond
tick between two messages of the same supplier (the only order that matters).

Outcomes per message: confirmed (None), `MessageRejected` (this message will not be taken as it
is: count an attempt), `BrokerUnavailable` (nothing is known about it: publish it again later).
"""
import logging
import os
import shutil
import socket
import tempfile
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from queue import Empty

from kombu import Connection, Exchange, Producer, Queue
from kombu.transport import filesystem, virtual
from kombu.utils.encoding import bytes_to_str
from kombu.utils.json import loads

from config.settings import BrokerSettings, QueueBinding
from domain.events import CONTENT_TYPE

log = logging.getLogger("srm_bridge.sync.publisher")


class PublishError(Exception):
    """A message was not confirmed by the broker."""


class BrokerUnavailable(PublishError):
    """Unreachable, connection lost, or no confirm within the timeout: retry later, count nothing."""


class MessageRejected(PublishError):
    """The broker refused this message (unroutable, nacked): an attempt that counts towards dead-lettering."""


@dataclass(frozen=True)
class Outgoing:
    event_id: str
    routing_key: str
    envelope: str
    event_type: str  # the CloudEvents type, also the AMQP `type` property consumers may filter on


def is_virtual(settings: BrokerSettings) -> bool:
    return settings.url.startswith(("filesystem", "memory"))


class FolderChannel(filesystem.Channel):
    """kombu's filesystem channel, listing the queue folder once for many messages, not once for each.

    kombu lists and sorts the whole folder for every message it takes, so draining n messages costs n²;
    here the sorted names are kept and the folder listed again only when they are used up. A message
    written after the listing is newer than every listed one of its supplier (one relay writes a
    supplier's messages one after the other), so the order that matters is kept.
    """

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003 - kombu's signature
        super().__init__(*args, **kwargs)
        self._listed: dict[str, deque[str]] = {}

    def _get(self, queue: str) -> dict:
        listed = self._listed.setdefault(queue, deque())
        if not listed:
            suffix = f"{queue}.msg"
            listed.extend(sorted(name for name in os.listdir(self.data_folder_in) if name.partition(".")[2] == suffix))
        while listed:
            taken = Path(self.processed_folder if self.store_processed else tempfile.gettempdir()) / listed.popleft()
            try:
                shutil.move(Path(self.data_folder_in) / taken.name, taken)
            except OSError:
                continue  # another consumer took it
            payload = taken.read_bytes()
            if not self.store_processed:
                taken.unlink()
            return loads(bytes_to_str(payload))
        raise Empty()


class FolderTransport(filesystem.Transport):
    """kombu's filesystem transport with its broker state (exchanges, bindings) per connection, and
    `FolderChannel`.

    kombu keeps that state once per process and writes an exchange's routing table into the control
    folder only for a binding new to the process: a second broker folder in one process, or a control
    folder emptied under a running service, would get no table, and every message would be unroutable.
    """

    Channel = FolderChannel

    def __init__(self, client, **kwargs) -> None:  # noqa: ANN001, ANN003 - kombu's signature
        super().__init__(client, **kwargs)
        self.state = virtual.BrokerState()


def broker_connection(settings: BrokerSettings) -> Connection:
    if settings.url.startswith("filesystem"):
        folder = Path(settings.folder)
        for part in ("queues", "control", "processed"):
            (folder / part).mkdir(parents=True, exist_ok=True)
        options = {"data_folder_in": str(folder / "queues"), "data_folder_out": str(folder / "queues"),
                   "control_folder": str(folder / "control"), "processed_folder": str(folder / "processed"),
                   "store_processed": False}
        return Connection(settings.url, transport=FolderTransport, transport_options=options)
    return Connection(settings.url, connect_timeout=settings.connect_timeout_s,
                      transport_options={"read_timeout": settings.confirm_timeout_s,
                                         "write_timeout": settings.confirm_timeout_s})


def connect(connection: Connection, settings: BrokerSettings) -> None:
    """One try at each configured broker in turn (failover URLs), each within `connect_timeout_s`."""
    brokers = max(1, len(connection.alt))
    connection.ensure_connection(max_retries=brokers - 1, timeout=settings.connect_timeout_s * brokers)


def declared_queue(settings: BrokerSettings, binding: QueueBinding) -> Queue:
    """A configured queue as it is declared: durable, bound to the topic exchange, of `broker.queue_type`."""
    arguments = {"x-queue-type": "quorum"} if settings.queue_type == "quorum" else None
    return Queue(binding.name, Exchange(settings.exchange, type="topic", durable=True),
                 routing_key=binding.routing_key, durable=True, queue_arguments=arguments)


def declare_topology(connection: Connection, settings: BrokerSettings) -> Exchange:
    """The durable topic exchange and the configured queues bound to it."""
    channel = connection.default_channel
    exchange = Exchange(settings.exchange, type="topic", durable=True)
    exchange(channel).declare()
    for binding in settings.queues:
        declared_queue(settings, binding)(channel).declare()
    return exchange


class Publisher:
    def __init__(self, settings: BrokerSettings) -> None:
        self.settings = settings
        self.virtual = is_virtual(settings)
        self.connection = broker_connection(settings)
        self.producer: Producer | None = None
        self.exchange = Exchange(settings.exchange, type="topic", durable=True)
        self.last_ms_by_supplier: dict[str, int] = {}
        self.opened_ms = round(time.monotonic() * 1000)  # after anything an earlier publisher stamped
        self._tag = 0
        self._in_flight: dict[int, str] = {}
        self._outcomes: dict[str, PublishError | None] = {}

    def __enter__(self) -> "Publisher":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self.producer = None
        self.connection.release()

    def publish_many(self, messages: list[Outgoing]) -> dict[str, PublishError | None]:
        """Publish in order; return each message's outcome (None = confirmed by the broker)."""
        producer = self._ready()
        if self.virtual:
            return self._publish_virtual(producer, messages)
        return self._publish_confirmed(producer, messages)

    def _ready(self) -> Producer:
        if self.producer is None:
            try:
                # one try: the relay owns the retry policy (tenacity backoff across drains)
                connect(self.connection, self.settings)
                self.exchange = declare_topology(self.connection, self.settings)
                channel = self.connection.default_channel
                if not self.virtual:
                    channel.confirm_select()
                    channel.events["basic_ack"].add(self._on_ack)
                    channel.events["basic_nack"].add(self._on_nack)
                    channel.events["basic_return"].add(self._on_return)
                    self._tag = 0
                self.producer = Producer(channel, exchange=self.exchange)
            except Exception as exc:  # kombu surfaces transport errors of many kinds
                self._reset()
                raise BrokerUnavailable(f"broker {self.connection.as_uri()} unavailable: {exc}") from exc
        return self.producer

    def _reset(self) -> None:
        """Drop the connection without the close handshake, which a blocked broker would never answer."""
        self.producer = None
        try:
            self.connection.collect()
        except Exception:  # noqa: BLE001 - tearing down a broken connection may fail again; nothing to save
            log.debug("dropping a broken broker connection failed", exc_info=True)
        self.connection = broker_connection(self.settings)

    def _send(self, producer: Producer, message: Outgoing) -> None:
        producer.publish(message.envelope, routing_key=message.routing_key, content_type=CONTENT_TYPE,
                         content_encoding="utf-8", delivery_mode=2, mandatory=True, message_id=message.event_id,
                         type=message.event_type, retry=False)

    def _publish_virtual(self, producer: Producer, messages: list[Outgoing]) -> dict[str, PublishError | None]:
        channel = producer.channel
        lookup = channel.typeof(self.exchange.name).lookup
        outcomes: dict[str, PublishError | None] = {}
        for index, message in enumerate(messages):
            if not lookup(channel.get_table(self.exchange.name), self.exchange.name, message.routing_key, None):
                outcomes[message.event_id] = MessageRejected(
                    f"no queue is bound for routing key {message.routing_key} on {self.exchange.name}")
                continue
            supplier = message.routing_key.rsplit(".", 1)[-1]
            while round(time.monotonic() * 1000) <= self.last_ms_by_supplier.get(supplier, self.opened_ms):
                time.sleep(0.0002)
            try:
                self._send(producer, message)
                self.last_ms_by_supplier[supplier] = round(time.monotonic() * 1000)  # not before kombu's stamp
            except Exception as exc:  # the folder became unwritable: the rest waits
                self._reset()
                error = BrokerUnavailable(f"publishing {message.event_id} failed: {type(exc).__name__}: {exc}")
                outcomes.update({m.event_id: error for m in messages[index:]})
                break
            outcomes[message.event_id] = None
        return outcomes

    def _publish_confirmed(self, producer: Producer, messages: list[Outgoing]) -> dict[str, PublishError | None]:
        self._outcomes = {}
        try:
            for message in messages:
                self._send(producer, message)
                self._tag += 1
                self._in_flight[self._tag] = message.event_id
            deadline = time.monotonic() + self.settings.confirm_timeout_s  # writes have their own limit
            while self._in_flight:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise socket.timeout(f"no confirm within {self.settings.confirm_timeout_s}s")
                self.connection.drain_events(timeout=remaining)
        except Exception as exc:  # timeout, lost connection, blocked socket: unconfirmed messages are unknown
            error = BrokerUnavailable(f"{len(self._in_flight) or len(messages)} message(s) not confirmed: "
                                      f"{type(exc).__name__}: {exc}")
            self._in_flight.clear()
            self._reset()
            return {m.event_id: self._outcomes.get(m.event_id, error) for m in messages}
        return {m.event_id: self._outcomes[m.event_id] for m in messages}

    def _settle(self, delivery_tag: int, multiple: bool, error: PublishError | None) -> None:
        tags = [t for t in self._in_flight if t <= delivery_tag] if multiple else [delivery_tag]
        for tag in tags:
            event_id = self._in_flight.pop(tag, None)
            if event_id is not None:
                self._outcomes.setdefault(event_id, error)

    def _on_ack(self, delivery_tag: int, multiple: bool) -> None:
        self._settle(delivery_tag, multiple, None)

    def _on_nack(self, delivery_tag: int, multiple: bool) -> None:
        self._settle(delivery_tag, multiple, MessageRejected("the broker nacked the message"))

    def _on_return(self, exc: Exception, exchange: str, routing_key: str, message: object) -> None:
        """basic.return precedes the ack of the same message: record the rejection first."""
        event_id = message.properties.get("message_id")
        self._outcomes[event_id] = MessageRejected(f"unroutable: no queue bound for {routing_key} on {exchange} ({exc})")


def probe_broker(settings: BrokerSettings) -> None:
    """Connect once and let go; raise `BrokerUnavailable` (naming the broker, password masked) when that fails."""
    connection = broker_connection(settings)
    try:
        connect(connection, settings)
    except Exception as exc:  # kombu surfaces transport errors of many kinds
        raise BrokerUnavailable(f"broker {connection.as_uri()} unavailable: {exc}") from exc
    finally:
        connection.release()
