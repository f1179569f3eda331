"""Storing a page so that no record can fail it.

Records naming a supplier id outside `suppliers.id_pattern` are quarantined before storing (`screen`);
the store refuses duplicates and dangling references itself; and when the database still refuses the
records because of a value in them (a constraint, a value its column cannot hold), they are stored one
at a time so that only the one at fault is refused, with the database's reason (`store_in`). A database
that is unavailable is no fault of a record: that error goes up.
"""
import logging
import re
from typing import Callable, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError

from domain.records import Record, Rejected

log = logging.getLogger("srm_bridge.sync")

Store = Callable[[Connection, list], list[Rejected]]
T = TypeVar("T")


def screen(records: list[Record], supplier_ids: re.Pattern | None) -> tuple[list[Record], list[Rejected]]:
    """The records whose supplier id (if they name one) is one of this installation's; the others refused."""
    if supplier_ids is None:
        return records, []
    kept, refused = [], []
    for record in records:
        supplier = record.supplier_id
        if supplier is None or supplier_ids.fullmatch(supplier):
            kept.append(record)
        else:
            refused.append(Rejected(key=record.key, reason=f"supplier id {supplier!r} does not match "
                                    f"suppliers.id_pattern {supplier_ids.pattern}", raw=record.model_dump_json()))
    return kept, refused


def store_in(engine: Engine, store: Store, records: list, then: Callable[[Connection, list[Rejected]], T]) -> T:
    """`store(records)` and `then(connection, refused)` in one transaction; when the database refuses a value,
    the records stored one at a time (each in its own transaction), and `then` with those it refused too."""
    try:
        with engine.begin() as connection:
            return then(connection, store(connection, records))
    except StatementError as exc:
        if not _caused_by_a_value(exc):
            raise
        log.warning("the database refused a page; storing its records one at a time",
                    extra={"records": len(records), "error": str(exc.orig)})
    refused: list[Rejected] = []
    for record in records:
        try:
            with engine.begin() as connection:
                refused += store(connection, [record])
        except StatementError as exc:
            if not _caused_by_a_value(exc):
                raise
            refused.append(Rejected(key=record.key, reason=f"refused by the database: {exc.orig}",
                                    raw=record.model_dump_json()))
    with engine.begin() as connection:
        return then(connection, refused)


def _caused_by_a_value(exc: StatementError) -> bool:
    """A constraint or a value the column cannot hold, or a value the driver cannot send; not an outage."""
    return isinstance(exc, (IntegrityError, DataError)) or not isinstance(exc, DBAPIError)
