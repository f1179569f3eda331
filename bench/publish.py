"""Outbox → RabbitMQ with confirms, against a bare kombu `confirm_publish` loop to the same broker; each
side in a process of its own, its envelopes built and its queue declared before its timer starts. At
volume (40,000 events of 1,000 suppliers) and for a backlog five times larger (200,000 events of 5,000
suppliers, its throughput divided by the volume run's: about 1 while draining stays linear) the outbox is
on PostgreSQL, as in production, when SRM_BRIDGE_BENCH_POSTGRES_URL names a server (a database of its own,
dropped at the end), else SQLite."""
import os
import tempfile
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from kombu import Connection, Exchange, Producer, Queue

from bench.harness import Result, StageFailed, alone, measure, with_ratio
from config.settings import BrokerSettings, QueueBinding
from domain.events import CONTENT_TYPE
from domain.scorecards import KpiValues, Scorecard
from store.db import create_engine_for, upgrade
from sync.envelope import build_envelope, enqueue_many
from sync.publisher import Publisher, broker_connection
from sync.relay import drain

NOW = datetime(2026, 7, 1, tzinfo=timezone.utc)
AMQP_VAR, POSTGRES_VAR = "SRM_BRIDGE_BENCH_AMQP_URL", "SRM_BRIDGE_BENCH_POSTGRES_URL"
VOLUME_EVENTS, VOLUME_SUPPLIERS = 40_000, 1_000
BACKLOG_EVENTS, BACKLOG_SUPPLIERS = 200_000, 5_000


def amqp_url() -> str:
    """The broker to measure against; `StageFailed` when it does not answer."""
    url = os.environ.get(AMQP_VAR) or os.environ.get("SRM_BRIDGE_TEST_AMQP_URL") or "amqp://guest:guest@127.0.0.1:5672//"
    try:
        with Connection(url, connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception as exc:  # noqa: BLE001 - any failure means "no broker to measure"
        raise StageFailed(f"publish: no RabbitMQ answers at {url} ({type(exc).__name__}); start it or set "
                          f"{AMQP_VAR}") from None
    return url


def _card(supplier_id: str, n: int) -> Scorecard:
    return Scorecard(supplier_id=supplier_id, supplier_name=f"Supplier {supplier_id}", period=f"2026-{n % 12 + 1:02d}",
                     as_of=NOW.date(), status="final", kpis=KpiValues(otd_pct=90.0, otif_pct=85.0, quality_ppm=420.0),
                     kpi_scores={"otd_pct": 71.4, "otif_pct": 71.4, "quality_ppm": 100.0}, score=80.5, grade="B")


def _broker(url: str) -> BrokerSettings:
    name = uuid.uuid4().hex[:8]
    return BrokerSettings(url=url, exchange=f"srm.events.bench.{name}",
                          queues=[QueueBinding(name=f"srm-bench-{name}", routing_key="#")])


def _drop(settings: BrokerSettings) -> None:
    with broker_connection(settings) as connection:
        channel = connection.channel()
        Queue(settings.queues[0].name, Exchange(settings.exchange, type="topic"))(channel).delete()
        Exchange(settings.exchange, type="topic")(channel).delete()


def bare_confirm_loop(url: str, events: int, suppliers: int) -> Result:
    """Reference: the same envelopes, one kombu publish with confirm_publish each, nothing else; only the
    publishing is timed."""
    settings = _broker(url)
    bodies = [(f"scorecard.published.{s:010d}", build_envelope("scorecard.published.v1", f"{s:010d}", n + 1,
                                                                _card(f"{s:010d}", n), "urn:bench", NOW))
              for n in range(events // suppliers) for s in range(suppliers)]
    try:
        with Connection(url, transport_options={"confirm_publish": True}) as connection:
            channel = connection.channel()
            exchange = Exchange(settings.exchange, type="topic", durable=True)(channel)
            exchange.declare()
            Queue(settings.queues[0].name, exchange, routing_key="#", durable=True)(channel).declare()
            producer = Producer(channel, exchange=exchange)

            def publish_all() -> int:
                for key, envelope in bodies:
                    producer.publish(envelope.model_dump_json(), routing_key=key, content_type=CONTENT_TYPE,
                                     delivery_mode=2, mandatory=True, message_id=envelope.id, retry=False)
                return len(bodies)

            return measure("publish_reference", publish_all)
    finally:
        _drop(settings)


@contextmanager
def outbox_database(postgres: str | None) -> Iterator[str]:
    """A new database for the outbox: on the PostgreSQL server of `postgres`, else a SQLite file."""
    if postgres:
        from bench.enterprise import databases
        with databases(postgres, uuid.uuid4().hex[:8]) as database:
            yield database("publish")
        return
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{Path(folder) / 'outbox.db'}"


def outbox_to_rabbitmq(url: str, events: int, suppliers: int, postgres: str | None = None) -> Result:
    """The relay draining a filled outbox; only the drain is timed (its connection opened before)."""
    settings = _broker(url)
    with outbox_database(postgres) as database:
        engine = create_engine_for(database)
        upgrade(engine)
        with engine.begin() as connection:
            enqueue_many(connection, settings, [("scorecard.published.v1", f"{s:010d}", _card(f"{s:010d}", n))
                                                for n in range(events // suppliers) for s in range(suppliers)], NOW)
        try:
            with Publisher(settings) as publisher:
                publisher.publish_many([])  # connected, confirm mode on, topology declared: before the timer
                return measure("publish_rabbitmq", lambda: drain(engine, publisher, settings, lambda: NOW).sent)
        finally:
            engine.dispose()
            _drop(settings)


def publish_benches(events: int = 5000, suppliers: int = 500) -> list[Result]:
    url = amqp_url()
    reference = alone("publish_reference", "bench.publish:bare_confirm_loop", url, events, suppliers)
    spread = alone("publish_rabbitmq", "bench.publish:outbox_to_rabbitmq", url, events, suppliers)
    # worst case: strict order leaves one message per round trip
    single = alone("publish_rabbitmq_one_supplier", "bench.publish:outbox_to_rabbitmq", url, events // 5, 1)
    volume = alone("publish_rabbitmq_volume", "bench.publish:outbox_to_rabbitmq", url, VOLUME_EVENTS,
                   VOLUME_SUPPLIERS, os.environ.get(POSTGRES_VAR))
    backlog = alone("publish_rabbitmq_backlog", "bench.publish:outbox_to_rabbitmq", url, BACKLOG_EVENTS,
                    BACKLOG_SUPPLIERS, os.environ.get(POSTGRES_VAR))
    return [reference, with_ratio(spread, reference), with_ratio(single, reference), with_ratio(volume, reference),
            with_ratio(backlog, volume)]
