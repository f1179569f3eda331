"""Seeded generator of realistic SAP and Salesforce extracts, in the dataset format of DESIGN.md.

Suppliers follow distinct behaviours so that scorecards differ for a reason: reliable,
chronically late, early shipper, quality problems, deteriorating. Nothing is posted after
`as_of`; lines due later stay open.
"""
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

BEHAVIOURS = ("reliable", "chronically_late", "early_shipper", "quality_problems", "deteriorating")
CATEGORIES = ("Electronics", "Packaging", "Chemicals", "Machined Parts", "Logistics")
OWNERS = (("005000000000001AAA", "Ana Weber"), ("005000000000002AAA", "Liam Chen"), ("005000000000003AAA", "Sofia Rossi"))
TIERS = (None, None, "Strategic", "Preferred", None)
RISK_RATINGS = ("Low", "Low", "Medium", "High")


@dataclass(frozen=True)
class Supplier:
    vendor: str
    name: str
    behaviour: str
    category: str


def month_starts(as_of: date, months: int) -> list[date]:
    first = as_of.replace(day=1)
    starts = []
    for back in range(months - 1, -1, -1):
        year, month = divmod(first.year * 12 + first.month - 1 - back, 12)
        starts.append(date(year, month + 1, 1))
    return starts


def suppliers_for(count: int) -> list[Supplier]:
    return [
        Supplier(
            vendor=str(100001 + n).zfill(10),
            name=f"{('Acme', 'Borealis', 'Cobalt', 'Delta', 'Everest', 'Fjord', 'Granite')[n % 7]} Supply {n + 1:03d}",
            behaviour=BEHAVIOURS[n % len(BEHAVIOURS)],
            category=CATEGORIES[n % len(CATEGORIES)],
        )
        for n in range(count)
    ]


