"""A consumer draining a queue with 1 % poison messages, against the same consumer on the same queue
without them, each in a process of its own; every valid event must be handled exactly once and every
poison one quarantined."""
import os
import tempfile
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from bench.harness import Result, alone, measure, with_ratio
from config.settings import BrokerSettings, ConsumerSettings
from store.db import create_engine_for, upgrade
from store.tables import quarantine
from sync.consumer import HANDLED, QUARANTINED, EventConsumer
from tests.support.brokers import broker_settings, delete_topology, put_raw
from tests.support.events import NOW
from tests.support.poison import POISONS, event_id, poison, valid

AMQP_VAR = "SRM_BRIDGE_BENCH_AMQP_URL"
REFUSED = "0999999999"  # events of this supplier make the handler fail every time: quarantined after its attempts
LIMITS = ConsumerSettings(max_attempts=3, retry_initial_s=0, max_body_kb=64)


def queue_of(events: int, poison_share: float) -> tuple[list[bytes], set[str], int]:
    """Messages (each valid event for its own supplier, so order cannot make one stale), the valid ids, and how
    many are poison: malformed in every way the consumer checks, and events its handler always fails on."""
    kinds = [*POISONS, "a handler failure"]
    every = round(1 / poison_share) if poison_share else events + 1
    messages, valid_ids, poisoned = [], set(), 0
    for n in range(events):
        supplier = f"{n:010d}"
        if n % every == every - 1:
            kind = kinds[poisoned % len(kinds)]
            messages.append(valid(REFUSED, n + 1) if kind == "a handler failure" else poison(kind, supplier))
            poisoned += 1
        else:
            messages.append(body := valid(supplier))
            valid_ids.add(event_id(body))
    return messages, valid_ids, poisoned


def drain(broker: BrokerSettings, folder: Path, name: str, events: int, poison_share: float) -> Result:
    """Fill the queue (not timed), then time the consumer emptying it and check what it did."""
    messages, valid_ids, poisoned = queue_of(events, poison_share)
    put_raw(broker, [(body, f"m-{n}") for n, body in enumerate(messages)])
    engine = create_engine_for(f"sqlite:///{folder / f'{name}.db'}")
    upgrade(engine)
    calls: Counter[str] = Counter()

    def handler(_connection, event) -> None:  # noqa: ANN001 - a consumer handler
        if event.subject == REFUSED:
            raise RuntimeError("this supplier is refused downstream")
        calls[event.id] += 1

    consumer = EventConsumer(engine, broker, f"bench-{name}", handler, lambda: NOW, settings=LIMITS)
    outcomes: dict[str, int] = {}

    def run() -> int:
        outcomes.update(consumer.run(max_events=events, idle_timeout_s=30).outcomes)
        return sum(outcomes.values())

    result = measure(name, run)
    with engine.connect() as connection:
        kept = connection.execute(select(func.count()).select_from(quarantine)).scalar()
    engine.dispose()
    twice = [key for key, count in calls.items() if count != 1]
    if set(calls) != valid_ids or twice or outcomes.get(HANDLED) != len(valid_ids) \
            or outcomes.get(QUARANTINED, 0) != poisoned or kept != poisoned:
        raise SystemExit(f"{name}: {len(set(calls))} of {len(valid_ids)} valid events handled, {len(twice)} not once, "
                         f"outcomes {outcomes}, {kept} of {poisoned} poison messages quarantined")
    return result


def drain_alone(url: str, name: str, events: int, poison_share: float) -> Result:
    """`drain` on a queue and in a folder of its own, removed afterwards."""
    with tempfile.TemporaryDirectory() as folder:
        broker = broker_settings(url, Path(folder) / name)
        try:
            return drain(broker, Path(folder), name, events, poison_share)
        finally:
            delete_topology(broker)


def on(url: str, suffix: str, events: int) -> list[Result]:
    reference, poisoned = (alone(name, "bench.consumer:drain_alone", url, name, events, share)
                           for name, share in ((f"consumer_clean{suffix}", 0.0), (f"consumer_poison{suffix}", 0.01)))
    return [reference, with_ratio(poisoned, reference)]


def consumer_poison_benches(events: int = 10_000) -> list[Result]:
    """On the filesystem transport, and on RabbitMQ when SRM_BRIDGE_BENCH_AMQP_URL names one."""
    results = on("filesystem://", "", events)
    if os.environ.get(AMQP_VAR):
        results += on(os.environ[AMQP_VAR], "_rabbitmq", events)
    else:
        print(f"consumer_poison on RabbitMQ skipped: set {AMQP_VAR}")
    return results

