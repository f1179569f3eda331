"""The relay's choice of a batch (`store.outbox.pending`) against its definition, on SQLite and PostgreSQL:
every ready row ranked within its supplier by sequence, the first `limit` taken by (rank, created_at,
supplier), a supplier with any row waiting out a backoff left out whole."""
import random
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text

from store.outbox import add_events, events, mark_failed, mark_sent, pending, replay
from store.records import utc
from tests.support.events import NOW, random_suppliers


def fill(engine, backlog: dict[str, list[int]]) -> None:
    """`backlog[supplier]`: the minutes after NOW each of its events was created, in sequence order."""
    with engine.begin() as connection:
        add_events(connection, [
            {"id": str(uuid.uuid4()), "supplier_id": supplier, "sequence": sequence,
             "event_type": "scorecard.published.v1", "routing_key": f"scorecard.published.{supplier}",
             "envelope": f'{{"n": {sequence}}}', "created_at": NOW + timedelta(minutes=minute)}
            for supplier, minutes in backlog.items() for sequence, minute in enumerate(minutes, start=1)])


def by_definition(engine, now, limit: int) -> list[str]:
    with engine.connect() as connection:
        rows = events(connection)
    unsent = [r for r in rows if r["sent_at"] is None and r["dead_at"] is None]
    waiting = {r["supplier_id"] for r in unsent if r["next_attempt_at"] is not None and utc(r["next_attempt_at"]) > now}
    rank: dict[str, int] = {}
    ranked = []
    for row in unsent:  # by supplier, then sequence
        if row["supplier_id"] not in waiting:
            rank[row["supplier_id"]] = rank.get(row["supplier_id"], 0) + 1
            ranked.append((rank[row["supplier_id"]], utc(row["created_at"]), row["supplier_id"], row["id"]))
    return [key[3] for key in sorted(ranked)[:limit]]


def chosen(engine, now, limit: int) -> list[str]:
    with engine.begin() as connection:
        return [row["id"] for row in pending(connection, now, limit)]


def events_of(engine, supplier: str) -> list[str]:
    with engine.connect() as connection:
        return [row["id"] for row in events(connection, supplier)]


def drain_checking_each_batch(engine, now, limit: int) -> int:
    batches = 0
    while expected := by_definition(engine, now, limit):
        assert chosen(engine, now, limit) == expected
        with engine.begin() as connection:
            mark_sent(connection, expected, now)
        batches += 1
    assert chosen(engine, now, limit) == []
    return batches


@pytest.mark.parametrize("limit", [1, 7, 60, 2000])
def test_uneven_backlogs_drain_batch_by_batch_as_defined(engine, limit):
    draw = random.Random(limit)
    backlog = {}
    for supplier in random_suppliers(40):
        start = draw.randrange(0, 50)
        backlog[supplier] = sorted(start + draw.randrange(0, 30) for _ in range(draw.choice([1, 1, 2, 5, 13, 41])))
    fill(engine, backlog)
    total = sum(map(len, backlog.values()))
    assert drain_checking_each_batch(engine, NOW, limit) >= total / limit


def test_a_supplier_waiting_out_a_backoff_is_left_out_whole_until_it_ends(engine):
    early, failing, late = random_suppliers(3)
    fill(engine, {early: [0, 1, 2], failing: [1, 2, 3, 4], late: [5, 6]})
    with engine.begin() as connection:
        head = events(connection, failing)[0]
        mark_failed(connection, head["id"], "rejected", NOW, timedelta(minutes=5), max_attempts=5)
    batch = chosen(engine, NOW, 100)
    assert batch == by_definition(engine, NOW, 100) and len(batch) == 5
    later = NOW + timedelta(minutes=10)
    assert chosen(engine, later, 100) == by_definition(engine, later, 100)
    assert len(chosen(engine, later, 100)) == 9


def test_a_waiting_row_behind_a_replayed_head_holds_its_supplier_back(engine):
    supplier, other = random_suppliers(2)
    fill(engine, {supplier: [0, 1, 2], other: [3]})
    with engine.begin() as connection:
        first, second, _ = events(connection, supplier)
        mark_failed(connection, first["id"], "rejected", NOW, timedelta(minutes=5), max_attempts=1)  # dead
        mark_failed(connection, second["id"], "rejected", NOW, timedelta(minutes=5), max_attempts=5)
        replay(connection, event_id=first["id"])  # pending again; its successor still waits
    assert chosen(engine, NOW, 10) == by_definition(engine, NOW, 10) == [events_of(engine, other)[0]]


def test_the_oldest_head_goes_first_when_fewer_suppliers_fit_than_wait(engine):
    suppliers = random_suppliers(6)
    fill(engine, {supplier: [50 - 10 * n, 60, 70] for n, supplier in enumerate(suppliers)})
    assert chosen(engine, NOW, 3) == [events_of(engine, s)[0] for s in reversed(suppliers[3:])]


def test_rows_come_whole_in_turn_order(engine):
    one, two = random_suppliers(2)
    fill(engine, {one: [1, 2, 3], two: [0, 4]})
    with engine.begin() as connection:
        batch = pending(connection, NOW, 4)
    assert [(row["supplier_id"], row["sequence"]) for row in batch] == [(two, 1), (one, 1), (one, 2), (two, 2)]
    assert batch[0]["envelope"] == '{"n": 1}' and batch[0]["routing_key"] == f"scorecard.published.{two}"


def test_two_relays_on_postgresql_hold_disjoint_suppliers_and_only_those_they_publish(postgres_engine):
    suppliers = random_suppliers(12)
    fill(postgres_engine, {supplier: [n, n + 20] for n, supplier in enumerate(suppliers)})
    with postgres_engine.connect() as first, postgres_engine.connect() as second:
        with first.begin(), second.begin():
            taken = [{row["supplier_id"] for row in pending(relay, NOW, 5)} for relay in (first, second)]
            held = first.execute(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                                      "AND pid = pg_backend_pid()")).scalar()
    assert taken == [set(suppliers[:5]), set(suppliers[5:10])]
    assert held == 5
