"""What stored records feed: the (supplier, month) pairs whose tallies storing them changes, marked dirty
for incremental scoring (`store.measurements`)."""
from collections import defaultdict
from datetime import date
from typing import NamedTuple

from sqlalchemy import Connection, literal, select

from domain.periods import period_of, shift_period
from domain.records import PurchaseOrder
from store.lookup import among
from store.tables import goods_movements, po_items, purchase_orders, schedule_lines


class Footprint(NamedTuple):
    """What stored orders feed: (supplier, month) of their order dates, line due dates and receipts; and
    each item's price facts (supplier, order date, PO, item, material, net price, price unit), which
    the price baselines of the supplier's later items read."""

    months: set[tuple[str, str]]
    prices: set[tuple]


def order_footprint(connection: Connection, po_ids: list[str]) -> tuple[Footprint, dict[str, set[date]]]:
    """The stored orders' footprint, and the days the movements stored for each of them were posted."""
    po = purchase_orders.c
    heads = connection.execute(
        select(po.vendor_id, po.order_date, po.po_id, po_items.c.item_id, po_items.c.material,
               po_items.c.net_price, po_items.c.price_unit)
        .outerjoin(po_items, po_items.c.po_id == po.po_id).where(among(connection, po.po_id, po_ids))).all()
    dated = connection.execute(
        select(po.po_id, po.vendor_id, schedule_lines.c.due_date, literal("due").label("kind"))
        .join(schedule_lines, schedule_lines.c.po_id == po.po_id).where(among(connection, po.po_id, po_ids))
        .union(select(po.po_id, po.vendor_id, goods_movements.c.posting_date, literal("posted"))
               .join(goods_movements, goods_movements.c.po_id == po.po_id)
               .where(among(connection, po.po_id, po_ids)))).all()
    months = {(vendor, period_of(day)) for vendor, day, *_ in heads} | {(vendor, period_of(day))
                                                                       for _, vendor, day, _ in dated}
    posted: dict[str, set[date]] = defaultdict(set)
    for po_id, _, day, kind in dated:
        if kind == "posted":
            posted[po_id].add(day)
    return Footprint(months, {tuple(row) for row in heads if row.item_id is not None}), posted


def footprint_of(orders: list[PurchaseOrder], posted: dict[str, set[date]]) -> Footprint:
    """The footprint the orders have once stored as given (what `order_footprint` would then read): storing
    an order leaves the movements stored for it as they are, posted on `posted` days."""
    months, prices = set(), set()
    for order in orders:
        vendor = order.vendor
        months.add((vendor, period_of(order.order_date)))
        months.update((vendor, period_of(day)) for day in posted.get(order.id, ()))
        for item in order.items:
            prices.add((vendor, order.order_date, order.id, item.id, item.material, item.net_price, item.price_unit))
            months.update((vendor, period_of(line.due)) for line in item.schedule_lines)
    return Footprint(months, prices)


def baseline_reach(prices: set[tuple]) -> set[tuple[str, str]]:
    """The months whose items may take one of these as their price baseline: the twelve after each order."""
    ordered = {(vendor, period_of(day)) for vendor, day, *_ in prices}
    return {(vendor, shift_period(period, ahead)) for vendor, period in ordered for ahead in range(1, 13)}


def movement_months(connection: Connection, keys: set[tuple[str, int, int]]) -> set[tuple[str, str]]:
    """(supplier, month) these stored movements feed: their posting months and the due months of every line
    of their PO items (receipts are allocated across an item's lines). A movement whose PO is not stored
    yet feeds nothing; storing the PO marks it.

    Looked up by document number, the key's leading column, and narrowed to the exact keys here: PostgreSQL
    plans a row-value IN list of a page's keys as hundreds of ORs, which cost more to plan than to run."""
    if not keys:
        return set()
    gm = goods_movements.c
    rows = connection.execute(
        select(gm.document, gm.year, gm.line, purchase_orders.c.vendor_id, gm.posting_date, schedule_lines.c.due_date)
        .join(purchase_orders, purchase_orders.c.po_id == gm.po_id)
        .outerjoin(schedule_lines, (schedule_lines.c.po_id == gm.po_id) & (schedule_lines.c.item_id == gm.item_id))
        .where(among(connection, gm.document, {document for document, _, _ in keys})))
    months = set()
    for document, year, line, vendor, posted, due in rows:
        if (document, year, line) not in keys:
            continue
        months.add((vendor, period_of(posted)))
        if due is not None:
            months.add((vendor, period_of(due)))
    return months
