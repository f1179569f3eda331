"""A sync marks for scoring exactly the supplier-months its changed records feed: a record stored again as it
was marks nothing, on SQLite and on PostgreSQL."""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, select

from domain.records import MovementRef
from store.records import store_goods_movements, store_purchase_orders
from store.tables import dirty_suppliers
from tests.integration.test_incremental import MOVEMENTS, ORDERS
from tests.support.records import changed_line

@pytest.fixture
def seeded(engine):
    with engine.begin() as connection:
        store_purchase_orders(connection, ORDERS)
        store_goods_movements(connection, MOVEMENTS)
    return engine


def marks(engine, store, records) -> set[tuple[str, str]]:
    """The (supplier, month) pairs storing `records` marks, the marks before it left out."""
    with engine.begin() as connection:
        connection.execute(delete(dirty_suppliers))
        store(connection, records)
        return set(connection.execute(select(dirty_suppliers.c.supplier_id, dirty_suppliers.c.period)).all())


def month(day) -> str:
    return f"{day:%Y-%m}"


def fed_by(order, vendor=None) -> set[tuple[str, str]]:
    """What an order feeds: its order month, its lines' due months and its receipts' posting months."""
    days = [order.order_date, *(line.due for item in order.items for line in item.schedule_lines),
            *(m.posting_date for m in MOVEMENTS if m.po == order.id)]
    return {(vendor or order.vendor, month(day)) for day in days}


def baseline_reach(order, vendor=None) -> set[tuple[str, str]]:
    """The twelve months after the order's, whose items may take its prices as their baseline."""
    first, reach = order.order_date.replace(day=1), set()
    for _ in range(12):
        first = (first + timedelta(days=32)).replace(day=1)
        reach.add((vendor or order.vendor, month(first)))
    return reach


def item_due_months(order, item_id) -> set[str]:
    return {month(line.due) for item in order.items if item.id == item_id for line in item.schedule_lines}


def test_storing_the_same_orders_and_movements_again_marks_nothing(seeded):
    assert marks(seeded, store_purchase_orders, ORDERS) == set()
    assert marks(seeded, store_goods_movements, MOVEMENTS) == set()


def test_a_changed_line_quantity_marks_the_months_its_order_feeds(seeded):
    order = ORDERS[5]
    line = order.items[0].schedule_lines[0]
    changed = changed_line(order, quantity=line.quantity + 1)
    assert marks(seeded, store_purchase_orders, [changed if o.id == order.id else o for o in ORDERS]) == fed_by(order)


def test_a_due_date_moved_to_another_month_marks_the_old_and_the_new_month(seeded):
    order = ORDERS[5]
    line = order.items[0].schedule_lines[0]
    moved = changed_line(order, due=line.due + timedelta(days=40))
    assert month(moved.items[0].schedule_lines[0].due) not in {month for _, month in fed_by(order)}
    assert marks(seeded, store_purchase_orders, [moved]) == fed_by(order) | fed_by(moved)


def test_an_order_moved_to_another_vendor_marks_both_vendors_months(seeded):
    order = ORDERS[5]
    other = next(o.vendor for o in ORDERS if o.vendor != order.vendor)
    assert marks(seeded, store_purchase_orders, [order.model_copy(update={"vendor": other})]) \
        == fed_by(order) | fed_by(order, other) | baseline_reach(order) | baseline_reach(order, other)


def test_a_new_order_marks_its_months_and_the_year_its_prices_are_baselines_for(seeded):
    order = ORDERS[5].model_copy(update={"id": "4599999999"})
    assert marks(seeded, store_purchase_orders, [order]) == fed_by(order) | baseline_reach(order)


def test_a_reversal_marks_its_posting_month_and_what_the_reversed_receipt_feeds(seeded):
    receipt = next(m for m in MOVEMENTS if m.movement_type == "101"
                   and month(m.posting_date + timedelta(days=35)) != month(m.posting_date))
    order = next(o for o in ORDERS if o.id == receipt.po)
    reversal = receipt.model_copy(update={
        "document": "5799999999", "movement_type": "102", "posting_date": receipt.posting_date + timedelta(days=35),
        "reverses": MovementRef(document=receipt.document, year=receipt.year, line=receipt.line)})
    expected = {(order.vendor, m) for m in {month(receipt.posting_date), month(reversal.posting_date)}
                | item_due_months(order, receipt.po_item)}
    assert marks(seeded, store_goods_movements, [reversal]) == expected
    assert marks(seeded, store_goods_movements, [reversal]) == set()


def test_a_changed_receipt_among_unchanged_ones_marks_only_its_months(seeded):
    receipt = MOVEMENTS[0]
    order = next(o for o in ORDERS if o.id == receipt.po)
    changed = receipt.model_copy(update={"quantity": receipt.quantity + Decimal(1)})
    expected = {(order.vendor, m) for m in {month(receipt.posting_date)} | item_due_months(order, receipt.po_item)}
    assert marks(seeded, store_goods_movements, [changed, *MOVEMENTS[1:]]) == expected
