"""The consumer base: duplicates and stale events skipped, bad messages quarantined, handler failures kept."""
import pytest

from config.settings import BrokerSettings
from store.sync_state import quarantined
from sync.consumer import DUPLICATE, HANDLED, QUARANTINED, STALE, EventConsumer, RetryLater, Unprocessable
from sync.envelope import build_envelope
from tests.support.events import NOW, random_suppliers, scorecard


def body(supplier: str, sequence: int) -> str:
    return build_envelope("scorecard.published.v1", supplier, sequence, scorecard(supplier, sequence), "urn:test",
                          NOW).model_dump_json()


def make_consumer(engine, handler) -> EventConsumer:
    return EventConsumer(engine, BrokerSettings(), "test", handler, lambda: NOW)


def test_only_newer_events_per_subject_reach_the_handler(sqlite_engine):
    handled = []
    consumer = make_consumer(sqlite_engine, lambda _c, event: handled.append((event.subject, int(event.sequence))))
    first, second = random_suppliers(2)
    one, two, three = body(first, 1), body(first, 2), body(first, 3)
    outcomes = [consumer.deliver(b) for b in (one, three, three, two, body(second, 1))]
    assert outcomes == [HANDLED, HANDLED, DUPLICATE, STALE, HANDLED]
    assert handled == [(first, 1), (first, 3), (second, 1)]


def test_invalid_messages_and_refused_events_are_quarantined_with_their_reason(sqlite_engine):
    def refuse(_connection, event):
        raise Unprocessable(f"no account for supplier {event.subject}")

    consumer = make_consumer(sqlite_engine, refuse)
    supplier, = random_suppliers(1)
    assert consumer.deliver(b"{not json", "m-1") == QUARANTINED
    assert consumer.deliver(body(supplier, 1).replace('"sequence":"', '"sequence":"x'), "m-2") == QUARANTINED
    assert consumer.deliver(body(supplier, 1)) == QUARANTINED
    with sqlite_engine.connect() as connection:
        rows = quarantined(connection)
    reasons = [row["reason"] for row in reversed(rows)]
    assert "not a valid srm-bridge event" in reasons[0] and "sequence" in reasons[1]
    assert reasons[2] == f"no account for supplier {supplier}"
    assert {row["stream"] for row in rows} == {"consumer:test"} and rows[-1]["raw"] == "{not json"


def test_a_handler_that_asks_to_retry_changes_nothing(sqlite_engine):
    calls = []

    def flaky(_connection, event):
        calls.append(event.id)
        if len(calls) == 1:
            raise RetryLater("downstream unavailable")

    consumer = make_consumer(sqlite_engine, flaky)
    supplier, = random_suppliers(1)
    message = body(supplier, 1)
    with pytest.raises(RetryLater):
        consumer.deliver(message)
    assert consumer.deliver(message) == HANDLED and len(calls) == 2
