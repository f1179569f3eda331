"""`sap.profile: bapi` end to end against the sandbox stand-in: a full pull equals the generated dataset in both
naming styles; an interrupted pull resumes without reading finished orders again."""
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from config import load_settings
from sandbox.generator import generate_sap
from sandbox.serve import bapi_endpoints, sap_endpoints, start_sap, start_sap_bapi
from scheduler.bootstrap import App
from store.tables import confirmations, goods_movements, po_items, purchase_orders, schedule_lines, scorecards
from sync.pipeline import run_sync
from sync.scoring import score
from tests.support.databases import scratch_engine

AS_OF = date(2026, 6, 30)
NOW = datetime(2026, 7, 1, tzinfo=timezone.utc)
SEEN_ON = (NOW - timedelta(seconds=60)).date()


@pytest.fixture(scope="module")
def dataset() -> dict:
    return generate_sap(2, 2, 11, AS_OF)


def bapi_app(engine, server, app, reread_days: int | None = None) -> App:
    """Only the endpoints set (`reread_days`: how far back the order list reads again)."""
    endpoints = bapi_endpoints(server, app)
    if reread_days is not None:
        endpoints["purchase_order_list"]["reread_days"] = reread_days
    return App(settings=load_settings(sap={"profile": "bapi", "bapi": endpoints}), engine=engine)


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


def scorecards_of(engine, settings) -> dict:
    score(engine, settings, AS_OF, NOW)
    with engine.connect() as connection:
        return {(row.supplier_id, row.period, row.window_months): row.kpis
                for row in connection.execute(select(scorecards))}


def known_on(dataset: dict, day: str) -> dict:
    """The orders SAP holds at the end of `day`, with the confirmations entered by then."""
    return {"goods_movements": [], "purchase_orders": [
        {**order, "items": [{**item, "confirmations": [c for c in item["confirmations"] if c["date"] <= day]}
                            for item in order["items"]]}
        for order in dataset["purchase_orders"] if order["order_date"] <= day]}


def test_the_bapi_profile_scores_suppliers_as_the_es_profile_does(dataset, tmp_path):
    """The same generated data through both profiles gives the same scorecards. BAPIEKES has no creation date, so
    the bapi profile dates a confirmation from the day a sync first sees it: synced daily, as in production."""
    with scratch_engine("sqlite", tmp_path) as es, scratch_engine("sqlite", tmp_path) as bapi:
        server, stand_in = start_sap(dataset)
        try:
            es_app = App(settings=load_settings(sap=sap_endpoints(server, stand_in)), engine=es)
            assert run_sync(es, es_app.streams(["sap"]), NOW).ok
        finally:
            server.stop()
        orders = dataset["purchase_orders"]
        days = sorted({c["date"] for o in orders for i in o["items"] for c in i["confirmations"]})
        server, stand_in = start_sap_bapi(known_on(dataset, days[0]))
        try:
            bapi_app_ = bapi_app(bapi, server, stand_in)
            daily = bapi_app(bapi, server, stand_in, reread_days=7)
            orders_stream = daily.streams(["sap"])[:1]
            for day in days:
                stand_in.load(known_on(dataset, day))
                evening = datetime.fromisoformat(day).replace(hour=23, tzinfo=timezone.utc)
                assert run_sync(bapi, orders_stream, evening).ok
            stand_in.load(dataset)
            assert run_sync(bapi, bapi_app_.streams(["sap"]), NOW).ok
        finally:
            server.stop()
        es_cards, bapi_cards = scorecards_of(es, es_app.settings), scorecards_of(bapi, bapi_app_.settings)
    assert es_cards and es_cards == bapi_cards
    assert any(card["confirmation_lag_days_median"] is not None for card in es_cards.values())
