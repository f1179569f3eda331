"""The transactional outbox: events written with the change, relayed in per-supplier order."""
from datetime import datetime, timedelta
from itertools import chain, groupby
from operator import itemgetter

from sqlalchemy import Connection, and_, func, literal_column, or_, select, update

from config.masking import mask_url
from store.lookup import among
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
    """Up to `limit` unsent rows: each supplier's earliest first, then its next, and so on; suppliers
    whose head row is oldest (then by id) go first.

    A supplier with a row waiting out a backoff is left out whole, and a supplier's rows are always
    a prefix of its unsent events, so order per supplier holds. On PostgreSQL the relay holds a
    transaction-scoped advisory lock per supplier while it publishes, so several relays share the
    work and never publish one supplier's events concurrently. A call walks the index of unsent rows
    (two probes per supplier with a backlog, a few per chosen row) instead of ranking the backlog;
    only the chosen rows are read whole (envelopes are large).
    """
    heads = _ready_heads(connection, now, limit)
    if not heads:
        return []
    ids = _batch(connection, now, heads, limit)
    rows = {row["id"]: dict(row) for row in connection.execute(
        select(outbox).where(among(connection, outbox.c.id, ids))).mappings()}
    return [rows[event_id] for event_id in ids]


def _unsent_after(column, supplier_id, sequence=None):
    """A supplier's first unsent row's `column` (after `sequence`), from the index of unsent rows."""
    query = select(column).where(_unsent(), outbox.c.supplier_id == supplier_id)
    if sequence is not None:
        query = query.where(outbox.c.sequence > sequence)
    return query.order_by(outbox.c.sequence).limit(1).scalar_subquery()


def _ready_heads(connection: Connection, now: datetime, limit: int) -> list[str]:
    """The head row ids of up to `limit` suppliers with unsent rows and none waiting, oldest head first;
    on PostgreSQL only suppliers whose advisory lock this transaction got."""
    def next_supplier(after=None):
        query = select(outbox.c.supplier_id).where(_unsent())
        if after is not None:
            query = query.where(outbox.c.supplier_id > after)
        return query.order_by(outbox.c.supplier_id).limit(1).scalar_subquery()

    walk = select(next_supplier().label("supplier_id")).cte("suppliers", recursive=True)
    walk = walk.union_all(select(next_supplier(walk.c.supplier_id)).where(walk.c.supplier_id.is_not(None)))
    waiting = select(outbox.c.supplier_id).where(_unsent(), outbox.c.next_attempt_at > now)
    head_at = _unsent_after(outbox.c.created_at, walk.c.supplier_id)
    ready = (select(walk.c.supplier_id).where(walk.c.supplier_id.is_not(None), walk.c.supplier_id.not_in(waiting))
             .order_by(head_at, walk.c.supplier_id))
    if connection.dialect.name == "postgresql":
        # materialized, so the lock is tried in this order and only until `limit` are held
        ready = ready.cte("ready").prefix_with("MATERIALIZED")
        ready = select(ready.c.supplier_id).where(func.pg_try_advisory_xact_lock(
            OUTBOX_LOCK_SPACE, func.hashtext(ready.c.supplier_id))).limit(limit).subquery()
    else:
        ready = ready.limit(limit).subquery()
    head_ids = select(_unsent_after(outbox.c.id, ready.c.supplier_id)).select_from(ready)
    return list(connection.execute(head_ids).scalars())


def _batch(connection: Connection, now: datetime, head_ids: list[str], limit: int) -> list[str]:
    """The ids of the first `limit` rows in turn order (a supplier's k-th unsent row in turn k; within a
    turn oldest first, then by supplier) among the suppliers whose head rows are `head_ids`.

    Each pass reads the first `depth` rows of every supplier not yet read to its end. Every row of the
    turns read so far is then in hand, so once they number `limit` the first `limit` are among them."""
    read: dict[str, list] = {}
    depth, walking = -(-limit // len(head_ids)), head_ids
    while walking:
        for supplier_id, rows in groupby(_first_rows(connection, now, walking, depth), key=itemgetter(2)):
            read[supplier_id] = list(rows)
        if sum(map(len, read.values())) >= limit:
            break
        walking, depth = [rows[0][3] for rows in read.values() if len(rows) == depth], depth * 2
    return [row[3] for row in sorted(chain.from_iterable(read.values()))[:limit]]


def _first_rows(connection: Connection, now: datetime, head_ids: list[str], depth: int) -> list[tuple]:
    """(turn, created_at, supplier_id, id) of up to `depth` unsent rows of each supplier from its head row,
    ordered by supplier and turn. A head sent, or failed and waiting, since it was chosen reads nothing."""
    walk = (select(outbox.c.supplier_id, outbox.c.sequence, literal_column("1").label("turn"))
            .where(among(connection, outbox.c.id, head_ids),
                   func.coalesce(outbox.c.sent_at, outbox.c.dead_at).is_(None),  # unsent; one term: looked up by id
                   or_(outbox.c.next_attempt_at.is_(None), outbox.c.next_attempt_at <= now))
            .cte("turns", recursive=True))
    following = _unsent_after(outbox.c.sequence, walk.c.supplier_id, walk.c.sequence)
    walk = walk.union_all(select(walk.c.supplier_id, following, walk.c.turn + 1)
                          .where(walk.c.sequence.is_not(None), walk.c.turn < depth))

    def of_row(column):  # per row, not a join: PostgreSQL would hash the whole outbox for a few rows
        return (select(column).where(outbox.c.supplier_id == walk.c.supplier_id, outbox.c.sequence == walk.c.sequence)
                .scalar_subquery())

    query = (select(walk.c.turn, of_row(outbox.c.created_at), walk.c.supplier_id, of_row(outbox.c.id))
             .where(walk.c.sequence.is_not(None)).order_by(walk.c.supplier_id, walk.c.turn))
    return [tuple(row) for row in connection.execute(query)]


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