def _stamp(day: date, hour: int = 8) -> str:
    return datetime.combine(day, time(hour), tzinfo=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Builder:
    def __init__(self, seed: int, as_of: date, months: int) -> None:
        self.rng = random.Random(seed)
        self.as_of = as_of
        self.months = months
        self.purchase_orders: list[dict] = []
        self.movements: list[dict] = []
        self.next_po = 4500000001
        self.next_doc = 5000000001

    def delivery_offset(self, supplier: Supplier, month_index: int) -> int:
        rng, behaviour = self.rng, supplier.behaviour
        if behaviour == "chronically_late":
            return rng.choice((0, 0, 3, 5, 7, 10))
        if behaviour == "early_shipper":
            return rng.choice((0, -1, -4, -6, -8))
        if behaviour == "deteriorating":
            late_chance = 0.05 + 0.7 * month_index / max(1, self.months - 1)
            return rng.choice((3, 6, 9)) if rng.random() < late_chance else rng.choice((0, -1))
        return rng.choice((0, 0, 0, -1, -2))

    def post(self, movement_type: str, day: date, quantity: Decimal, po: str, item: str,
             schedule_line: str | None, reverses: dict | None = None) -> dict | None:
        if day > self.as_of:
            return None
        movement = {
            "document": str(self.next_doc), "year": day.year, "line": 1, "movement_type": movement_type,
            "posting_date": day.isoformat(), "quantity": str(quantity), "unit": "EA",
            "po": po, "po_item": item, "changed_at": _stamp(day, 0),
        }
        if schedule_line is not None:
            movement["schedule_line"] = schedule_line
        if reverses is not None:
            movement["reverses"] = reverses
        self.next_doc += 1
        self.movements.append(movement)
        return movement

    def deliver(self, supplier: Supplier, month_index: int, po: str, item: str, line: dict) -> None:
        rng = self.rng
        due = date.fromisoformat(line["due"])
        quantity = Decimal(line["quantity"])
        arrival = due + timedelta(days=self.delivery_offset(supplier, month_index))
        named_line = line["id"] if rng.random() < 0.8 else None
        if rng.random() < 0.15:
            first = (quantity * Decimal("0.6")).quantize(Decimal(1))
            self.post("101", arrival - timedelta(days=1), first, po, item, named_line)
            self.post("101", arrival, quantity - first, po, item, named_line)
        else:
            receipt = self.post("101", arrival, quantity, po, item, named_line)
            if receipt is not None and rng.random() < 0.04:
                ref = {"document": receipt["document"], "year": receipt["year"], "line": 1}
                self.post("102", arrival, quantity, po, item, named_line, reverses=ref)
                self.post("101", arrival + timedelta(days=rng.choice((0, 2))), quantity, po, item, named_line)
        if supplier.behaviour == "quality_problems" and rng.random() < 0.35:
            returned = max(Decimal(1), (quantity * Decimal(rng.choice(("0.05", "0.1", "0.2")))).quantize(Decimal(1)))
            self.post(rng.choice(("122", "161")), arrival + timedelta(days=3), returned, po, item, named_line)
        elif rng.random() < 0.02:
            self.post("122", arrival + timedelta(days=2), Decimal(1), po, item, named_line)

    def order(self, supplier: Supplier, month_index: int, month: date) -> None:
        rng = self.rng
        order_date = month + timedelta(days=rng.randrange(0, 27))
        if order_date > self.as_of:
            return
        po = str(self.next_po)
        self.next_po += 1
        confirmed_on = order_date + timedelta(days=rng.choice((1, 1, 2, 3, 6)))  # the supplier acknowledges the order
        items = []
        for item_index in range(rng.choice((1, 1, 2, 3))):
            item_id = f"{(item_index + 1) * 10:05d}"
            quantity = Decimal(rng.choice((50, 100, 200, 500, 1000)))
            lead_days = rng.randrange(14, 35)
            halves = rng.random() < 0.25
            line_quantities = [quantity / 2, quantity / 2] if halves else [quantity]
            lines = [
                {"id": f"{n + 1:04d}", "due": (order_date + timedelta(days=lead_days + 14 * n)).isoformat(),
                 "quantity": str(q.quantize(Decimal(1)))}
                for n, q in enumerate(line_quantities)
            ]
            base_price = Decimal(10 + (int(supplier.vendor) + item_index) % 40)
            price_unit = rng.choice((1, 1, 1, 100))
            price = (base_price * price_unit * Decimal(rng.choice(("1.00", "1.00", "1.02", "0.98")))).quantize(Decimal("0.01"))
            confirmations = [{"date": confirmed_on.isoformat(), "due": lines[0]["due"], "quantity": str(quantity)}] \
                if confirmed_on <= self.as_of else []
            items.append({
                "id": item_id, "material": f"M-{int(supplier.vendor) % 1000:03d}-{item_index + 1}", "plant": "1000",
                "quantity": str(quantity), "unit": "EA", "net_price": str(price), "price_unit": price_unit,
                "schedule_lines": lines, "confirmations": confirmations,
            })
        self.purchase_orders.append({
            "id": po, "vendor": supplier.vendor, "order_date": order_date.isoformat(), "currency": "EUR",
            "changed_at": _stamp(order_date, 0), "items": items,
        })
        for item in items:
            for line in item["schedule_lines"]:
                self.deliver(supplier, month_index, po, item["id"], line)


def generate_sap(suppliers: int, months: int, seed: int, as_of: date, orders_per_month: int = 4) -> dict:
    builder = _Builder(seed, as_of, months)
    for month_index, month in enumerate(month_starts(as_of, months)):
        for supplier in suppliers_for(suppliers):
            for _ in range(orders_per_month):
                builder.order(supplier, month_index, month)
    builder.movements.sort(key=lambda m: (m["changed_at"], m["document"]))
    return {"purchase_orders": builder.purchase_orders, "goods_movements": builder.movements}


def generate_salesforce(suppliers: int, seed: int, as_of: date) -> dict:
    """One Account per supplier but the last; plus one Account that names no SAP vendor."""
    rng = random.Random(seed + 1)
    stamp = _stamp(as_of - timedelta(days=1), 0)
    accounts = []
    for n, supplier in enumerate(suppliers_for(suppliers)[: max(0, suppliers - 1)]):
        owner_id, owner_name = OWNERS[n % len(OWNERS)]
        accounts.append({
            "Id": f"001{n + 1:012d}AAA", "Name": supplier.name, "SAP_Vendor_Id__c": supplier.vendor.lstrip("0"),
            "OwnerId": owner_id, "Owner": {"Name": owner_name}, "Industry": supplier.category,
            "Supplier_Tier__c": TIERS[n % len(TIERS)], "Risk_Rating__c": rng.choice(RISK_RATINGS),
            "SystemModstamp": stamp, "IsDeleted": False,
        })
    accounts.append({
        "Id": "001999999999999AAA", "Name": "Prospect Without Vendor", "SAP_Vendor_Id__c": None,
        "OwnerId": OWNERS[0][0], "Owner": {"Name": OWNERS[0][1]}, "Industry": None,
        "Supplier_Tier__c": None, "Risk_Rating__c": None, "SystemModstamp": stamp, "IsDeleted": False,
    })
    return {"accounts": accounts}
