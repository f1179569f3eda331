"""A bad record never stops a stream: whatever can be pinned to one record is quarantined with its reason
and content, and the rest of its page is stored; on SQLite and PostgreSQL."""
import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import select

from domain.records import GoodsMovement, Page, PurchaseOrder, SupplierAccount
from store.records import store_accounts, store_goods_movements, store_purchase_orders
from store.sync_state import quarantined, recent_runs
from store.tables import goods_movements, po_items, purchase_orders, schedule_lines, supplier_accounts
from sync.pipeline import run_sync
from sync.streams import Stream
from tests.support.events import random_suppliers
from tests.unit.test_records import ACCOUNT, MOVEMENT, ORDER

NOW = datetime(2026, 7, 1, tzinfo=timezone.utc)
HOUR = timedelta(hours=1)


def stream(name: str, store, *pages: list, supplier_ids: str | None = None, fail_after: bool = False) -> Stream:
    def fetch(_lower, _upper):
        for records in pages:
            yield Page(records=records, cursor=NOW - 2 * HOUR)
        if fail_after:
            raise RuntimeError("a fault of ours")
    return Stream(name, fetch, store, HOUR, HOUR, supplier_ids=re.compile(supplier_ids) if supplier_ids else None)


def an_order(po: str, vendor: str, **fields) -> PurchaseOrder:
    return PurchaseOrder.model_validate({**ORDER, "id": po, "vendor": vendor, **fields})


def reasons(engine) -> dict[str, str]:
    with engine.connect() as connection:
        return {row["record_key"]: row["reason"] for row in quarantined(connection)}


def rows(engine, table, *columns) -> list[tuple]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(select(*columns).select_from(table).order_by(*columns))]


def test_an_order_listed_twice_in_a_page_is_stored_once_as_first_given(engine):
    vendor, = random_suppliers(1)
    first, second = an_order("4500000001", vendor), an_order("4500000001", vendor, currency="USD")
    other = an_order("4500000002", vendor)
    report = run_sync(engine, [stream("test.orders", store_purchase_orders, [first, second, other])], NOW)
    assert report.ok and report.streams[0].quarantined == 1
    assert rows(engine, purchase_orders, purchase_orders.c.po_id, purchase_orders.c.currency) == \
        [("4500000001", "EUR"), ("4500000002", "EUR")]
    assert "duplicate of 4500000001" in reasons(engine)["4500000001"]


def test_two_items_or_schedule_lines_with_one_id_keep_the_first_copy(engine):
    vendor, = random_suppliers(1)
    item = ORDER["items"][0]
    line = item["schedule_lines"][0]
    order = an_order("4500000003", vendor, items=[
        {**item, "schedule_lines": [line, {**line, "quantity": "7"}]}, {**item, "material": "M-2"}])
    report = run_sync(engine, [stream("test.orders", store_purchase_orders, [order])], NOW)
    assert report.ok
    assert rows(engine, po_items, po_items.c.item_id, po_items.c.material) == [("00010", "M-1")]
    assert rows(engine, schedule_lines, schedule_lines.c.line_id, schedule_lines.c.quantity) == [("0001", Decimal(100))]
    assert set(reasons(engine)) == {"4500000003/00010", "4500000003/00010/0001"}


def test_a_material_document_line_repeated_in_a_page_keeps_the_first_copy(engine):
    first = GoodsMovement.model_validate(MOVEMENT)
    again = GoodsMovement.model_validate({**MOVEMENT, "quantity": "5"})
    report = run_sync(engine, [stream("test.movements", store_goods_movements, [first, again])], NOW)
    assert report.ok
    assert rows(engine, goods_movements, goods_movements.c.document, goods_movements.c.quantity) == \
        [("5000000001", Decimal(100))]
    assert "duplicate" in reasons(engine)["5000000001/2026/1"]


def test_an_account_listed_twice_keeps_the_first_copy(engine):
    accounts = [SupplierAccount.model_validate({**ACCOUNT, "name": name}) for name in ("First", "Second")]
    assert run_sync(engine, [stream("test.accounts", store_accounts, accounts)], NOW).ok
    assert rows(engine, supplier_accounts, supplier_accounts.c.name) == [("First",)]


