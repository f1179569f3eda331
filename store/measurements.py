"""What incremental scoring keeps between runs: touched supplier-months, each month's tally, and the basis of the last run."""
from dataclasses import asdict, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Iterable

from sqlalchemy import Connection, delete, select

from domain.scorecards import Tally
from store.tables import dirty_suppliers, scoring_state, tallies
from store.upsert import insert_rows, upsert

TallyKey = tuple[str, str]  # supplier, month
Touched = dict[str, set[str] | None]  # supplier → the months its changes touched (None: every month)
CLEAR_CHUNK = 5000  # ids per DELETE, well under every driver's bind-parameter limit


def mark_dirty(connection: Connection, marks: Iterable[tuple[str, str]]) -> None:
    """Remember (supplier, month) pairs whose measurements changed records feed, for the next scoring run."""
    insert_rows(connection, dirty_suppliers,
                [{"supplier_id": supplier, "period": period} for supplier, period in sorted(set(marks))])


def dirty(connection: Connection) -> tuple[list[int], Touched]:
    """The marks committed so far (their ids) and, per supplier, the months they touched."""
    rows = connection.execute(select(dirty_suppliers.c.id, dirty_suppliers.c.supplier_id, dirty_suppliers.c.period))
    read: list[int] = []
    touched: Touched = {}
    for mark, supplier, period in rows:
        read.append(mark)
        months = touched.setdefault(supplier, set())
        if period is None or months is None:
            touched[supplier] = None
        else:
            months.add(period)
    return read, touched


def clear_dirty(connection: Connection, read: list[int]) -> None:
    """Delete exactly the marks a run read. Not "every id up to the highest read": on PostgreSQL ids are
    taken when a transaction inserts, not when it commits, so a lower id can commit after the read."""
    for start in range(0, len(read), CLEAR_CHUNK):
        connection.execute(delete(dirty_suppliers).where(dirty_suppliers.c.id.in_(read[start:start + CLEAR_CHUNK])))


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


def load_tallies(connection: Connection, suppliers: Iterable[str] | None = None) -> dict[TallyKey, Tally]:
    query = select(tallies) if suppliers is None else select(tallies).where(tallies.c.supplier_id.in_(list(suppliers)))
    return {(row.supplier_id, row.period): _tally(row.tally) for row in connection.execute(query)}


def tallied_suppliers(connection: Connection) -> set[str]:
    return set(connection.execute(select(tallies.c.supplier_id).distinct()).scalars())


def save_tallies(connection: Connection, found: dict[TallyKey, Tally], replaced: set[TallyKey] | None) -> None:
    """Store tallies: all of them (`replaced` None), or in place of the `replaced` supplier-months, which
    no longer have one when nothing happens in them any more."""
    if replaced is None:
        connection.execute(delete(tallies))
    else:
        t = tallies.c
        for supplier, periods in _by_supplier(replaced).items():
            connection.execute(delete(tallies).where(t.supplier_id == supplier, t.period.in_(periods)))
    insert_rows(connection, tallies, [{"supplier_id": supplier, "period": period, "tally": _json(tally)}
                                      for (supplier, period), tally in found.items()])


def _by_supplier(keys: Iterable[TallyKey]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for supplier, period in keys:
        found.setdefault(supplier, []).append(period)
    return found


_EXACT = {f.name for f in fields(Tally) if f.type is Decimal}


def _json(tally: Tally) -> dict:
    """Exact sums as strings: a tally read back adds up to the same value to the last digit."""
    return {name: str(value) if name in _EXACT else value for name, value in asdict(tally).items()}


def _tally(stored: dict) -> Tally:
    return Tally(**{name: Decimal(value) if name in _EXACT else value for name, value in stored.items()})
