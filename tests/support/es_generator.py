"""A seeded generator of purchase orders and their material documents for the test ES server.

`generate_dataset(seed)` returns the same `EsDataset` for the same arguments. What it guarantees,
and what the server's own tests check:
- at least `orders` (default 36) purchase orders from six vendors, 1–3 items each, 1–3 schedule
  lines per item, delivery times in CET or UTC; some items carry ERP confirmations ("AB", some
  also "LA"), others none;
- change times spread over weeks and out of step with the order numbers, so pages of 5 cross
  many pages and paging by ID differs from paging by change time; every fifth order shares its
  change time with the one generated before it (ties are broken by ID);
- material documents posted against the schedule lines: 101 receipts (some split in two, some
  naming no schedule line), 102 reversals naming the 101 they reverse (then a new 101), 122 and
  161 returns, 103 receipts into blocked stock, and 201 issues without a purchase order; a
  document groups the movements of one order, type and day; some documents changed later.
"""
import random
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from tests.support.es_data import (
    Amount, Confirmation, EsDataset, LocalDateTime, MaterialDocument, MaterialDocumentItem,
    MaterialDocumentReference, Price, PurchaseOrder, PurchaseOrderItem, PurchaseOrderReference, Quantity,
    ScheduleLine)

START = datetime(2025, 3, 3, 6, 0, tzinfo=timezone.utc)
VENDORS = tuple(f"{100001 + n:010d}" for n in range(6))
PLANTS = ("1000", "1100")
PRODUCTS = (("RAW-1001", "KG"), ("RAW-1002", "KG"), ("CMP-2001", "PC"), ("CMP-2002", "PC"), ("PKG-3001", "PC"))


@dataclass
class _Movement:
    posting_date: date
    type_code: str
    quantity: Quantity
    reference: PurchaseOrderReference | None
    reverses: "_Movement | None" = None
    posted_as: MaterialDocumentReference | None = field(default=None, repr=False)


def generate_dataset(seed: int = 12, orders: int = 36, start: datetime = START) -> EsDataset:
    rng = random.Random(seed)
    purchase_orders = [_purchase_order(rng, number, start) for number in range(orders)]
    for number in range(4, orders, 5):        # ties: changed at the same moment as the order before
        purchase_orders[number], purchase_orders[number - 1] = _tie(purchase_orders[number], purchase_orders[number - 1])
    received_until = (start + timedelta(days=40)).date()
    movements = [m for order in purchase_orders for m in _receipts(rng, order, received_until)]
    movements += _other_movements(rng, purchase_orders, start)
    return EsDataset(tuple(purchase_orders), tuple(_material_documents(rng, movements)))


