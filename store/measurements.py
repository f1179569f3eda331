"""What incremental scoring keeps between runs: touched suppliers, measurements, and the basis of the last run."""
from datetime import date, datetime

from sqlalchemy import Connection, delete, func, insert, select

from domain.scorecards import KpiValues, Measured
from store.tables import dirty_suppliers, measurements, purchase_orders, scoring_state
from store.upsert import upsert


def mark_dirty(connection: Connection, supplier_ids: set[str]) -> None:
    if supplier_ids:
        connection.execute(dirty_suppliers.insert(), [{"supplier_id": s} for s in sorted(supplier_ids)])


def mark_dirty_by_orders(connection: Connection, po_ids: set[str]) -> None:
    """The suppliers of these purchase orders (those already stored; a later PO marks its own)."""
    if po_ids:
        connection.execute(insert(dirty_suppliers).from_select(
            ["supplier_id"], select(purchase_orders.c.vendor_id).where(purchase_orders.c.po_id.in_(po_ids)).distinct()))


def dirty(connection: Connection) -> tuple[int, set[str]]:
    """The highest mark so far and the suppliers marked up to it."""
    upto = connection.execute(select(func.max(dirty_suppliers.c.id))).scalar() or 0
    rows = connection.execute(select(dirty_suppliers.c.supplier_id).where(dirty_suppliers.c.id <= upto).distinct())
    return upto, set(rows.scalars())


def clear_dirty(connection: Connection, upto: int) -> None:
    connection.execute(delete(dirty_suppliers).where(dirty_suppliers.c.id <= upto))


def last_basis(connection: Connection) -> tuple[date, str] | None:
    row = connection.execute(select(scoring_state.c.as_of, scoring_state.c.settings_hash)
                             .where(scoring_state.c.id == 1)).first()
    return None if row is None else (row.as_of, row.settings_hash)


def save_basis(connection: Connection, as_of: date, settings_hash: str, now: datetime) -> None:
    upsert(connection, scoring_state, [{"id": 1, "as_of": as_of, "settings_hash": settings_hash, "scored_at": now}],
           ["id"])


def load_measurements(connection: Connection, exclude: set[str]) -> dict[tuple[str, str, int], Measured]:
    rows = connection.execute(select(measurements).where(measurements.c.supplier_id.not_in(exclude))).mappings()
    return {(r["supplier_id"], r["period"], r["window_months"]): Measured(
        KpiValues(**r["kpis"]), r["details"], r["on_time_lines"], r["due_lines"]) for r in rows}


def save_measurements(connection: Connection, measured: dict[tuple[str, str, int], Measured],
                      replace_suppliers: set[str] | None) -> None:
    """Store measurements: all of them (`replace_suppliers` None), or replacing those of the given suppliers."""
    if replace_suppliers is None:
        connection.execute(delete(measurements))
    elif replace_suppliers:
        connection.execute(delete(measurements).where(measurements.c.supplier_id.in_(replace_suppliers)))
    rows = [{"supplier_id": s, "period": p, "window_months": w, "kpis": m.kpis.model_dump(), "details": m.details,
             "on_time_lines": m.on_time_lines, "due_lines": m.due_lines} for (s, p, w), m in measured.items()
            if replace_suppliers is None or s in replace_suppliers]
    if rows:
        connection.execute(measurements.insert(), rows)
