"""The outbox relay: publish unsent rows in per-supplier order, mark them sent after the confirm."""
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby
from typing import Callable

from sqlalchemy import Engine

from config.settings import BrokerSettings
from store.outbox import mark_failed, mark_sent, pending
from sync.publisher import PublishError, Publisher

log = logging.getLogger("srm_bridge.sync.relay")


@dataclass
class RelayResult:
    sent: int = 0
    failed: int = 0
    dead: int = 0


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(300, 2 ** attempts))


def drain(engine: Engine, publisher: Publisher, settings: BrokerSettings, now: Callable[[], datetime]) -> RelayResult:
    """Publish until nothing is ready; rows stay locked (SKIP LOCKED on PostgreSQL) while in flight."""
    result = RelayResult()
    while True:
        with engine.begin() as connection:
            rows = pending(connection, now(), settings.batch_size)
            if not rows:
                return result
            sent: list[str] = []
            rows.sort(key=lambda row: (row["supplier_id"], row["sequence"]))
            for supplier_id, supplier_rows in groupby(rows, key=lambda row: row["supplier_id"]):
                for row in supplier_rows:
                    try:
                        publisher.publish(row["id"], row["routing_key"], row["envelope"])
                    except PublishError as exc:
                        result.failed += 1
                        dead = mark_failed(connection, row["id"], str(exc), now(), backoff(row["attempts"] + 1),
                                           settings.max_attempts)
                        result.dead += dead
                        log.warning("publish failed", extra={"event_id": row["id"], "supplier": supplier_id,
                                                             "attempts": row["attempts"] + 1, "dead_lettered": dead,
                                                             "error": str(exc)})
                        break  # later events of this supplier wait: order is per supplier
                    sent.append(row["id"])
            mark_sent(connection, sent, now())
            result.sent += len(sent)
            if result.failed:
                return result
