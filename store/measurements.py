"""What incremental scoring keeps between runs: touched supplier-months, measurements, and the basis of the last run."""
from datetime import date, datetime
from typing import Iterable

from sqlalchemy import Connection, delete, func, select, tuple_

from domain.scorecards import KpiValues, Measured
from store.tables import dirty_suppliers, measurements, scoring_state
from store.upsert import upsert

MeasurementKey = tuple[str, str, int]  # supplier, period, window months
Touched = dict[str, set[str] | None]  # supplier → the months its changes touched (None: every month)


def mark_dirty(connection: Connection, marks: Iterable[tuple[str, str]]) -> None:
    """Remember (supplier, month) pairs whose measurements changed records feed, for the next scoring run."""
    rows = [{"supplier_id": supplier, "period": period} for supplier, period in sorted(set(marks))]
    if rows:
        connection.execute(dirty_suppliers.insert(), rows)


def dirty(connection: Connection) -> tuple[int, Touched]:
    """The highest mark so far and, per supplier marked up to it, the months touched."""
    upto = connection.execute(select(func.max(dirty_suppliers.c.id))).scalar() or 0
    rows = connection.execute(select(dirty_suppliers.c.supplier_id, dirty_suppliers.c.period)
                              .where(dirty_suppliers.c.id <= upto).distinct())
    touched: Touched = {}
    for supplier, period in rows:
        months = touched.setdefault(supplier, set())
        if period is None or months is None:
            touched[supplier] = None
        else:
            months.add(period)
    return upto, touched


def clear_dirty(connection: Connection, upto: int) -> None:
    connection.execute(delete(dirty_suppliers).where(dirty_suppliers.c.id <= upto))


def last_basis(connection: Connection) -> tuple[date, str] | None:
    row = connection.execute(select(scoring_state.c.as_of, scoring_state.c.settings_hash)
                             .where(scoring_state.c.id == 1)).first()
    return None if row is None else (row.as_of, row.settings_hash)


def save_basis(connection: Connection, as_of: date, settings_hash: str, now: datetime) -> None:
    upsert(connection, scoring_state, [{"id": 1, "as_of": as_of, "settings_hash": settings_hash, "scored_at": now}],
           ["id"])


def load_measurements(connection: Connection) -> dict[tuple[str, str, int], Measured]:
    rows = connection.execute(select(measurements)).mappings()
    return {(r["supplier_id"], r["period"], r["window_months"]): Measured(
        KpiValues(**r["kpis"]), r["details"], r["on_time_lines"], r["due_lines"]) for r in rows}


def save_measurements(connection: Connection, measured: dict[MeasurementKey, Measured],
                      replaced: set[MeasurementKey] | None) -> None:
    """Store measurements: all of them (`replaced` None), or in place of the `replaced` keys, which a supplier
    without activity any more no longer has."""
    if replaced is None:
        connection.execute(delete(measurements))
    else:
        m = measurements.c
        for supplier, keys in _by_supplier(replaced).items():
            connection.execute(delete(measurements).where(
                m.supplier_id == supplier, tuple_(m.period, m.window_months).in_(keys)))
    rows = [{"supplier_id": s, "period": p, "window_months": w, "kpis": m.kpis.model_dump(), "details": m.details,
             "on_time_lines": m.on_time_lines, "due_lines": m.due_lines} for (s, p, w), m in measured.items()]
    if rows:
        connection.execute(measurements.insert(), rows)


def _by_supplier(keys: Iterable[MeasurementKey]) -> dict[str, list[tuple[str, int]]]:
    found: dict[str, list[tuple[str, int]]] = {}
    for supplier, period, months in keys:
        found.setdefault(supplier, []).append((period, months))
    return found
