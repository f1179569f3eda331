"""What incremental scoring keeps between runs: touched supplier-months, other changed inputs, each month's tally,
and the basis of the last run."""
import sys
from array import array
from dataclasses import fields
from datetime import date, datetime
from decimal import Decimal
from operator import attrgetter
from typing import Iterable, Sequence

from sqlalchemy import Connection, Table, delete, exists, or_, select, tuple_, update

from domain.scorecards import Tally
from store.lookup import among
from store.tables import dirty_suppliers, input_changes, scoring_state, supplier_contexts, tallies
from store.upsert import insert_rows, upsert

TallyKey = tuple[str, str]  # supplier, month
Touched = dict[str, set[str] | None]  # supplier → the months its changes touched (None: every month)
CLEAR_CHUNK = 5000  # ids per DELETE, well under every driver's bind-parameter limit
CLEAR_RUNS = 500  # runs of consecutive ids per DELETE: two bound values each
MARKS_CHUNK = 10000  # marks fetched at a time


def mark_dirty(connection: Connection, marks: Iterable[tuple[str, str]]) -> None:
    """Remember (supplier, month) pairs whose measurements changed records feed, for the next scoring run."""
    insert_rows(connection, dirty_suppliers,
                [{"supplier_id": supplier, "period": period} for supplier, period in sorted(set(marks))])


def dirty(connection: Connection, by_month: bool = True) -> tuple[Sequence[int], Touched]:
    """The marks committed so far, as runs of consecutive ids, and per supplier the months they touched
    (without `by_month`, as a full run reads them, None: it tallies every month anyway).

    A full sync leaves a mark per supplier-month per page it stored (hundreds of thousands at thousands of
    suppliers), so they are read in chunks from a server-side cursor and kept as a packed array of
    (first, last) id runs, and months as one shared string each: what scoring holds before its first batch
    does not grow with every page ever stored."""
    rows = connection.execute(select(dirty_suppliers.c.id, dirty_suppliers.c.supplier_id, dirty_suppliers.c.period)
                              .order_by(dirty_suppliers.c.id).execution_options(yield_per=MARKS_CHUNK))
    read = array("q")
    touched: Touched = {}
    for mark, supplier, period in rows:
        if read and read[-1] == mark - 1:
            read[-1] = mark
        else:
            read.extend((mark, mark))
        months = touched.setdefault(supplier, set() if by_month else None)
        if period is None or months is None:
            touched[supplier] = None
        else:
            months.add(sys.intern(period))
    return read, touched


def clear_dirty(connection: Connection, read: Sequence[int]) -> None:
    """Delete exactly the marks a run read: each run of ids `dirty` gave holds only ids it read (a gap ends
    one). Not "every id up to the highest read": on PostgreSQL ids are taken when a transaction inserts, not
    when it commits, so a lower id can commit after the read."""
    mark = dirty_suppliers.c.id
    for start in range(0, len(read), 2 * CLEAR_RUNS):
        runs = read[start:start + 2 * CLEAR_RUNS]
        connection.execute(delete(dirty_suppliers).where(
            or_(*(mark.between(runs[at], runs[at + 1]) for at in range(0, len(runs), 2)))))


def _delete_ids(connection: Connection, table: Table, ids: Sequence[int]) -> None:
    for start in range(0, len(ids), CLEAR_CHUNK):
        connection.execute(delete(table).where(among(connection, table.c.id, ids[start:start + CLEAR_CHUNK])))


def mark_input_changed(connection: Connection, kind: str, suppliers: Iterable[str]) -> None:
    """Remember that something scoring reads besides records changed for these suppliers (`kind`: "profile",
    "action"), in the caller's transaction, so the next scoring run is not skipped as idle."""
    insert_rows(connection, input_changes, [{"kind": kind, "supplier_id": supplier} for supplier in sorted(set(suppliers))])


def input_changes_read(connection: Connection) -> tuple[list[int], set[str]]:
    """The input changes committed so far (their ids, for `clear_input_changes` once a run has read what
    they mark) and the suppliers they name."""
    rows = connection.execute(select(input_changes.c.id, input_changes.c.supplier_id)).all()
    return [row.id for row in rows], {row.supplier_id for row in rows}


def clear_input_changes(connection: Connection, read: list[int]) -> None:
    """Delete exactly the input changes a run read, as `clear_dirty` does its marks."""
    _delete_ids(connection, input_changes, read)


def unchanged_since_last_run(connection: Connection, basis: tuple[date, str, str], months: tuple[str, str]) -> bool:
    """Whether the last run had this basis (as-of, measurement settings hash, inputs hash) and nothing it
    reads changed since: no input change marked, no record marked dirty in `months` (first, last), the
    months a run of this as-of reads. Scoring again would then write and publish nothing.

    A mark outside them (a new plan marks its due month, after the as-of) changes nothing this as-of
    scores, and any other as-of tallies every month afresh; the next run that scores clears it."""
    row = connection.execute(select(scoring_state.c.as_of, scoring_state.c.settings_hash, scoring_state.c.inputs_hash)
                             .where(scoring_state.c.id == 1)).first()
    if row is None or tuple(row) != basis:
        return False
    period = dirty_suppliers.c.period
    in_reach = exists().where(or_(period.is_(None), period.between(*months)))
    return not connection.execute(select(in_reach)).scalar() \
        and not connection.execute(select(exists().select_from(input_changes))).scalar()


