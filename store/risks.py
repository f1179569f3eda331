"""Risk signals as stored: raised once when a condition appears, cleared once when it goes."""
from datetime import datetime
from typing import Iterable

from sqlalchemy import Connection, Select, func, select, update

from domain.risks import RiskSignal
from store.records import utc
from store.tables import risk_signals
from store.upsert import upsert


def _signal(row) -> RiskSignal:  # noqa: ANN001 - a row mapping
    return RiskSignal(dedupe_key=row["dedupe_key"], supplier_id=row["supplier_id"], kind=row["kind"], kpi=row["kpi"],
                      period=row["period"], severity=row["severity"], observed=row["observed"],
                      limit=row["limit_value"], evidence=row["evidence"], raised_at=utc(row["raised_at"]),
                      cleared_at=utc(row["cleared_at"]))


def reconcile_signals(connection: Connection, current: list, now: datetime,
                      suppliers: Iterable[str] | None = None) -> tuple[list[RiskSignal], list[RiskSignal]]:
    """Make the stored open signals (of `suppliers`, when given) equal `current` (conditions, by dedupe key);
    return (raised, cleared).

    A signal that stays open keeps its raised time and takes the latest observation silently.
    """
    open_rows = {row["dedupe_key"]: row for row in connection.execute(
        _of(select(risk_signals).where(risk_signals.c.cleared_at.is_(None)), suppliers)).mappings()}
    wanted = {condition.dedupe_key: condition for condition in current}
    rows = [{"dedupe_key": c.dedupe_key, "supplier_id": c.supplier_id, "kind": c.kind, "kpi": c.kpi,
             "period": c.period, "severity": c.severity, "observed": c.observed, "limit_value": c.limit,
             "evidence": c.evidence,
             "raised_at": open_rows[c.dedupe_key]["raised_at"] if c.dedupe_key in open_rows else now,
             "cleared_at": None} for c in wanted.values()]
    upsert(connection, risk_signals, rows, ["dedupe_key"])
    gone = [key for key in open_rows if key not in wanted]
    if gone:
        connection.execute(update(risk_signals).where(risk_signals.c.dedupe_key.in_(gone)).values(cleared_at=now))
    raised_keys = [key for key in wanted if key not in open_rows]
    return signals(connection, raised_keys), signals(connection, gone)


def signals(connection: Connection, keys: list[str]) -> list[RiskSignal]:
    if not keys:
        return []
    rows = connection.execute(select(risk_signals).where(risk_signals.c.dedupe_key.in_(keys))
                              .order_by(risk_signals.c.supplier_id, risk_signals.c.dedupe_key)).mappings()
    return [_signal(row) for row in rows]


def open_signals(connection: Connection, supplier_id: str | None = None,
                 suppliers: Iterable[str] | None = None) -> list[RiskSignal]:
    query = _of(select(risk_signals).where(risk_signals.c.cleared_at.is_(None)), suppliers)
    if supplier_id:
        query = query.where(risk_signals.c.supplier_id == supplier_id)
    rows = connection.execute(query.order_by(risk_signals.c.supplier_id, risk_signals.c.dedupe_key)).mappings()
    return [_signal(row) for row in rows]


def signalled_suppliers(connection: Connection) -> set[str]:
    """The suppliers with an open signal."""
    return set(connection.execute(select(risk_signals.c.supplier_id).distinct()
                                  .where(risk_signals.c.cleared_at.is_(None))).scalars())


def _of(query: Select, suppliers: Iterable[str] | None) -> Select:
    return query if suppliers is None else query.where(risk_signals.c.supplier_id.in_(list(suppliers)))


def open_counts_by_severity(connection: Connection) -> dict[str, int]:
    query = (select(risk_signals.c.severity, func.count()).where(risk_signals.c.cleared_at.is_(None))
             .group_by(risk_signals.c.severity))
    return {severity: count for severity, count in connection.execute(query)}
