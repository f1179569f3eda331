"""The connector against the independent ES test server (tests/support/es_server.py) over real HTTP:
with only URLs, credentials and client set, as a customer's ERP would be configured."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from config import load_settings
from scheduler.bootstrap import App
from store.sync_state import read_cursor, recent_runs, write_cursor
from store.tables import confirmations, goods_movements, po_items, purchase_orders, schedule_lines
from sync.pipeline import run_sync
from tests.support.es_faults import EsFaults
from tests.support.es_server import EsServer

NOW = datetime(2026, 7, 1, tzinfo=timezone.utc)


def bridge(engine, server: EsServer, **sap) -> App:
    settings = load_settings(sap={"purchase_orders": {"url": server.purchase_orders_url},
                                  "goods_movements": {"url": server.goods_movements_url},
                                  "user": server.user, "password": server.password, "client": server.client, **sap})
    return App(settings=settings, engine=engine)


def rows(engine, table, *columns) -> set[tuple]:
    with engine.connect() as connection:
        return {tuple(row) for row in connection.execute(select(*(table.c[c] for c in columns)))}


def test_a_full_pull_in_pages_of_five_equals_the_source(engine):
    with EsServer(page_limit=5) as server:
        report = run_sync(engine, bridge(engine, server).streams(["sap"]), NOW)
        assert report.ok, [r.error for r in report.streams]
        orders, documents = server.orders, server.documents
        assert len(server.requests_for("purchase_orders")) == -(-len(orders) // 5) + (len(orders) % 5 == 0)
    assert rows(engine, purchase_orders, "po_id", "vendor_id", "order_date") == {
        (o.id, o.seller_party_internal_id, o.purchase_order_date) for o in orders}
    assert rows(engine, po_items, "po_id", "item_id", "material", "plant", "quantity", "unit", "price_unit") == {
        (o.id, i.id, i.product_internal_id, i.plant_id, i.quantity.value, i.quantity.unit_code,
         int(i.net_price.base_quantity.value)) for o in orders for i in o.items}
    assert rows(engine, schedule_lines, "po_id", "item_id", "line_id", "due_date", "quantity") == {
        (o.id, i.id, line.id, line.delivery_date_time.value.date(), line.quantity.value)
        for o in orders for i in o.items for line in i.schedule_lines}
    movements = {(d.id, int(d.fiscal_year), int(m.id), m.goods_movement_type_code, d.posting_date, m.quantity.value,
                  m.purchase_order_reference.id, m.purchase_order_reference.item_id,
                  m.reversed_material_document_reference.id if m.reversed_material_document_reference else None)
                 for d in documents for m in d.items if m.purchase_order_reference is not None}
    assert rows(engine, goods_movements, "document", "year", "line", "movement_type", "posting_date", "quantity",
                "po_id", "item_id", "reverses_document") == movements
    assert any(m[-1] for m in movements) and {m[3] for m in movements} >= {"101", "102", "122"}


def test_confirmations_are_stored_from_the_day_their_order_was_seen(engine):
    with EsServer(page_limit=5) as server:
        assert run_sync(engine, bridge(engine, server).streams(["sap"])[:1], NOW).ok
        orders = server.orders
    expected = {(o.id, i.id, c.id, c.processing_type_code, c.quantity.value, c.delivery_date_time.value.date(),
                 o.last_change_date_time.date()) for o in orders for i in o.items for c in i.confirmations}
    assert expected and rows(engine, confirmations, "po_id", "item_id", "confirmation_id", "processing_type",
                             "quantity", "due_date", "first_seen_on") == expected


def test_goods_movements_are_read_from_their_own_endpoint(engine):
    with EsServer(page_limit=5) as server:
        [result] = run_sync(engine, bridge(engine, server).streams(["sap"])[1:], NOW).streams
        assert result.outcome == "succeeded" and result.stored > 0
        assert server.requests and {r.service for r in server.requests} == {"goods_movements"}


def test_the_request_carries_the_range_row_codes_and_paging_conditions(engine):
    with EsServer(page_limit=5) as server:
        app = bridge(engine, server, settle_seconds=60, overlap_minutes=10)
        with engine.begin() as connection:
            write_cursor(connection, "sap.purchase_orders", datetime(2025, 1, 1, tzinfo=timezone.utc), NOW)
        assert run_sync(engine, app.streams(["sap"])[:1], NOW).ok
        first, second, *_ = server.requests_for("purchase_orders")
    [row] = first.rows
    assert (row.inclusion_exclusion_code, row.interval_boundary_type_code, row.lower_boundary, row.upper_boundary) == (
        "I", "2", datetime(2024, 12, 31, 23, 50, tzinfo=timezone.utc), NOW - timedelta(seconds=60))
    assert (first.conditions.maximum_number, first.conditions.unlimited, first.conditions.last_returned_object_id) == (
        500, False, None)
    assert second.conditions.last_returned_object_id == first.returned_ids[-1]
    assert first.sap_client == "100" and first.user == "SRM_BRIDGE"


PAGING_FAILURES = {
    "paging block missing": EsFaults(omit_paging=True, from_page=2),
    "indicator unreadable": EsFaults(more_hits_indicator="maybe", from_page=2),
    "more without a last id": EsFaults(more_without_last_id=True, from_page=2),
    "the same last id again": EsFaults(repeat_last_id=True, from_page=2),
    "no objects with more": EsFaults(empty_page_with_more=True, from_page=2),
    "a cycle": EsFaults(cycle=True),
}


@pytest.mark.parametrize("faults", PAGING_FAILURES.values(), ids=PAGING_FAILURES.keys())
def test_every_paging_failure_fails_the_stream_and_keeps_the_cursor(engine, faults):
    before = datetime(2025, 1, 1, tzinfo=timezone.utc)
    with engine.begin() as connection:
        for stream in ("sap.purchase_orders", "sap.goods_movements"):
            write_cursor(connection, stream, before, NOW)
    with EsServer(page_limit=5, faults=faults) as server:
        report = run_sync(engine, bridge(engine, server).streams(["sap"]), NOW)
    for result in report.streams:
        assert result.outcome == "failed" and result.error.startswith("PayloadError: ")
    with engine.connect() as connection:
        assert {run["stream"]: run["outcome"] for run in recent_runs(connection)[:2]} == {
            "sap.purchase_orders": "failed", "sap.goods_movements": "failed"}
        for stream in ("sap.purchase_orders", "sap.goods_movements"):
            assert read_cursor(connection, stream) == before


def test_an_error_in_the_log_fails_the_stream(engine):
    with EsServer(page_limit=5, faults=EsFaults(error_log=True, services=("purchase_orders",))) as server:
        [result] = run_sync(engine, bridge(engine, server).streams(["sap"])[:1], NOW).streams
    assert result.outcome == "failed" and "RemoteFault" in result.error and "result list not available" in result.error


def test_resume_is_complete_when_the_server_pages_by_id(engine):
    """Paged by id, a fault on page 2 and a resume leave nothing behind."""
    with EsServer(page_limit=5, faults=EsFaults(page_by_id=True, soap_fault_on_request=2)) as server:
        app = bridge(engine, server, max_attempts=1)
        [failed] = run_sync(engine, app.streams(["sap"])[:1], NOW).streams
        assert (failed.outcome, failed.pages) == ("failed", 1)
        with engine.connect() as connection:
            assert read_cursor(connection, "sap.purchase_orders") is None
        server.faults = EsFaults(page_by_id=True)
        assert run_sync(engine, app.streams(["sap"])[:1], NOW + timedelta(minutes=1)).ok
        expected = {o.id for o in server.orders}
    assert {po_id for (po_id,) in rows(engine, purchase_orders, "po_id")} == expected


def test_a_wsdl_file_shipped_by_the_customer(engine, tmp_path):
    with EsServer(page_limit=5, wsdl_requires_auth=False) as server:
        wsdl = server.write_wsdl("purchase_orders", tmp_path)
        app = bridge(engine, server, purchase_orders={"wsdl": wsdl})
        assert run_sync(engine, app.streams(["sap"])[:1], NOW).ok
        assert len(rows(engine, purchase_orders, "po_id")) == len(server.orders)
