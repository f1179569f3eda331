"""What each consumer has handled: the last sequence and event id per subject."""
from datetime import datetime

from sqlalchemy import Connection, select

from store.tables import consumer_offsets
from store.upsert import upsert


def last_handled(connection: Connection, consumer: str, subject: str) -> tuple[int, str] | None:
    """(sequence, event id) of the last event handled; row-locked on PostgreSQL until the caller commits."""
    query = select(consumer_offsets.c.last_sequence, consumer_offsets.c.last_event_id).where(
        consumer_offsets.c.consumer == consumer, consumer_offsets.c.subject == subject)
    if connection.dialect.name == "postgresql":
        query = query.with_for_update()
    row = connection.execute(query).first()
    return None if row is None else (row.last_sequence, row.last_event_id)


def record_handled(connection: Connection, consumer: str, subject: str, sequence: int, event_id: str,
                   now: datetime) -> None:
    upsert(connection, consumer_offsets, [{"consumer": consumer, "subject": subject, "last_sequence": sequence,
                                           "last_event_id": event_id, "updated_at": now}], ["consumer", "subject"])
