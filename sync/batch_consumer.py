"""A consumer for handlers that write in bulk: up to `batch_size` messages at a time, the same checks,
offsets, attempts and quarantine as `sync.consumer.EventConsumer`."""
import logging
from datetime import datetime
from typing import Callable

from sqlalchemy import Connection, Engine

from config.settings import BrokerSettings, ConsumerSettings, QueueBinding
from domain.events import CloudEvent
from store.consumers import last_handled, record_handled
from sync.consumer import HANDLED, QUARANTINED, ConsumeResult, EventConsumer, Incoming, RetryLater, already_handled
from sync.publisher import broker_connection

log = logging.getLogger("srm_bridge.sync.consumer")


BatchHandler = Callable[[Connection, list[CloudEvent]], dict[str, str | None]]


class BatchConsumer(EventConsumer):
    """Takes up to `batch_size` messages at a time for handlers that write in bulk (sObject Collections).

    The handler gets the new events (duplicates and stale ones already dropped) and returns, per
    event id, None when done or the reason it finally failed: those are dead-lettered to the
    quarantine. Offsets and quarantine entries commit together, then every message is acked. When
    the handler raises for a batch, its events are taken again one at a time, each with its own
    attempts, so one event it chokes on holds up no other.
    """

    def __init__(self, engine: Engine, broker: BrokerSettings, name: str, handle_batch: BatchHandler,
                 now: Callable[[], datetime], binding: QueueBinding, batch_size: int,
                 settings: ConsumerSettings | None = None) -> None:
        super().__init__(engine, broker, name, lambda _connection, _event: None, now, binding, settings)
        self.handle_batch, self.batch_size = handle_batch, batch_size

    def deliver_batch(self, messages: list[Incoming]) -> ConsumeResult:
        """Handle the messages; raises `RetryLater` from the handler with nothing recorded."""
        result, fresh = ConsumeResult(), []
        for incoming in messages:
            event = self.check(incoming)
            if event is None:
                result.count(QUARANTINED)
            else:
                fresh.append((event, incoming))
        try:
            outcomes = self._handle_batch(fresh)
        except RetryLater:
            raise
        except Exception:  # noqa: BLE001 - which event it chokes on is found one at a time, below
            log.warning("batch handler failed; taking its events one at a time", exc_info=True,
                        extra={"consumer": self.name, "events": len(fresh)})
            outcomes = {event.id: self.attempt(event, incoming, lambda pair=(event, incoming): self._handle_batch(
                [pair])[pair[0].id]) for event, incoming in fresh}
        for outcome in outcomes.values():
            result.count(outcome)
        return result

    def _handle_batch(self, events: list[tuple[CloudEvent, Incoming]]) -> dict[str, str]:
        """Each event's outcome; handled events and their offsets, and dead letters, in one transaction."""
        outcomes: dict[str, str] = {}
        bodies = {event.id: incoming.body for event, incoming in events}
        with self.engine.begin() as connection:
            latest: dict[str, tuple[int, str]] = {}
            new = []
            for event, _ in sorted(events, key=lambda pair: (pair[0].subject, int(pair[0].sequence))):
                skipped = already_handled(event, latest.get(event.subject) or
                                          last_handled(connection, self.name, event.subject))
                if skipped:
                    outcomes[event.id] = skipped
                    continue
                latest[event.subject] = (int(event.sequence), event.id)
                new.append(event)
            failed = self.handle_batch(connection, new) if new else {}
            self._dead_letter(connection, [(event.id, f"dead-lettered: {failed[event.id]}", bodies[event.id])
                                           for event in new if failed.get(event.id)])
            for subject, (sequence, event_id) in latest.items():
                record_handled(connection, self.name, subject, sequence, event_id, self.now())
        outcomes.update({event.id: QUARANTINED if failed.get(event.id) else HANDLED for event in new})
        return outcomes

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
                    batch = self.deliver_batch([Incoming.of(m) for m in messages])
                except RetryLater as exc:
                    log.warning("handler asked to retry later; messages left on the queue",
                                extra={"consumer": self.name, "messages": len(messages), "error": str(exc)})
                    for message in messages:
                        message.requeue()
                    break
                for message in messages:
                    message.ack()
                total.add(batch)
        return total
