"""A base for consumers of srm-bridge events: at-least-once in, exactly-once effect out, and no message
that can stall the queue.

Each message is checked first (its size, that it decodes as an event of a known type, the sizes of its
id, subject and sequence) so that nothing the handler or the offsets could choke on ever reaches them:
a message that fails is quarantined with its reason and its raw bytes, then acknowledged. A valid event
is handled in one database transaction together with the consumer's offset for its subject: an event
whose `sequence` is not above the last one handled for that supplier is a duplicate (same `id`) or stale,
and is acknowledged without calling the handler. The message is acknowledged only after that transaction
commits, so a crash in between redelivers it and the offset drops it.

A handler that raises is called again, after a growing wait, until it has failed `consumer.max_attempts`
times (the failures are counted in the database, so a restarted consumer goes on counting), then the
event is quarantined with the last error and acknowledged. A handler that refuses an event with
`Unprocessable` has it quarantined at once; one that raises `RetryLater` (its downstream is unavailable,
which is no fault of the message) leaves the message on the queue for a later run, uncounted.

It must not know what a consumer does with an event: that is the handler's business.
"""
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from kombu import Queue
from sqlalchemy import Connection, Engine

from config.masking import mask_url
from config.settings import BrokerSettings, ConsumerSettings, QueueBinding
from domain.events import CloudEvent, parse_event
from domain.records import Rejected
from store.consumers import failed_attempts, forget_failures, last_handled, record_failure, record_handled
from store.sync_state import quarantine_records
from sync.publisher import broker_connection, declared_queue

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

    def count(self, outcome: str, times: int = 1) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + times

    def add(self, other: "ConsumeResult") -> None:
        for outcome, times in other.outcomes.items():
            self.count(outcome, times)

    @property
    def total(self) -> int:
        return sum(self.outcomes.values())


@dataclass(frozen=True)
class Incoming:
    """One message as the broker delivered it."""

    body: bytes
    message_id: str | None = None
    redelivered: bool = False  # delivered before without an acknowledgement: earlier failures may be stored

    @classmethod
    def of(cls, message) -> "Incoming":  # noqa: ANN001 - a kombu message
        body = message.body if isinstance(message.body, bytes) else str(message.body).encode("utf-8", "surrogatepass")
        return cls(body, message.properties.get("message_id"), bool(message.delivery_info.get("redelivered")))


class EventConsumer:
    def __init__(self, engine: Engine, broker: BrokerSettings, name: str, handler: Handler,
                 now: Callable[[], datetime], binding: QueueBinding | None = None,
                 settings: ConsumerSettings | None = None) -> None:
        self.engine = engine
        self.broker = broker
        self.name = name
        self.handler = handler
        self.now = now
        self.binding = binding or broker.queues[0]
        self.settings = settings or ConsumerSettings()

    def deliver(self, body: str | bytes, message_id: str | None = None, redelivered: bool = False) -> str:
        """Handle one message body; return its outcome. Raises `RetryLater` from the handler."""
        incoming = Incoming(body.encode("utf-8") if isinstance(body, str) else body, message_id, redelivered)
        event = self.check(incoming)
        if event is None:
            return QUARANTINED
        return self.attempt(event, incoming, lambda: self._handle(event))

    def check(self, incoming: Incoming) -> CloudEvent | None:
        """The message as an event, or None once it is quarantined for what is wrong with it."""
        limit = self.settings.max_body_kb * 1024
        if len(incoming.body) > limit:
            self._quarantine(incoming.message_id, f"message of {len(incoming.body)} bytes is over consumer.max_body_kb "
                             f"({self.settings.max_body_kb}); its first {limit} bytes are kept", incoming.body[:limit])
            return None
        try:
            return parse_event(incoming.body)
        except ValueError as exc:
            self._quarantine(incoming.message_id, f"not a valid srm-bridge event: {exc}", incoming.body)
            return None

    def attempt(self, event: CloudEvent, incoming: Incoming, work: Callable[[], str]) -> str:
        """`work()` until it gives an outcome or has failed `max_attempts` times in all (then: quarantined)."""
        failures, error = self._failures_before(event.id) if incoming.redelivered else (0, "")
        while failures < self.settings.max_attempts:
            try:
                outcome = work()
            except Unprocessable as exc:
                return self._quarantine(event.id, str(exc), incoming.body, settled=failures > 0)
            except RetryLater:
                raise
            except Exception as exc:  # noqa: BLE001 - any other handler failure is an attempt that counts
                error = mask_url(f"{type(exc).__name__}: {exc}")
                failures = self._count_failure(event.id, error)
                log.warning("handler failed", exc_info=True, extra={
                    "consumer": self.name, "event_id": event.id, "attempt": failures,
                    "max_attempts": self.settings.max_attempts})
                if failures < self.settings.max_attempts:
                    time.sleep(self.settings.retry_initial_s * 2 ** (failures - 1))
                continue
            if failures:
                self._forget_failures(event.id)
            return outcome
        return self._quarantine(event.id, f"the handler failed {failures} times (consumer.max_attempts); last: {error}",
                                incoming.body, settled=True)

    def _handle(self, event: CloudEvent) -> str:
        with self.engine.begin() as connection:
            skipped = already_handled(event, last_handled(connection, self.name, event.subject))
            if skipped:
                return skipped
            self.handler(connection, event)
            record_handled(connection, self.name, event.subject, int(event.sequence), event.id, self.now())
        return HANDLED

    def _failures_before(self, event_id: str) -> tuple[int, str]:
        with self.engine.connect() as connection:
            return failed_attempts(connection, self.name, event_id)

    def _forget_failures(self, event_id: str) -> None:
        with self.engine.begin() as connection:
            forget_failures(connection, self.name, [event_id])

    def _count_failure(self, event_id: str, error: str) -> int:
        with self.engine.begin() as connection:
            return record_failure(connection, self.name, event_id, error, self.now())

    def _quarantine(self, key: str | None, reason: str, body: bytes, settled: bool = False) -> str:
        """Quarantine one message; `settled`: its counted failures go with it."""
        with self.engine.begin() as connection:
            self._dead_letter(connection, [(key, reason, body)])
            if settled and key:
                forget_failures(connection, self.name, [key])
        return QUARANTINED

    def _dead_letter(self, connection: Connection, failures: list[tuple[str | None, str, bytes]]) -> None:
        """(event id, reason, message body) into the quarantine, under this consumer's name."""
        stream = f"consumer:{self.name}"[:36]
        quarantine_records(connection, stream, stream,
                           [Rejected(key=key or "unknown", reason=reason, raw=body) for key, reason, body in failures],
                           self.now())
        for key, reason, _ in failures:
            log.error("event quarantined", extra={"consumer": self.name, "event_id": key, "reason": reason})

    def queue(self) -> Queue:
        return declared_queue(self.broker, self.binding)

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
                incoming = Incoming.of(message)
                try:
                    outcome = self.deliver(incoming.body, incoming.message_id, incoming.redelivered)
                except RetryLater as exc:
                    log.warning("handler asked to retry later; message left on the queue",
                                extra={"consumer": self.name, "error": str(exc)})
                    message.requeue()
                    break
                message.ack()
                result.count(outcome)
        return result

