"""The outbox relay: publish unsent rows in per-supplier order, mark them sent after the confirm.

A batch is published in waves: wave k holds the k-th pending event of every supplier in the
batch, so a wave is confirmed in one round trip while a supplier's later event never leaves
before its earlier one is confirmed. A rejected message counts an attempt (dead-lettered after
`max_attempts`) and holds back that supplier's later events; an unavailable broker counts
nothing: the rows wait for the next drain.
"""
import logging
import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import Connection, Engine
from tenacity import Retrying, retry_if_result, stop_after_attempt, wait_exponential, wait_random

from config.settings import BrokerSettings
from store.outbox import mark_failed, mark_sent, pending
from sync.publisher import BrokerUnavailable, Outgoing, Publisher

log = logging.getLogger("srm_bridge.sync.relay")


@dataclass
class RelayResult:
    sent: int = 0
    failed: int = 0
    dead: int = 0
    unavailable: str | None = None


    def add(self, other: "RelayResult") -> None:
        self.sent, self.failed, self.dead = self.sent + other.sent, self.failed + other.failed, self.dead + other.dead
        self.unavailable = other.unavailable


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(300, 2 ** attempts))


def drain(engine: Engine, publisher: Publisher, settings: BrokerSettings, now: Callable[[], datetime],
          stop: threading.Event | None = None) -> RelayResult:
    """Publish until nothing is ready, the broker is unavailable, or `stop` is set (checked between batches)."""
    result = RelayResult()
    while result.unavailable is None and not (stop and stop.is_set()):
        with engine.begin() as connection:
            rows = pending(connection, now(), settings.batch_size)
            if not rows:
                break
            _relay_batch(connection, publisher, settings, rows, now, result)
    if result.unavailable:
        log.warning("broker unavailable; events wait for the next drain",
                    extra={"error": result.unavailable, "sent": result.sent})
    return result


def drain_patiently(engine: Engine, publisher: Publisher, settings: BrokerSettings,
                    now: Callable[[], datetime]) -> RelayResult:
    """Drain; while the broker is unavailable, drain again after a jittered backoff, `outage_attempts` in all."""
    total = RelayResult()

    def attempt() -> RelayResult:
        result = drain(engine, publisher, settings, now)
        total.add(result)
        return result

    Retrying(retry=retry_if_result(lambda result: result.unavailable is not None),
             wait=wait_exponential(multiplier=settings.retry_initial_s, max=30) + wait_random(0, settings.retry_initial_s),
             stop=stop_after_attempt(settings.outage_attempts), retry_error_callback=lambda state: state.outcome.result(),
             )(attempt)
    return total


def _relay_batch(connection: Connection, publisher: Publisher, settings: BrokerSettings, rows: list[dict],
                 now: Callable[[], datetime], result: RelayResult) -> None:
    queues: dict[str, deque] = {}
    for row in sorted(rows, key=lambda r: (r["supplier_id"], r["sequence"])):
        queues.setdefault(row["supplier_id"], deque()).append(row)
    sent: list[str] = []
    while queues and result.unavailable is None:
        wave = [queue.popleft() for queue in queues.values()]
        try:
            outcomes = publisher.publish_many([Outgoing(r["id"], r["routing_key"], r["envelope"], r["event_type"]) for r in wave])
        except BrokerUnavailable as exc:
            outcomes = {r["id"]: exc for r in wave}
        for row in wave:
            error = outcomes[row["id"]]
            if error is None:
                sent.append(row["id"])
                continue
            result.failed += 1
            queues.pop(row["supplier_id"])
            if isinstance(error, BrokerUnavailable):
                result.unavailable = str(error)
                continue
            dead = mark_failed(connection, row["id"], str(error), now(), backoff(row["attempts"] + 1),
                               settings.max_attempts)
            result.dead += dead
            log.warning("event rejected by the broker", extra={
                "event_id": row["id"], "supplier": row["supplier_id"], "event_type": row["event_type"],
                "attempts": row["attempts"] + 1, "dead_lettered": dead, "error": str(error)})
        queues = {supplier: queue for supplier, queue in queues.items() if queue}
    mark_sent(connection, sent, now())
    result.sent += len(sent)
