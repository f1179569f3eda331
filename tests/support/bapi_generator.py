"""A seeded generator of purchase orders and material documents for the test BAPI server.

`generate_dataset(seed)` returns the same `BapiDataset` for the same arguments. What it
guarantees, and what tests/unit/test_bapi_dataset.py checks:
- `orders` (default 36) purchase orders from six vendors, one every few days from `start`
  (default 2024-11-04) over about five months and across a year end; 1-3 items each, 1-3
  schedule lines per item; a few items deleted (DELETE_IND "L"); order acknowledgments ("AB")
  on some items, inbound delivery confirmations ("LA") on some of those, none on the rest;
- 101 goods receipts against the schedule lines due until `received_until` (default
  2025-04-15): some split in two, some reversed by a 102 naming the 101 (then posted again),
  some followed by a 122 return naming its 101; lines due later are not yet received;
- 161 returns, 103 receipts into blocked stock (a movement type srm-bridge does not count) and
  201 goods issues without a purchase order (transaction type "WA", number range 49...);
- a document groups the movements of one order, movement type and posting day; numbers restart
  each year ("5000000001" exists in both years), and the first receipt posted in the last week of
  the first year is reversed in the new year (a 102 of year 2 naming a 101 of year 1);
- some documents entered days after their posting date (posting date in the past).
"""
import random
from dataclasses import dataclass, field, replace
from datetime import date, time, timedelta
from decimal import Decimal

from tests.support.bapi_data import (
    BapiDataset, Confirmation, MaterialDocument, MaterialDocumentItem, PurchaseOrder, PurchaseOrderItem, ScheduleLine)

START = date(2024, 11, 4)
RECEIVED_UNTIL = date(2025, 4, 15)
VENDORS = tuple(f"{100001 + n:010d}" for n in range(6))
PLANTS = ("1000", "1100", "1200")
PRODUCTS = (("RAW-1001", "Steel sheet 2mm", "KG", "ROH01"), ("RAW-1002", "Copper wire", "KG", "ROH01"),
            ("CMP-2001", "Bearing 6204", "ST", "HALB01"), ("CMP-2002", "Gasket set", "ST", "HALB01"),
            ("PKG-3001", "Carton 40x30", "ST", "VERP01"))
USERS = ("WMS_RFC", "MKELLER", "JSMITH")


@dataclass
class _Movement:
    pstng_date: date
    move_type: str
    quantity: Decimal
    order: PurchaseOrder | None
    item: PurchaseOrderItem | None
    refers_to: "_Movement | None" = None           # the 101 a 102 reverses or a 122 returns from
    posted_as: tuple[str, str, str] | None = field(default=None, repr=False)


