"""Large pages on PostgreSQL go through COPY (and a staging table for upserts); what they store is what
row-by-row statements store on SQLite: scaled decimals, UTC instants, JSON, the last copy of a repeated
key, and defaults for the columns a row leaves out."""
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from domain.records import GoodsMovement
from store.records import store_goods_movements, utc
from store.tables import goods_movements, scorecards, tallies
from store.upsert import BULK_ROWS, insert_rows, upsert
from sync.pages import store_in

AT = datetime(2026, 7, 1, 12, 30, tzinfo=timezone.utc)
MOVEMENT_KEYS = ["document", "year", "line"]


def movement(n: int, quantity: str) -> dict:
    return {"document": f"50{n:08d}", "year": 2026, "line": 1, "movement_type": "101",
            "posting_date": date(2026, 1, 1) + timedelta(days=n % 180), "quantity": Decimal(quantity), "unit": "EA",
            "po_id": f"45{n:08d}", "item_id": "00010", "schedule_line_id": None, "reverses_document": None,
            "reverses_year": None, "reverses_line": None, "changed_at": AT + timedelta(seconds=n)}


def card(n: int, score: float, srm_level: str | None = None) -> dict:
    row = {"supplier_id": f"{n:010d}", "period": "2026-06", "window_months": 1, "supplier_name": f"Supplier ü{n}",
           "score": score, "grade": "B", "kpis": {"otd_pct": score, "quality_ppm": None}, "kpi_scores": {"otd_pct": 1.5},
           "as_of": date(2026, 6, 30), "fingerprint": f"{n:064d}", "computed_at": AT, "status": "final"}
    return row if srm_level is None else {**row, "srm_level": srm_level}


def write(engine) -> None:
    count = BULK_ROWS + 20
    with engine.begin() as connection:
        upsert(connection, goods_movements, [movement(n, "1.5") for n in range(count)], MOVEMENT_KEYS)
        upsert(connection, goods_movements, [movement(n, "2.125") for n in range(0, count, 2)]
               + [movement(4, "7.001")], MOVEMENT_KEYS)  # in one batch twice: the last copy wins
        upsert(connection, scorecards, [card(n, 80.5, "strategic") for n in range(count)], scorecards.primary_key.columns.keys())
        upsert(connection, scorecards, [card(n, 60.25) for n in range(count)], scorecards.primary_key.columns.keys())
        insert_rows(connection, tallies, [{"supplier_id": f"{n:010d}", "period": "2026-06", "tally": {"lines": n, "q": "1.5"}}
                                          for n in range(count)])


def stored(engine) -> list:
    """Each table's rows, instants made aware (SQLite hands them back naive)."""
    with engine.connect() as connection:
        return [sorted(tuple(utc(value) if isinstance(value, datetime) else value for value in row)
                       for row in connection.execute(select(table))) for table in (goods_movements, scorecards, tallies)]


def test_bulk_writes_on_postgresql_store_what_row_by_row_writes_store(sqlite_engine, postgres_engine):
    write(sqlite_engine), write(postgres_engine)
    on_sqlite, on_postgres = stored(sqlite_engine), stored(postgres_engine)
    assert on_postgres == on_sqlite
    movements = {row[0]: row for row in on_postgres[0]}
    assert movements["5000000004"][5] == Decimal("7.001") and movements["5000000001"][5] == Decimal("1.5")
    assert movements["5000000002"][5] == Decimal("2.125") and movements["5000000003"][-1] == AT + timedelta(seconds=3)
    assert {row[11] for row in on_postgres[1]} == {None}  # left out of the second upsert: back to its default




@pytest.mark.parametrize("fault", [{"unit": "TOO-LONG-UNIT"},  # longer than its column: the database refuses it
                                   {"quantity": Decimal("0.0001")}])  # more places than the column keeps
def test_a_value_refused_in_a_bulk_page_is_found_and_quarantined_alone(postgres_engine, fault):
    """The refusal reaches the page's store as a row-by-row one does, so the record at fault is found."""
    page = [GoodsMovement(**as_record(movement(n, "1.5"))) for n in range(BULK_ROWS)]
    page[7] = page[7].model_copy(update=fault)
    refused = store_in(postgres_engine, store_goods_movements, page, lambda _connection, rejected: rejected)
    assert [rejected.key for rejected in refused] == ["5000000007/2026/1"]
    assert len(stored(postgres_engine)[0]) == BULK_ROWS - 1


def as_record(row: dict) -> dict:
    return {"document": row["document"], "year": row["year"], "line": row["line"], "movement_type": "101",
            "posting_date": row["posting_date"], "quantity": row["quantity"], "unit": "EA", "po": row["po_id"],
            "po_item": row["item_id"], "changed_at": row["changed_at"]}