def last_basis(connection: Connection) -> tuple[date, str] | None:
    row = connection.execute(select(scoring_state.c.as_of, scoring_state.c.settings_hash)
                             .where(scoring_state.c.id == 1)).first()
    return None if row is None else (row.as_of, row.settings_hash)


def latest_as_of(connection: Connection) -> date | None:
    """The newest as-of any scoring run has scored (an earlier one is a replay)."""
    row = connection.execute(select(scoring_state.c.as_of, scoring_state.c.latest_as_of)
                             .where(scoring_state.c.id == 1)).first()
    return None if row is None else row.latest_as_of or row.as_of


def save_basis(connection: Connection, as_of: date, settings_hash: str, now: datetime) -> None:
    latest = max(as_of, latest_as_of(connection) or as_of)
    upsert(connection, scoring_state, [{"id": 1, "as_of": as_of, "settings_hash": settings_hash, "scored_at": now,
                                        "latest_as_of": latest}], ["id"])


def save_inputs_hash(connection: Connection, inputs_hash: str) -> None:
    """Beside the basis `save_basis` stored: every setting the run read."""
    connection.execute(update(scoring_state).where(scoring_state.c.id == 1).values(inputs_hash=inputs_hash))


def last_inputs_hash(connection: Connection) -> str | None:
    return connection.execute(select(scoring_state.c.inputs_hash).where(scoring_state.c.id == 1)).scalar()


def load_contexts(connection: Connection) -> dict[str, str]:
    """Per supplier, the fingerprint of what its last scoring read besides its tallies and the settings."""
    return dict(connection.execute(select(supplier_contexts.c.supplier_id, supplier_contexts.c.fingerprint)).all())


def save_contexts(connection: Connection, found: dict[str, str], current: Iterable[str]) -> None:
    """Store the fingerprints `found` and forget those of suppliers no longer `current`."""
    stored = set(load_contexts(connection))
    stale = sorted((stored - set(current)) | (stored & set(found)))
    if len(stale) == len(stored):
        connection.execute(delete(supplier_contexts))
    else:
        for start in range(0, len(stale), CLEAR_CHUNK):
            connection.execute(delete(supplier_contexts).where(
                among(connection, supplier_contexts.c.supplier_id, stale[start:start + CLEAR_CHUNK])))
    insert_rows(connection, supplier_contexts, [{"supplier_id": supplier, "fingerprint": fingerprint}
                                                for supplier, fingerprint in sorted(found.items())])


def load_tallies(connection: Connection, suppliers: Iterable[str] | None = None,
                 months: Iterable[str] | None = None) -> dict[TallyKey, Tally]:
    """The stored tallies (of `suppliers`, of `months`, when given)."""
    query = select(tallies)
    if suppliers is not None:
        query = query.where(tallies.c.supplier_id.in_(list(suppliers)))
    if months is not None:
        query = query.where(tallies.c.period.in_(list(months)))
    return {(row.supplier_id, row.period): _tally(row.tally) for row in connection.execute(query)}


def tallied_months(connection: Connection) -> dict[str, set[str]]:
    """Per supplier, the months it has a tally of."""
    found: dict[str, set[str]] = {}
    for supplier, period in connection.execute(select(tallies.c.supplier_id, tallies.c.period)):
        found.setdefault(supplier, set()).add(period)
    return found


def save_tallies(connection: Connection, found: dict[TallyKey, Tally], replaced: set[TallyKey] | None) -> None:
    """Store tallies: all of them (`replaced` None), or in place of the `replaced` supplier-months, which
    no longer have one when nothing happens in them any more."""
    if replaced is None:
        connection.execute(delete(tallies))
    else:  # one statement per chunk, not one per supplier: an incremental run replaces thousands
        keys, t, pairs = sorted(replaced), tallies.c, CLEAR_CHUNK // 2  # two parameters a key
        for start in range(0, len(keys), pairs):
            connection.execute(delete(tallies).where(tuple_(t.supplier_id, t.period).in_(keys[start:start + pairs])))
    insert_rows(connection, tallies, [{"supplier_id": supplier, "period": period, "tally": _json(tally)}
                                      for (supplier, period), tally in found.items()])


_FIELDS = [f.name for f in fields(Tally)]
_VALUES = attrgetter(*_FIELDS)
_EXACT = {f.name for f in fields(Tally) if f.type is Decimal}


def _json(tally: Tally) -> dict:
    """Exact sums as strings: a tally read back adds up to the same value to the last digit. (Its lists go
    as they are, not copied: the row is written before the tally could change.)"""
    return {name: str(value) if name in _EXACT else value for name, value in zip(_FIELDS, _VALUES(tally))}


def _tally(stored: dict) -> Tally:
    return Tally(**{name: Decimal(value) if name in _EXACT else value for name, value in stored.items()})