def generate_dataset(seed: int = 18, orders: int = 36, start: date = START,
                     received_until: date = RECEIVED_UNTIL) -> BapiDataset:
    rng = random.Random(seed)
    purchase_orders = [_purchase_order(rng, n, start + timedelta(days=n * 9 // 2)) for n in range(orders)]
    movements: list[_Movement] = []
    year_end = [False]
    for order in purchase_orders:
        for item in order.items:
            if item.delete_ind:
                continue
            for line in item.schedules:
                if line.delivery_date <= received_until:
                    movements += _line_receipts(rng, order, item, line, year_end)
    movements += _other_movements(rng, purchase_orders, start)
    return BapiDataset(tuple(purchase_orders), tuple(_documents(rng, movements)))


def _purchase_order(rng: random.Random, number: int, ordered: date) -> PurchaseOrder:
    items = tuple(_item(rng, f"{10 * (n + 1):05d}", ordered) for n in range(rng.choice((1, 2, 2, 3))))
    return PurchaseOrder(po_number=f"45{number + 1:08d}", doc_date=ordered,
                         creat_date=ordered - timedelta(days=rng.choice((0, 0, 1))), created_by=rng.choice(USERS[1:]),
                         vendor=VENDORS[number % len(VENDORS)], items=items)


def _item(rng: random.Random, po_item: str, ordered: date) -> PurchaseOrderItem:
    material, text, unit, group = rng.choice(PRODUCTS)
    lines, due = [], ordered + timedelta(days=rng.randrange(7, 21))
    for n in range(rng.choice((1, 1, 2, 3))):
        spot = time(rng.choice((10, 14)), 0) if rng.random() < 0.2 else time(0, 0)
        lines.append(ScheduleLine(f"{n + 1:04d}", due, spot, Decimal(rng.choice((10, 20, 50, 80))), due, ordered))
        due += timedelta(days=rng.randrange(5, 15))
    quantity = sum((line.quantity for line in lines), Decimal(0))
    confirmations = _confirmations(rng, lines, quantity)
    return PurchaseOrderItem(po_item, text, material, rng.choice(PLANTS), "0001", group, quantity, unit,
                             Decimal(rng.randrange(150, 9000)) / 100, Decimal(rng.choice((1, 100))), tuple(lines),
                             confirmations, delete_ind="L" if rng.random() < 0.06 else "",
                             ackn_reqd="X" if confirmations else "")


def _confirmations(rng: random.Random, lines: list[ScheduleLine], quantity: Decimal) -> tuple[Confirmation, ...]:
    if rng.random() < 0.45:
        return ()
    promised = lines[0].delivery_date + timedelta(days=rng.choice((0, 0, 1, 3)))
    confirmations = [Confirmation("0001", "AB", promised, time(0, 0), quantity, f"AB-{rng.randrange(10000, 99999)}")]
    if rng.random() < 0.3:
        delivery = f"0180{rng.randrange(0, 999999):06d}"
        confirmations.append(Confirmation("0002", "LA", promised, time(8, 0), lines[0].quantity,
                                          f"LS-{rng.randrange(10000, 99999)}", delivery, "000010"))
    return tuple(confirmations)


def _line_receipts(rng: random.Random, order: PurchaseOrder, item: PurchaseOrderItem, line: ScheduleLine,
                   year_end: list[bool]) -> list[_Movement]:
    posted = line.delivery_date + timedelta(days=rng.randrange(-2, 6))
    roll = rng.random()
    across_year = not year_end[0] and posted.month == 12 and posted.day >= 25
    if across_year:
        year_end[0], roll = True, 0.25                  # reversed in the new year
    if roll < 0.05:
        return []                                       # due, never received
    receipt = _Movement(posted, "101", line.quantity, order, item)
    if roll < 0.2:                                      # split delivery
        first = (line.quantity * rng.choice((40, 50, 70)) / 100).quantize(Decimal(1))
        return [replace(receipt, quantity=first),
                _Movement(posted + timedelta(days=rng.randrange(1, 6)), "101", line.quantity - first, order, item)]
    if roll < 0.3:                                      # posted by mistake, reversed, posted again
        later = date(posted.year + 1, 1, 2) if across_year else posted + timedelta(days=1)
        return [receipt, _Movement(later, "102", line.quantity, order, item, refers_to=receipt),
                _Movement(later + timedelta(days=1), "101", line.quantity, order, item)]
    if roll < 0.4:                                      # part sent back to the supplier
        returned = max(Decimal(1), (line.quantity / 10).quantize(Decimal(1)))
        return [receipt, _Movement(posted + timedelta(days=rng.randrange(2, 9)), "122", returned, order, item,
                                   refers_to=receipt)]
    return [receipt]


def _other_movements(rng: random.Random, orders: list[PurchaseOrder], start: date) -> list[_Movement]:
    movements = []
    for n, order in enumerate(rng.sample(orders, 6)):
        items = [i for i in order.items if not i.delete_ind]
        if not items:
            continue
        item = items[0]
        posted = item.schedules[0].delivery_date + timedelta(days=3)
        small = Decimal(rng.choice((1, 2, 5)))
        movements.append(_Movement(posted, ("161", "103", "161", "103", "161", "103")[n], small, order, item))
    for day in (10, 45, 80, 115, 150):                  # consumption: no purchase order
        movements.append(_Movement(start + timedelta(days=day), "201", Decimal(day % 7 + 1), None, None))
    return movements


def _documents(rng: random.Random, movements: list[_Movement]) -> list[MaterialDocument]:
    groups: dict[tuple, list[_Movement]] = {}
    for movement in movements:
        order = movement.order.po_number if movement.order else ""
        groups.setdefault((movement.pstng_date, order, movement.move_type), []).append(movement)
    counters: dict[tuple[str, int], int] = {}
    numbered = []
    for key in sorted(groups):
        posted, _, move_type = key
        series = "49" if move_type == "201" else "50"
        counters[(series, posted.year)] = number = counters.get((series, posted.year), 0) + 1
        mat_doc, year = f"{series}{number:08d}", str(posted.year)
        for index, movement in enumerate(groups[key]):
            movement.posted_as = (mat_doc, year, f"{index + 1:04d}")
        numbered.append((mat_doc, year, key))
    return [_document(rng, mat_doc, year, key, groups[key]) for mat_doc, year, key in numbered]


def _document(rng: random.Random, mat_doc: str, year: str, key: tuple, movements: list[_Movement]) -> MaterialDocument:
    posted, order_number, move_type = key
    entered = posted + timedelta(days=rng.choice((1, 2, 3))) if rng.random() < 0.15 else posted
    items = tuple(_document_item(m) for m in movements)
    return MaterialDocument(
        mat_doc=mat_doc, doc_year=year, tr_ev_type="WA" if move_type == "201" else "WE",
        doc_date=posted - timedelta(days=rng.choice((0, 0, 1))), pstng_date=posted, entry_date=entered,
        entry_time=time(rng.randrange(6, 20), rng.randrange(60), rng.randrange(60)), username=rng.choice(USERS),
        items=items, ref_doc_no=f"LS-{rng.randrange(10000, 99999)}" if move_type == "101" else "",
        header_txt="Consumption cost center" if move_type == "201" else "")


def _document_item(movement: _Movement) -> MaterialDocumentItem:
    _, _, matdoc_itm = movement.posted_as
    if movement.order is None:
        return MaterialDocumentItem(matdoc_itm, movement.move_type, "PKG-3001", "1000", movement.quantity, "ST",
                                    item_text="Packaging consumed")
    item, reference = movement.item, (movement.refers_to or movement).posted_as
    amount = (movement.quantity * item.net_price / item.price_unit).quantize(Decimal("0.01"))
    return MaterialDocumentItem(
        matdoc_itm, movement.move_type, item.material, item.plant, movement.quantity, item.po_unit,
        po_number=movement.order.po_number, po_item=item.po_item, vendor=movement.order.vendor,
        ref_doc_yr=reference[1], ref_doc=reference[0], ref_doc_it=reference[2], amount_lc=amount,
        currency=movement.order.currency, stge_loc=item.stge_loc, mvt_ind="B",
        stck_type="S" if movement.move_type == "103" else "")
