"""The transactional outbox: events written with the change, relayed in per-supplier order."""
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, func, select, update

from config.masking import mask_url
from store.records import utc
from store.tables import outbox, supplier_sequences
from store.upsert import insert_rows, upsert


def next_sequences(connection: Connection, counts: dict[str, int]) -> dict[str, int]:
    """Reserve `counts[supplier]` sequence numbers per supplier in the caller's transaction (row-locked on
    PostgreSQL); return the first number reserved for each."""
    if not counts:
        return {}
    query = select(supplier_sequences.c.supplier_id, supplier_sequences.c.last_sequence).where(
        supplier_sequences.c.supplier_id.in_(list(counts)))
    if connection.dialect.name == "postgresql":
        query = query.with_for_update()
    current = {supplier: last for supplier, last in connection.execute(query)}
    upsert(connection, supplier_sequences, [
        {"supplier_id": supplier, "last_sequence": current.get(supplier, 0) + count}
        for supplier, count in sorted(counts.items())], ["supplier_id"])
    return {supplier: current.get(supplier, 0) + 1 for supplier in counts}


def add_events(connection: Connection, rows: list[dict]) -> None:
    insert_rows(connection, outbox, [{**row, "attempts": 0} for row in rows])


OUTBOX_LOCK_SPACE = 0x53524D42  # first key of the PostgreSQL advisory locks the relay takes per supplier


def _unsent():
    return and_(outbox.c.sent_at.is_(None), outbox.c.dead_at.is_(None))


def pending(connection: Connection, now: datetime, limit: int) -> list[dict]:
    """Up to `limit` unsent rows: each supplier's earliest first, then its next, and so on.

    A supplier whose head row is waiting out a backoff is left out whole, and a supplier's rows
    are always a prefix of its unsent events, so order per supplier holds. On PostgreSQL the
    relay holds a transaction-scoped advisory lock per supplier while it publishes, so several
    relays share the work and never publish one supplier's events concurrently. Rows are ranked and
    chosen by their keys alone; only the chosen ones are read whole (envelopes are large).
    """
    waiting = select(outbox.c.supplier_id).where(_unsent(), outbox.c.next_attempt_at > now)
    ready = and_(_unsent(), outbox.c.supplier_id.not_in(waiting))
    if connection.dialect.name == "postgresql":
        oldest_first = (select(outbox.c.supplier_id).where(ready).group_by(outbox.c.supplier_id)
                        .order_by(func.min(outbox.c.created_at)).subquery())
        locked = select(oldest_first.c.supplier_id).where(func.pg_try_advisory_xact_lock(
            OUTBOX_LOCK_SPACE, func.hashtext(oldest_first.c.supplier_id))).limit(limit)
        ready = and_(ready, outbox.c.supplier_id.in_(list(connection.execute(locked).scalars())))
    rank = func.row_number().over(partition_by=outbox.c.supplier_id, order_by=outbox.c.sequence).label("rank")
    ranked = select(outbox.c.id, outbox.c.supplier_id, outbox.c.created_at, rank).where(ready).subquery()
    chosen = select(ranked).order_by(ranked.c.rank, ranked.c.created_at, ranked.c.supplier_id).limit(limit).subquery()
    query = select(outbox).join(chosen, chosen.c.id == outbox.c.id).order_by(
        chosen.c.rank, chosen.c.created_at, chosen.c.supplier_id)
    return [dict(row) for row in connection.execute(query).mappings()]


def mark_sent(connection: Connection, event_ids: list[str], now: datetime) -> None:
    if event_ids:
        connection.execute(update(outbox).where(outbox.c.id.in_(event_ids)).values(sent_at=now, last_error=None))


def mark_failed(connection: Connection, event_id: str, error: str, now: datetime, retry_in: timedelta,
                max_attempts: int) -> bool:
    """Count a failed attempt (its error stored with URL passwords masked); dead-letter the row after
    `max_attempts`. Returns True when dead-lettered."""
    attempts = connection.execute(select(outbox.c.attempts).where(outbox.c.id == event_id)).scalar_one() + 1
    dead = attempts >= max_attempts
    connection.execute(update(outbox).where(outbox.c.id == event_id).values(
        attempts=attempts, last_error=mask_url(error)[:2000], next_attempt_at=now + retry_in, dead_at=now if dead else None))
    return dead


def backlog(connection: Connection, now: datetime) -> dict:
    count, oldest = connection.execute(select(func.count(), func.min(outbox.c.created_at)).where(_unsent())).one()
    dead = connection.execute(select(func.count()).where(outbox.c.dead_at.is_not(None), outbox.c.sent_at.is_(None))).scalar()
    sent = connection.execute(select(func.count()).where(outbox.c.sent_at.is_not(None))).scalar()
    oldest = utc(oldest)
    return {"pending": count, "sent": sent, "dead": dead,
            "oldest_pending_age_s": None if oldest is None else round((now - oldest).total_seconds(), 1)}


def dead_letters(connection: Connection, limit: int = 200) -> list[dict]:
    query = (select(outbox.c.id, outbox.c.supplier_id, outbox.c.sequence, outbox.c.event_type, outbox.c.attempts,
                    outbox.c.created_at, outbox.c.dead_at, outbox.c.last_error)
             .where(outbox.c.dead_at.is_not(None), outbox.c.sent_at.is_(None))
             .order_by(outbox.c.dead_at).limit(limit))
    return [dict(row) for row in connection.execute(query).mappings()]


def replay(connection: Connection, *, since: datetime | None = None, event_id: str | None = None,
           dead: bool = False) -> int:
    """Make rows pending again, unchanged: the relay republishes them with the same ids and sequences."""
    if since is not None:
        which = outbox.c.created_at >= since
    elif event_id is not None:
        which = outbox.c.id == event_id
    elif dead:
        which = and_(outbox.c.dead_at.is_not(None), outbox.c.sent_at.is_(None))
    else:
        raise ValueError("say what to replay: since, event_id or dead")
    return connection.execute(update(outbox).where(which).values(
        sent_at=None, dead_at=None, attempts=0, next_attempt_at=None, last_error=None)).rowcount


def events(connection: Connection, supplier_id: str | None = None) -> list[dict]:
    query = select(outbox).order_by(outbox.c.supplier_id, outbox.c.sequence)
    if supplier_id:
        query = query.where(outbox.c.supplier_id == supplier_id)
    return [dict(row) for row in connection.execute(query).mappings()]