def _purchase_order(rng: random.Random, number: int, start: datetime) -> PurchaseOrder:
    ordered = start + timedelta(days=number // 2, minutes=rng.randrange(0, 600))
    items = tuple(_item(rng, f"{10 * (n + 1):05d}", ordered.date()) for n in range(rng.choice((1, 2, 2, 3))))
    changed = ordered + timedelta(days=rng.randrange(0, 21), minutes=rng.randrange(0, 1440))
    return PurchaseOrder(id=f"45{number + 1:08d}", purchase_order_date=ordered.date(), creation_date_time=ordered,
                         last_change_date_time=changed.replace(second=0, microsecond=0),
                         seller_party_internal_id=VENDORS[number % len(VENDORS)], items=items)


def _item(rng: random.Random, item_id: str, ordered: date) -> PurchaseOrderItem:
    product, unit = rng.choice(PRODUCTS)
    zone = rng.choice(("CET", "CET", "CET", "UTC"))
    lines, due = [], ordered + timedelta(days=rng.randrange(7, 21))
    for n in range(rng.choice((1, 1, 2, 3))):
        wall = datetime.combine(due, time(rng.choice((8, 10, 14))))
        lines.append(ScheduleLine(str(n + 1), LocalDateTime(wall, zone), Quantity(Decimal(rng.choice((10, 20, 50, 80))), unit)))
        due += timedelta(days=rng.randrange(5, 15))
    total = Quantity(sum((line.quantity.value for line in lines), Decimal(0)), unit)
    price = Price(Amount(Decimal(rng.randrange(150, 9000)) / 100, "EUR"), Quantity(Decimal(rng.choice((1, 100))), unit))
    return PurchaseOrderItem(item_id, total, rng.choice(PLANTS), product, price, _confirmations(rng, lines, total),
                             tuple(lines))


def _confirmations(rng: random.Random, lines: list[ScheduleLine], total: Quantity) -> tuple[Confirmation, ...]:
    if rng.random() < 0.45:
        return ()
    first = lines[0].delivery_date_time
    promised = LocalDateTime(first.value + timedelta(days=rng.choice((0, 0, 1, 3))), first.time_zone_code)
    confirmations = [Confirmation("1", "AB", total, promised)]
    if rng.random() < 0.3:
        shipped = Quantity(lines[0].quantity.value, total.unit_code)
        confirmations.append(Confirmation("2", "LA", shipped, promised))
    return tuple(confirmations)


def _tie(order: PurchaseOrder, other: PurchaseOrder) -> tuple[PurchaseOrder, PurchaseOrder]:
    """Both orders changed at the same moment: the later of their two change times."""
    moment = max(order.last_change_date_time, other.last_change_date_time)
    return replace(order, last_change_date_time=moment), replace(other, last_change_date_time=moment)


def _receipts(rng: random.Random, order: PurchaseOrder, received_until: date) -> list[_Movement]:
    movements = []
    for item in order.items:
        for line in item.schedule_lines:
            due = line.delivery_date_time.value.date()
            if due > received_until:
                continue
            posted = due + timedelta(days=rng.randrange(-2, 6))
            named = line.id if rng.random() < 0.8 else None
            reference = PurchaseOrderReference(order.id, item.id, named)
            movements += _line_receipts(rng, rng.random(), posted, line.quantity, reference)
    return movements


def _line_receipts(rng: random.Random, roll: float, posted: date, quantity: Quantity,
                   reference: PurchaseOrderReference) -> list[_Movement]:
    if roll < 0.05:
        return []                                       # due, never received
    receipt = _Movement(posted, "101", quantity, reference)
    if roll < 0.2:                                      # split delivery
        first = (quantity.value * rng.choice((40, 50, 70)) / 100).quantize(Decimal(1))
        rest = _Movement(posted + timedelta(days=rng.randrange(1, 6)), "101",
                         Quantity(quantity.value - first, quantity.unit_code), reference)
        return [_Movement(posted, "101", Quantity(first, quantity.unit_code), reference), rest]
    if roll < 0.3:                                      # posted by mistake, reversed, posted again
        reversal = _Movement(posted + timedelta(days=1), "102", quantity, reference, reverses=receipt)
        return [receipt, reversal, _Movement(posted + timedelta(days=2), "101", quantity, reference)]
    if roll < 0.4:                                      # part sent back to the supplier
        returned = Quantity(max(Decimal(1), (quantity.value / 10).quantize(Decimal(1))), quantity.unit_code)
        return [receipt, _Movement(posted + timedelta(days=rng.randrange(2, 9)), "122", returned, reference)]
    return [receipt]


def _other_movements(rng: random.Random, orders: list[PurchaseOrder], start: datetime) -> list[_Movement]:
    movements = []
    for n, order in enumerate(rng.sample(orders, 6)):
        item = order.items[0]
        posted = item.schedule_lines[0].delivery_date_time.value.date() + timedelta(days=3)
        small = Quantity(Decimal(rng.choice((1, 2, 5))), item.quantity.unit_code)
        type_code = ("161", "103", "161", "103", "122", "103")[n]
        movements.append(_Movement(posted, type_code, small, PurchaseOrderReference(order.id, item.id)))
    for day in (3, 11, 19, 27):                         # consumption, no purchase order
        movements.append(_Movement((start + timedelta(days=day)).date(), "201", Quantity(Decimal(day), "PC"), None))
    return movements


def _material_documents(rng: random.Random, movements: list[_Movement]) -> list[MaterialDocument]:
    groups: dict[tuple, list[_Movement]] = {}
    for movement in movements:
        order = movement.reference.id if movement.reference else None
        groups.setdefault((movement.posting_date, order or "", movement.type_code), []).append(movement)
    documents: list[MaterialDocument] = []
    for number, key in enumerate(sorted(groups)):
        posted, year = key[0], str(key[0].year)
        document_id = f"50{number + 1:08d}"
        items = []
        for index, movement in enumerate(groups[key]):
            item_id = f"{index + 1:04d}"
            movement.posted_as = MaterialDocumentReference(document_id, year, item_id)
            items.append(MaterialDocumentItem(item_id, movement.type_code, movement.quantity, movement.reference,
                                              movement.reverses.posted_as if movement.reverses else None))
        created = datetime.combine(posted, time(rng.randrange(6, 20), rng.choice((0, 15, 30, 45))), timezone.utc)
        if documents and documents[-1].posting_date == posted and rng.random() < 0.3:
            created = documents[-1].creation_date_time  # posted in the same second as the one before
        changed = created + timedelta(days=rng.randrange(1, 10)) if rng.random() < 0.2 else created
        documents.append(MaterialDocument(document_id, year, posted, created, changed, tuple(items)))
    return documents