def test_a_record_the_database_refuses_is_quarantined_and_the_rest_of_its_page_stored(engine):
    vendor, = random_suppliers(1)
    broken = PurchaseOrder.model_construct(**{**an_order("4500000005", vendor).__dict__, "currency": None})
    fine = an_order("4500000006", vendor)
    report = run_sync(engine, [stream("test.orders", store_purchase_orders, [broken, fine])], NOW)
    assert report.ok and report.streams[0].quarantined == 1
    assert rows(engine, purchase_orders, purchase_orders.c.po_id) == [("4500000006",)]
    assert reasons(engine)["4500000005"].startswith("refused by the database")


def test_records_of_suppliers_outside_the_configured_pattern_are_quarantined(engine):
    vendor, = random_suppliers(1)
    report = run_sync(engine, [stream("test.orders", store_purchase_orders,
                                      [an_order("4500000007", "AB-1"), an_order("4500000008", vendor)],
                                      supplier_ids=r"^[0-9]{10}$")], NOW)
    assert report.ok
    assert rows(engine, purchase_orders, purchase_orders.c.vendor_id) == [(vendor,)]
    assert reasons(engine)["4500000007"] == "supplier id 'AB-1' does not match suppliers.id_pattern ^[0-9]{10}$"


def test_an_internal_error_fails_its_stream_and_the_next_stream_still_runs(engine):
    vendor, = random_suppliers(1)
    report = run_sync(engine, [
        stream("test.broken", store_purchase_orders, [an_order("4500000009", vendor)], fail_after=True),
        stream("test.accounts", store_accounts, [SupplierAccount.model_validate(ACCOUNT)])], NOW)
    broken, accounts = report.streams
    assert (broken.outcome, broken.error, broken.stored) == ("failed", "internal error: RuntimeError('a fault of ours')", 1)
    assert accounts.outcome == "succeeded"
    with engine.connect() as connection:
        assert {r["stream"]: r["outcome"] for r in recent_runs(connection)} == \
            {"test.broken": "failed", "test.accounts": "succeeded"}


def test_values_at_the_edges_of_what_validation_admits_fit_their_columns(engine):
    vendor, = random_suppliers(1)
    item = ORDER["items"][0]
    widest = an_order("4" * 20, vendor, order_date="2199-12-31", changed_at="2199-12-31T23:59:59.999999+14:00",
                      items=[{**item, "id": "I" * 10, "material": "é" * 40, "plant": "P" * 10, "unit": "U" * 6,
                              "quantity": "999999999999999.999", "net_price": "999999999999.999999",
                              "price_unit": 1_000_000,
                              "schedule_lines": [{"id": "L" * 10, "due": "1900-01-01", "quantity": "0.001"}],
                              "confirmations": [{"confirmed_on": "2199-12-31", "quantity": "0"}]}])
    movement = GoodsMovement.model_validate({**MOVEMENT, "document": "D" * 10, "year": 2199, "line": 999_999,
                                             "movement_type": "Z" * 3, "po": "4" * 20, "po_item": "I" * 10,
                                             "posting_date": "2199-12-31", "schedule_line": "L" * 10,
                                             "quantity": "999999999999999.999"})
    account = SupplierAccount.model_validate({**ACCOUNT, "name": "n" * 255, "owner_id": "0" * 18, "owner_name": "o" * 255,
                                              "industry": "i" * 255, "tier": "t" * 80, "risk_rating": "r" * 80})
    report = run_sync(engine, [stream("test.orders", store_purchase_orders, [widest]),
                               stream("test.movements", store_goods_movements, [movement]),
                               stream("test.accounts", store_accounts, [account])], NOW)
    assert report.ok and sum(s.quarantined for s in report.streams) == 0
    assert rows(engine, purchase_orders, purchase_orders.c.order_date) == [(date(2199, 12, 31),)]
