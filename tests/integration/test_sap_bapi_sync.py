"""`sap.profile: bapi` end to end against the sandbox stand-in: a full pull equals the generated dataset in both
naming styles; an interrupted pull resumes without reading finished orders again."""
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from config import load_settings
from sandbox.generator import generate_sap
from sandbox.serve import bapi_endpoints, start_sap_bapi
from scheduler.bootstrap import App
from store.tables import confirmations, goods_movements, po_items, purchase_orders, schedule_lines
from sync.pipeline import run_sync

AS_OF = date(2026, 6, 30)
NOW = datetime(2026, 7, 1, tzinfo=timezone.utc)
SEEN_ON = (NOW - timedelta(seconds=60)).date()


@pytest.fixture(scope="module")
def dataset() -> dict:
    return generate_sap(2, 3, 11, AS_OF)


def bapi_app(engine, server, app, **sap) -> App:
    return App(settings=load_settings(sap={"profile": "bapi", "bapi": bapi_endpoints(server, app), **sap}),
               engine=engine)


def rows(engine, table, *columns) -> set[tuple]:
    with engine.connect() as connection:
        return {tuple(row) for row in connection.execute(select(*(table.c[c] for c in columns)))}


@pytest.mark.parametrize("style", ["rfc", "mc"])
def test_a_full_pull_equals_the_dataset(sqlite_engine, dataset, style):
    server, stand_in = start_sap_bapi(dataset, style=style, date_format="4")
    try:
        report = run_sync(sqlite_engine, bapi_app(sqlite_engine, server, stand_in).streams(["sap"]), NOW)
    finally:
        server.stop()
    assert report.ok, [r.error for r in report.streams]
    orders = dataset["purchase_orders"]
    assert rows(sqlite_engine, purchase_orders, "po_id", "vendor_id", "order_date") == {
        (o["id"], o["vendor"], date.fromisoformat(o["order_date"])) for o in orders}
    assert rows(sqlite_engine, po_items, "po_id", "item_id", "quantity", "net_price", "price_unit") == {
        (o["id"], i["id"], Decimal(i["quantity"]), Decimal(i["net_price"]), i["price_unit"])
        for o in orders for i in o["items"]}
    assert rows(sqlite_engine, schedule_lines, "po_id", "item_id", "line_id", "due_date", "quantity") == {
        (o["id"], i["id"], line["id"], date.fromisoformat(line["due"]), Decimal(line["quantity"]))
        for o in orders for i in o["items"] for line in i["schedule_lines"]}
    assert rows(sqlite_engine, confirmations, "po_id", "item_id", "quantity", "due_date", "first_seen_on") == {
        (o["id"], i["id"], Decimal(c["quantity"]), date.fromisoformat(c["due"]), SEEN_ON)
        for o in orders for i in o["items"] for c in i["confirmations"]}
    assert rows(sqlite_engine, goods_movements, "document", "year", "line", "movement_type", "posting_date",
                "quantity", "po_id", "item_id", "schedule_line_id", "reverses_document") == {
        (m["document"], m["year"], m["line"], m["movement_type"], date.fromisoformat(m["posting_date"]),
         Decimal(m["quantity"]), m["po"], m["po_item"], None, (m.get("reverses") or {}).get("document"))
        for m in dataset["goods_movements"]}
