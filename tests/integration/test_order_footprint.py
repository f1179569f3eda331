"""What storing orders marks for scoring: the months and prices the orders feed once stored are worked out
from the orders as given, and must be what reading them back from the database gives."""
from datetime import date
from decimal import Decimal

from sandbox.generator import generate_sap
from store.footprints import footprint_of, order_footprint
from store.records import store_goods_movements, store_purchase_orders
from tests.support.records import changed_line, sap_records


def test_the_footprint_of_orders_as_given_is_what_reading_them_back_gives(engine):
    orders, movements = sap_records(generate_sap(4, 6, 3, date(2026, 6, 30)))
    with engine.begin() as connection:
        store_purchase_orders(connection, orders)
        store_goods_movements(connection, movements)
    received = {m.po for m in movements}
    moved_vendor, repriced, one_item, line_moved, *_ = [o for o in orders if o.id in received and len(o.items) > 1]
    other_vendor = next(o.vendor for o in orders if o.vendor != moved_vendor.vendor)
    item = repriced.items[0]
    changed = [moved_vendor.model_copy(update={"vendor": other_vendor}),  # its receipts now count for another
               repriced.model_copy(update={"items": (item.model_copy(update={"net_price": Decimal("12.345678")}),
                                                     *repriced.items[1:])}),
               one_item.model_copy(update={"items": one_item.items[:1]}),
               changed_line(line_moved, due=date(2027, 1, 15)),
               changed_line(moved_vendor, due=date(2025, 11, 3)).model_copy(update={"id": "4599999999"})]  # new
    with engine.begin() as connection:
        _, posted = order_footprint(connection, [order.id for order in changed])
        store_purchase_orders(connection, changed)
        read_back, _ = order_footprint(connection, [order.id for order in changed])
    given = footprint_of(changed, posted)
    assert posted and given == read_back
    assert {(other_vendor, f"{day:%Y-%m}") for day in posted[moved_vendor.id]} <= given.months
    assert (line_moved.vendor, "2027-01") in given.months
