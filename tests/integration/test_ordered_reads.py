"""What scoring reads of the items ordered, on SQLite and PostgreSQL: the spend the database sums per price is the
spend of the items priced one by one, and the price history read for a few months prices them as a year would."""
from datetime import date
from decimal import Decimal

import pytest

from domain.records import PurchaseOrder
from mapping.kpis import baseline_prices, months_before
from mapping.segments import material_spend, spend_by_material
from sandbox.generator import generate_sap
from store.ordered import ordered_items, price_history, spend_since
from store.records import store_purchase_orders
from sync.batches import priced_items
from tests.support.records import sap_records

AS_OF = date(2026, 6, 30)
GENERATED, _ = sap_records(generate_sap(6, 30, seed=23, as_of=AS_OF))
# every item at a price of its own: a baseline taken from the wrong item would show
ORDERS = [PurchaseOrder.model_validate({**dumped, "items": [
    {**item, "net_price": str(Decimal(int(dumped["id"]) % 10**6) + Decimal(n) / 100)}
    for n, item in enumerate(dumped["items"])]}) for dumped in (order.model_dump() for order in GENERATED)]
SUPPLIERS = sorted({order.vendor for order in ORDERS})


def an_order(po_id: str, ordered: str, material: str, quantity: str = "5", net_price: str = "12.50",
             price_unit: int = 1) -> PurchaseOrder:
    return PurchaseOrder.model_validate({
        "id": po_id, "vendor": "0000100001", "order_date": ordered, "currency": "EUR",
        "changed_at": f"{ordered}T09:00:00Z",
        "items": [{"id": "00010", "material": material, "plant": "1000", "quantity": quantity, "unit": "EA",
                   "net_price": net_price, "price_unit": price_unit,
                   "schedule_lines": [{"id": "0001", "due": ordered, "quantity": quantity}]}]})


@pytest.fixture
def stored(engine):
    with engine.begin() as connection:
        store_purchase_orders(connection, ORDERS)
    return engine


def test_spend_summed_per_price_is_the_spend_of_the_items_one_by_one(stored):
    # one price three times (once on the first day of the year, which is out, and once on the as-of, which is
    # in), another per 100 with fractional quantities, and an order after the as-of (out)
    with stored.begin() as connection:
        store_purchase_orders(connection, [
            an_order("4590000001", "2025-06-30", "M-SPEND", "5"), an_order("4590000002", "2025-07-01", "M-SPEND", "5"),
            an_order("4590000003", "2026-06-30", "M-SPEND", "7"),
            an_order("4590000004", "2026-01-15", "M-SPEND", "250.125", "1234.56", 100),
            an_order("4590000005", "2026-02-15", "M-SPEND", "0.875", "1234.56", 100),
            an_order("4590000006", "2026-07-01", "M-SPEND", "9")])
    after = date(2025, 6, 30)
    with stored.connect() as connection:
        summed = material_spend(spend_since(connection, after, AS_OF))
        one_by_one = spend_by_material(item for item in ordered_items(connection, after, AS_OF)
                                       if item.order_date > after)
    assert summed == one_by_one and len(summed) == 6
    assert summed["0000100001"]["M-SPEND"] == (Decimal("12.50") * 12 + Decimal("12.3456") * Decimal("251.000"))
    assert any(item.price_unit == 100 for order in ORDERS for item in order.items)


def test_the_price_history_holds_what_can_be_a_baseline_and_nothing_later(stored):
    """Pricing May and June 2026: baselines start between 2025-05-01 and 2025-06-30."""
    with stored.begin() as connection:
        store_purchase_orders(connection, [
            an_order("4590000010", "2025-04-30", "M-BASE"),  # before every start
            an_order("4590000011", "2025-05-20", "M-BASE"),  # within the starts
            an_order("4590000013", "2025-08-10", "M-BASE"), an_order("4590000012", "2025-08-10", "M-BASE"),
            an_order("4590000014", "2025-09-01", "M-BASE"),  # after an earlier one: never a baseline
            an_order("4590000015", "2026-05-05", "M-BASE"),  # priced, read with its confirmations
            an_order("4590000020", "2025-03-01", "M-GAP"),  # M-GAP: nothing in the starts
            an_order("4590000022", "2025-11-11", "M-GAP"), an_order("4590000021", "2025-10-10", "M-GAP")])
    with stored.connect() as connection:
        history = price_history(connection, ["0000100001"], (date(2025, 5, 1), date(2025, 6, 30)), date(2026, 5, 1))
    assert sorted((i.material, i.po_id) for i in history if i.material in ("M-BASE", "M-GAP")) == [
        ("M-BASE", "4590000011"), ("M-BASE", "4590000012"), ("M-BASE", "4590000013"), ("M-GAP", "4590000021")]
    assert all(i.first_confirmed_on is None for i in history)


@pytest.mark.parametrize("priced_from", [date(2026, 5, 1), date(2026, 1, 1), date(2025, 7, 1), date(2024, 7, 1)])
def test_items_priced_from_their_history_get_the_baselines_a_whole_year_gives(stored, priced_from):
    with stored.connect() as connection:
        year = ordered_items(connection, months_before(priced_from, 12), AS_OF, SUPPLIERS[1:4])
        priced = priced_items(connection, SUPPLIERS[1:4], priced_from, AS_OF)
    in_months = {(i.supplier_id, i.po_id, i.item_id) for i in year if i.order_date >= priced_from}
    expected = {key: price for key, price in baseline_prices(year).items() if key in in_months}
    assert {key: price for key, price in baseline_prices(priced).items() if key in in_months} == expected
    assert len(expected) >= 20
    assert (len(priced) < len(year)) == (priced_from > date(2025, 7, 1))  # until then the year is read whole
