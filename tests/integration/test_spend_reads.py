"""What segmentation reads of the stored items: the spend the database sums per price is the spend of the
items priced one by one, on SQLite and PostgreSQL."""
from datetime import date
from decimal import Decimal

from domain.records import PurchaseOrder
from mapping.segments import material_spend, spend_by_material
from sandbox.generator import generate_sap
from store.records import ordered_items, spend_since, store_purchase_orders
from tests.support.records import sap_records

AS_OF = date(2026, 6, 30)
ORDERS, _ = sap_records(generate_sap(6, 14, seed=23, as_of=AS_OF))


def an_order(po_id: str, ordered: str, quantity: str, net_price: str, price_unit: int) -> PurchaseOrder:
    return PurchaseOrder.model_validate({
        "id": po_id, "vendor": "0000100001", "order_date": ordered, "currency": "EUR",
        "changed_at": f"{ordered}T09:00:00Z",
        "items": [{"id": "00010", "material": "M-SPEND", "plant": "1000", "quantity": quantity, "unit": "EA",
                   "net_price": net_price, "price_unit": price_unit,
                   "schedule_lines": [{"id": "0001", "due": ordered, "quantity": quantity}]}]})


# one price three times (once on the first day of the year, which is out, and once on the as-of, which is in),
# another price per 100 with fractional quantities, and an order after the as-of (out)
SPEND_ORDERS = [an_order("4590000001", "2025-06-30", "5", "12.50", 1),
                an_order("4590000002", "2025-07-01", "5", "12.50", 1),
                an_order("4590000003", "2026-06-30", "7", "12.50", 1),
                an_order("4590000004", "2026-01-15", "250.125", "1234.56", 100),
                an_order("4590000005", "2026-02-15", "0.875", "1234.56", 100),
                an_order("4590000006", "2026-07-01", "9", "12.50", 1)]


def test_spend_summed_per_price_is_the_spend_of_the_items_one_by_one(engine):
    with engine.begin() as connection:
        store_purchase_orders(connection, ORDERS + SPEND_ORDERS)
    after = date(2025, 6, 30)
    with engine.connect() as connection:
        summed = material_spend(spend_since(connection, after, AS_OF))
        one_by_one = spend_by_material(item for item in ordered_items(connection, after, AS_OF)
                                       if item.order_date > after)
    assert summed == one_by_one and len(summed) == 6
    assert summed["0000100001"]["M-SPEND"] == (Decimal("12.50") * 12 + Decimal("12.3456") * Decimal("251.000"))
    assert any(item.price_unit == 100 for order in ORDERS for item in order.items)
