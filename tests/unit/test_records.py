"""Domain records are strict: a value means exactly one thing or its record is refused."""
from decimal import Decimal

import pytest
from pydantic import ValidationError

from domain.records import GoodsMovement, PurchaseOrder, SupplierAccount, normalize_vendor_id

ORDER = {"id": "4500000001", "vendor": "100001", "order_date": "2026-04-01", "currency": "EUR",
         "changed_at": "2026-04-01T08:00:00Z",
         "items": [{"id": "00010", "material": "M-1", "plant": "1000", "quantity": "100", "unit": "EA",
                    "net_price": "10.00", "price_unit": 1,
                    "schedule_lines": [{"id": "0001", "due": "2026-05-10", "quantity": "100"}],
                    "confirmations": [{"confirmed_on": "2026-04-02", "due": "2026-05-10", "quantity": "100"}]}]}
MOVEMENT = {"document": "5000000001", "year": 2026, "line": 1, "movement_type": "101", "posting_date": "2026-05-10",
            "quantity": "100", "unit": "EA", "po": "4500000001", "po_item": "00010", "changed_at": "2026-05-10T00:00:00Z"}
ACCOUNT = {"id": "001000000000001AAA", "name": "Acme", "vendor_id": "100001", "modstamp": "2026-05-01T00:00:00Z"}


def order(**header) -> dict:
    return {**ORDER, **header}


def item(**fields) -> dict:
    return order(items=[{**ORDER["items"][0], **fields}])


def line(**fields) -> dict:
    return item(schedule_lines=[{**ORDER["items"][0]["schedule_lines"][0], **fields}])


@pytest.mark.parametrize("raw, case", [
    (item(quantity="1_000"), "digit group separators"),
    (item(quantity="١٠٠"), "Arabic-Indic digits"),
    (item(quantity="1e3"), "an exponent"),
    (item(quantity=" 100"), "spaces"),
    (item(quantity=100.5), "a binary float"),
    (item(net_price="NaN"), "not a number"),
    (item(price_unit="1_000"), "a whole number with separators"),
    (item(price_unit="٣"), "a whole number in other digits"),
    (item(price_unit=True), "a boolean for a number"),
    (order(order_date="9999-12-31"), "a date after 2199"),
    (order(order_date="1899-12-31"), "a date before 1900"),
    (order(order_date="2026-02-30"), "a day the month does not have"),
    (order(order_date="2026-03-01T25:00:00"), "a date-time at hour 25"),
    (order(order_date="٢٠٢٦-٠٣-٠١"), "a date in other digits"),
    (order(changed_at="2026-03-01T25:00:00"), "an instant at hour 25"),
    (order(changed_at="2026-03-01T24:00:00Z"), "an instant at hour 24"),
    (order(changed_at="1700000000"), "an epoch number for an instant"),
    (order(changed_at="2026-03-01"), "a date for an instant"),
    (order(changed_at="9999-12-31T23:00:00-05:00"), "an instant after 2199"),
    (line(due="2200-01-01"), "a due date after 2199"),
    (order(currency="E\x00R"), "a NUL in a code"),
    (item(material="M\x001"), "a NUL in text"),
    (item(plant="10 00"), "a space in a code"),
    (item(schedule_lines=[]), "an item without schedule lines"),
])
def test_a_purchase_order_with_a_value_that_is_not_exactly_one_thing_is_refused(raw, case):
    with pytest.raises(ValidationError):
        PurchaseOrder.model_validate(raw)


@pytest.mark.parametrize("vendor", ["A.B.C", "#", "\u202e0001", "<X>", "١٢٣", "12345678901", "A*", "AB CD", ""])
def test_vendor_ids_outside_sap_vendor_numbers_are_refused(vendor):
    with pytest.raises(ValidationError, match="vendor"):
        PurchaseOrder.model_validate(order(vendor=vendor))


@pytest.mark.parametrize("vendor, supplier", [("100001", "0000100001"), (" 42 ", "0000000042"), ("ab-1", "AB-1"),
                                              ("V/100_A", "V/100_A")])
def test_vendor_ids_take_sap_alpha_conversion(vendor, supplier):
    assert normalize_vendor_id(vendor) == supplier


def test_strict_values_still_read_as_sap_writes_them():
    read = PurchaseOrder.model_validate(order(order_date="2026-04-01T00:00:00", changed_at="2026-04-01 08:00:00+0200"))
    assert str(read.order_date) == "2026-04-01" and read.changed_at.utcoffset().total_seconds() == 7200
    assert read.items[0].quantity == Decimal("100")
    assert PurchaseOrder.model_validate(item(quantity="+100.500", net_price=".5")).items[0].net_price == Decimal("0.5")


@pytest.mark.parametrize("field, value", [("year", "٢٠٢٦"), ("year", 2200), ("line", "1_0"), ("posting_date", "2026-13-01"),
                                          ("quantity", "0"), ("changed_at", 0)])
def test_a_goods_movement_with_a_strange_value_is_refused(field, value):
    with pytest.raises(ValidationError):
        GoodsMovement.model_validate({**MOVEMENT, field: value})


@pytest.mark.parametrize("field, value", [("id", "001'; DROP--xxxxxx"), ("name", "Acme\x00"), ("owner_id", "005 0000"),
                                          ("vendor_id", "A.B.C"), ("modstamp", "yesterday")])
def test_an_account_with_a_strange_value_is_refused(field, value):
    with pytest.raises(ValidationError):
        SupplierAccount.model_validate({**ACCOUNT, field: value})
