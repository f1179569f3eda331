"""A base for consumers of srm-bridge events: at-least-once in, exactly-once effect out.

Each message is validated against the event models, then handled in one database transaction
together with the consumer's offset for its subject: an event whose `sequence` is not above the
last one handled for that supplier is a duplicate (same `id`) or stale, and is acknowledged
without calling the handler. The message is acknowledged only after that transaction commits,
so a crash in between redelivers it and the offset drops it. A message that is not a valid
event, or that the handler refuses with `Unprocessable`, is quarantined with its reason; a
handler that raises `RetryLater` leaves the message on the queue for a later attempt.

It must not know what a consumer does with an event: that is the handler's business.
"""
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from kombu import Exchange, Queue
from sqlalchemy import Connection, Engine

from config.settings import BrokerSettings, QueueBinding
from domain.events import CloudEvent, parse_event
from domain.records import Rejected
from store.consumers import last_handled, record_handled
from store.sync_state import quarantine_records
from sync.publisher import broker_connection

log = logging.getLogger("srm_bridge.sync.consumer")

Handler = Callable[[Connection, CloudEvent], None]
HANDLED, DUPLICATE, STALE, QUARANTINED = "handled", "duplicate", "stale", "quarantined"


class RetryLater(Exception):
    """The handler could not finish now (its downstream is unavailable): redeliver the message later."""


class Unprocessable(Exception):
    """The handler will never be able to process this event: quarantine it with this reason."""


@dataclass
class ConsumeResult:
    outcomes: dict[str, int] = field(default_factory=dict)

    def count(self, outcome: str) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

    @property
    def total(self) -> int:
        return sum(self.outcomes.values())


class EventConsumer:
    def __init__(self, engine: Engine, broker: BrokerSettings, name: str, handler: Handler,
                 now: Callable[[], datetime], binding: QueueBinding | None = None) -> None:
        self.engine = engine
        self.broker = broker
        self.name = name
        self.handler = handler
        self.now = now
        self.binding = binding or broker.queues[0]

    def deliver(self, body: str | bytes, message_id: str | None = None) -> str:
        """Handle one message body; return its outcome. Raises `RetryLater` from the handler."""
        try:
            event = parse_event(body)
        except ValueError as exc:
            return self._quarantine(message_id, f"not a valid srm-bridge event: {exc}", body)
        sequence = int(event.sequence)
        try:
            with self.engine.begin() as connection:
                last = last_handled(connection, self.name, event.subject)
                if last is not None and sequence <= last[0]:
                    return DUPLICATE if event.id == last[1] or sequence == last[0] else STALE
                self.handler(connection, event)
                record_handled(connection, self.name, event.subject, sequence, event.id, self.now())
        except Unprocessable as exc:
            return self._quarantine(event.id, str(exc), body)
        return HANDLED

    def _quarantine(self, key: str | None, reason: str, body: str | bytes) -> str:
        raw = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
        with self.engine.begin() as connection:
            stream = f"consumer:{self.name}"[:36]
            quarantine_records(connection, stream, stream,
                               [Rejected(key=key or "unknown", reason=reason, raw=raw)], self.now())
        log.error("event quarantined", extra={"consumer": self.name, "event_id": key, "reason": reason})
        return QUARANTINED

    def queue(self) -> Queue:
        exchange = Exchange(self.broker.exchange, type="topic", durable=True)
        return Queue(self.binding.name, exchange, routing_key=self.binding.routing_key, durable=True)

    def run(self, max_events: int | None = None, idle_timeout_s: float | None = None,
            should_stop: Callable[[], bool] = lambda: False) -> ConsumeResult:
        """Consume until `max_events` messages, `idle_timeout_s` without one, or `should_stop()`."""
        result = ConsumeResult()
        wait_s = 1.0 if idle_timeout_s is None else min(1.0, idle_timeout_s)
        idle_s = 0.0
        with broker_connection(self.broker) as connection, connection.SimpleQueue(self.queue()) as queue:
            while not should_stop() and (max_events is None or result.total < max_events):
                try:
                    message = queue.get(block=True, timeout=wait_s)
                except queue.Empty:
                    idle_s += wait_s
                    if idle_timeout_s is not None and idle_s >= idle_timeout_s:
                        break
                    continue
                idle_s = 0.0
                try:
                    outcome = self.deliver(message.body, message.properties.get("message_id"))
                except RetryLater as exc:
                    log.warning("handler asked to retry later; message left on the queue",
                                extra={"consumer": self.name, "error": str(exc)})
                    message.requeue()
                    break
                message.ack()
                result.count(outcome)
        return result
