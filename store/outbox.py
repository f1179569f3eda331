"""The transactional outbox: events written with the change, relayed in per-supplier order."""
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, func, select, update

from store.records import utc
from store.tables import outbox, supplier_sequences
from store.upsert import upsert


def next_sequence(connection: Connection, supplier_id: str) -> int:
    """Per-supplier sequence, allocated in the caller's transaction (row-locked on PostgreSQL)."""
    query = select(supplier_sequences.c.last_sequence).where(supplier_sequences.c.supplier_id == supplier_id)
    if connection.dialect.name == "postgresql":
        query = query.with_for_update()
    current = connection.execute(query).scalar() or 0
    upsert(connection, supplier_sequences, [{"supplier_id": supplier_id, "last_sequence": current + 1}], ["supplier_id"])
    return current + 1


def add_event(connection: Connection, *, event_id: str, supplier_id: str, sequence: int, event_type: str,
              routing_key: str, envelope: str, now: datetime) -> None:
    connection.execute(outbox.insert().values(
        id=event_id, supplier_id=supplier_id, sequence=sequence, event_type=event_type, routing_key=routing_key,
        envelope=envelope, created_at=now, attempts=0))


def pending(connection: Connection, now: datetime, limit: int) -> list[dict]:
    """The oldest unsent rows, at most one blocked head per supplier: later rows wait for earlier ones."""
    blocked = select(outbox.c.supplier_id).where(
        outbox.c.sent_at.is_(None), outbox.c.dead_at.is_(None), outbox.c.next_attempt_at > now)
    dead = select(outbox.c.supplier_id).where(outbox.c.dead_at.is_not(None), outbox.c.sent_at.is_(None))
    query = (select(outbox).where(outbox.c.sent_at.is_(None), outbox.c.dead_at.is_(None),
                                  outbox.c.supplier_id.not_in(blocked), outbox.c.supplier_id.not_in(dead))
             .order_by(outbox.c.created_at, outbox.c.supplier_id, outbox.c.sequence).limit(limit))
    if connection.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return [dict(row) for row in connection.execute(query).mappings()]


def mark_sent(connection: Connection, event_ids: list[str], now: datetime) -> None:
    if event_ids:
        connection.execute(update(outbox).where(outbox.c.id.in_(event_ids)).values(sent_at=now, last_error=None))


def mark_failed(connection: Connection, event_id: str, error: str, now: datetime, retry_in: timedelta,
                max_attempts: int) -> bool:
    """Count a failed attempt; dead-letter the row after `max_attempts`. Returns True when dead-lettered."""
    attempts = connection.execute(select(outbox.c.attempts).where(outbox.c.id == event_id)).scalar_one() + 1
    dead = attempts >= max_attempts
    connection.execute(update(outbox).where(outbox.c.id == event_id).values(
        attempts=attempts, last_error=error[:2000], next_attempt_at=now + retry_in, dead_at=now if dead else None))
    return dead


def backlog(connection: Connection, now: datetime) -> dict:
    unsent = and_(outbox.c.sent_at.is_(None), outbox.c.dead_at.is_(None))
    count, oldest = connection.execute(select(func.count(), func.min(outbox.c.created_at)).where(unsent)).one()
    dead = connection.execute(select(func.count()).where(outbox.c.dead_at.is_not(None), outbox.c.sent_at.is_(None))).scalar()
    sent = connection.execute(select(func.count()).where(outbox.c.sent_at.is_not(None))).scalar()
    oldest = utc(oldest)
    return {"pending": count, "sent": sent, "dead": dead,
            "oldest_pending_age_s": None if oldest is None else round((now - oldest).total_seconds(), 1)}


def events(connection: Connection, supplier_id: str | None = None) -> list[dict]:
    query = select(outbox).order_by(outbox.c.supplier_id, outbox.c.sequence)
    if supplier_id:
        query = query.where(outbox.c.supplier_id == supplier_id)
    return [dict(row) for row in connection.execute(query).mappings()]


