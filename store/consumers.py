"""What each consumer has handled (the last sequence and event id per subject), and the handler
failures of the events it has not handled yet."""
from datetime import datetime

from sqlalchemy import Connection, delete, select

from config.masking import mask_url
from store.tables import consumer_attempts, consumer_offsets
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


def failed_attempts(connection: Connection, consumer: str, event_id: str) -> tuple[int, str]:
    """How many handler calls failed on the event so far, and the last error."""
    row = connection.execute(select(consumer_attempts.c.attempts, consumer_attempts.c.last_error).where(
        consumer_attempts.c.consumer == consumer, consumer_attempts.c.event_id == event_id)).first()
    return (0, "") if row is None else (row.attempts, row.last_error)


def record_failure(connection: Connection, consumer: str, event_id: str, error: str, now: datetime) -> int:
    """Count one more failed attempt at the event (its error stored with URL passwords masked); returns the
    count so far."""
    attempts = failed_attempts(connection, consumer, event_id)[0] + 1
    upsert(connection, consumer_attempts, [{"consumer": consumer, "event_id": event_id, "attempts": attempts,
                                            "last_error": mask_url(error), "updated_at": now}], ["consumer", "event_id"])
    return attempts


def forget_failures(connection: Connection, consumer: str, event_ids: list[str]) -> None:
    """The events are settled (handled or quarantined): their failed attempts no longer matter."""
    if event_ids:
        connection.execute(delete(consumer_attempts).where(consumer_attempts.c.consumer == consumer,
                                                           consumer_attempts.c.event_id.in_(event_ids)))
