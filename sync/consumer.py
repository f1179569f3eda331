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


def already_handled(event: CloudEvent, last: tuple[int, str] | None) -> str | None:
    """DUPLICATE or STALE when `last` (sequence, id) is at or beyond the event; None when it is new."""
    sequence = int(event.sequence)
    if last is None or sequence > last[0]:
        return None
    return DUPLICATE if event.id == last[1] or sequence == last[0] else STALE


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
        try:
            with self.engine.begin() as connection:
                skipped = already_handled(event, last_handled(connection, self.name, event.subject))
                if skipped:
                    return skipped
                self.handler(connection, event)
                record_handled(connection, self.name, event.subject, int(event.sequence), event.id, self.now())
        except Unprocessable as exc:
            return self._quarantine(event.id, str(exc), body)
        return HANDLED

    def _quarantine(self, key: str | None, reason: str, body: str | bytes) -> str:
        with self.engine.begin() as connection:
            self._dead_letter(connection, [(key, reason, body)])
        return QUARANTINED

    def _dead_letter(self, connection: Connection, failures: list[tuple[str | None, str, str | bytes]]) -> None:
        """(event id, reason, message body) into the quarantine, under this consumer's name."""
        stream = f"consumer:{self.name}"[:36]
        quarantine_records(connection, stream, stream, [
            Rejected(key=key or "unknown", reason=reason,
                     raw=body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body)
            for key, reason, body in failures], self.now())
        for key, reason, _ in failures:
            log.error("event quarantined", extra={"consumer": self.name, "event_id": key, "reason": reason})

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


BatchHandler = Callable[[Connection, list[CloudEvent]], dict[str, str | None]]


class BatchConsumer(EventConsumer):
    """Takes up to `batch_size` messages at a time for handlers that write in bulk (sObject Collections).

    The handler gets the new events (duplicates and stale ones already dropped) and returns, per
    event id, None when done or the reason it finally failed: those are dead-lettered to the
    quarantine. Offsets and quarantine entries commit together, then every message is acked.
    """

    def __init__(self, engine: Engine, broker: BrokerSettings, name: str, handle_batch: BatchHandler,
                 now: Callable[[], datetime], binding: QueueBinding, batch_size: int) -> None:
        super().__init__(engine, broker, name, lambda _connection, _event: None, now, binding)
        self.handle_batch, self.batch_size = handle_batch, batch_size

    def deliver_batch(self, messages: list[tuple[str | bytes, str | None]]) -> ConsumeResult:
        """Handle (body, message id) pairs; raises `RetryLater` from the handler with nothing recorded."""
        result, fresh = ConsumeResult(), []
        for body, message_id in messages:
            try:
                fresh.append((parse_event(body), body))
            except ValueError as exc:
                result.count(self._quarantine(message_id, f"not a valid srm-bridge event: {exc}", body))
        fresh.sort(key=lambda pair: (pair[0].subject, int(pair[0].sequence)))
        with self.engine.begin() as connection:
            latest: dict[str, tuple[int, str]] = {}
            new = []
            for event, body in fresh:
                skipped = already_handled(event, latest.get(event.subject) or
                                          last_handled(connection, self.name, event.subject))
                if skipped:
                    result.count(skipped)
                    continue
                latest[event.subject] = (int(event.sequence), event.id)
                new.append((event, body))
            outcomes = self.handle_batch(connection, [event for event, _ in new]) if new else {}
            self._dead_letter(connection, [(event.id, f"dead-lettered: {outcomes[event.id]}", body)
                                           for event, body in new if outcomes.get(event.id)])
            for subject, (sequence, event_id) in latest.items():
                record_handled(connection, self.name, subject, sequence, event_id, self.now())
        for event, _ in new:
            result.count(QUARANTINED if outcomes.get(event.id) else HANDLED)
        return result

    def run(self, max_events: int | None = None, idle_timeout_s: float | None = None,
            should_stop: Callable[[], bool] = lambda: False) -> ConsumeResult:
        total = ConsumeResult()
        idle_s = 0.0
        with broker_connection(self.broker) as connection, connection.SimpleQueue(self.queue()) as queue:
            while not should_stop() and (max_events is None or total.total < max_events):
                messages = []
                while len(messages) < self.batch_size and (max_events is None or total.total + len(messages) < max_events):
                    try:
                        messages.append(queue.get(block=True, timeout=0.5 if messages else 1.0))
                    except queue.Empty:
                        break
                if not messages:
                    idle_s += 1.0
                    if idle_timeout_s is not None and idle_s >= idle_timeout_s:
                        break
                    continue
                idle_s = 0.0
                try:
                    batch = self.deliver_batch([(m.body, m.properties.get("message_id")) for m in messages])
                except RetryLater as exc:
                    log.warning("handler asked to retry later; messages left on the queue",
                                extra={"consumer": self.name, "messages": len(messages), "error": str(exc)})
                    for message in messages:
                        message.requeue()
                    break
                for message in messages:
                    message.ack()
                for outcome, count in batch.outcomes.items():
                    total.outcomes[outcome] = total.outcomes.get(outcome, 0) + count
        return total
