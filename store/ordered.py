"""What scoring reads of the items ordered: with their confirmations, as price baselines, as spend."""
from datetime import date, timedelta
from decimal import Decimal
from typing import Iterable, Iterator

from sqlalchemy import ColumnElement, Connection, Select, and_, func, select, true

from domain.deliveries import OrderedItem
from store.records import STREAMED_ROWS
from store.tables import confirmations, po_items, purchase_orders

_ITEM = (purchase_orders.c.vendor_id, po_items.c.po_id, po_items.c.item_id, po_items.c.material,
         purchase_orders.c.order_date, po_items.c.quantity, po_items.c.net_price, po_items.c.price_unit)


def _ordered(*columns: ColumnElement) -> Select:
    """`columns` of the PO items joined with their orders."""
    return select(*columns).join(purchase_orders, purchase_orders.c.po_id == po_items.c.po_id)


def ordered_items(connection: Connection, ordered_from: date, as_of: date,
                  suppliers: Iterable[str] | None = None) -> list[OrderedItem]:
    """PO items ordered in `[ordered_from, as_of]` (of `suppliers`, when given), with their first confirmation
    (whenever it was made).

    A confirmation counts from the date SAP sent for it, else from the day srm-bridge first saw it.
    """
    po, c = purchase_orders.c, confirmations.c
    of_suppliers = po.vendor_id.in_(list(suppliers)) if suppliers is not None else true()
    confirmed_orders = select(po.po_id).where(po.order_date >= ordered_from, po.order_date <= as_of, of_suppliers)
    first_confirmation = (select(c.po_id, c.item_id,
                                 func.min(func.coalesce(c.confirmed_on, c.first_seen_on)).label("first_confirmed_on"),
                                 func.min(c.confirmed_on).label("first_sap_date"))
                          .where(c.po_id.in_(confirmed_orders)).group_by(c.po_id, c.item_id).subquery())
    rows = connection.execute(
        _ordered(*_ITEM, first_confirmation.c.first_confirmed_on, first_confirmation.c.first_sap_date)
        .outerjoin(first_confirmation, (first_confirmation.c.po_id == po_items.c.po_id)
                   & (first_confirmation.c.item_id == po_items.c.item_id))
        .where(po.order_date >= ordered_from, po.order_date <= as_of, of_suppliers))
    return [OrderedItem(*row[:-1], _dated_by(row.first_confirmed_on, row.first_sap_date)) for row in rows]


def price_history(connection: Connection, suppliers: Iterable[str], starts: tuple[date, date],
                  priced_from: date) -> list[OrderedItem]:
    """Of `suppliers`, the items ordered before `priced_from` that can be the price baseline of a later item
    whose 12 months back start in `starts` (first, last), without confirmations: they only price later items.

    A baseline is the first item of the material ordered from the start of those 12 months on
    (`mapping.kpis.baseline_prices`): one ordered in `starts`, or else one of the first day its material was
    ordered after them. Every other item before `priced_from` comes after one of those and prices nothing.
    An incremental run that prices the last two months reads four months of items here, not twelve."""
    first, last = starts[0], min(starts[1], priced_from - timedelta(days=1))
    po, pi, chosen = purchase_orders.c, po_items.c, list(suppliers)
    after_starts = (po.order_date > last, po.order_date < priced_from, po.vendor_id.in_(chosen))
    after_last = _ordered(po.vendor_id, pi.material, func.min(po.order_date).label("day")).where(*after_starts) \
        .group_by(po.vendor_id, pi.material).subquery("first_after")
    within = _ordered(*_ITEM).where(po.order_date >= first, po.order_date <= last, po.vendor_id.in_(chosen))
    first_days = _ordered(*_ITEM).where(*after_starts).join(after_last, and_(
        after_last.c.vendor_id == po.vendor_id, after_last.c.material == pi.material,
        after_last.c.day == po.order_date))
    return [OrderedItem(*row) for row in connection.execute(within.union_all(first_days))]


def spend_since(connection: Connection, after: date, as_of: date) -> Iterator[tuple[str, str, Decimal]]:
    """(supplier, material, spend) parts of the PO items ordered in `(after, as_of]`, streamed: what spend sums
    read. The database sums the quantities ordered at each price (a year of items comes as a fifth as many
    rows at 5,000 suppliers), and each sum is priced here: the spend of the items priced one by one, to the
    last digit wherever a unit price is an exact decimal (a price unit of 1, 10, 100, …)."""
    po, pi = purchase_orders.c, po_items.c
    rows = connection.execute(
        _ordered(po.vendor_id, pi.material, pi.net_price, pi.price_unit, func.sum(pi.quantity))
        .where(po.order_date > after, po.order_date <= as_of)
        .group_by(po.vendor_id, pi.material, pi.net_price, pi.price_unit)
        .execution_options(yield_per=STREAMED_ROWS))
    for vendor, material, net_price, price_unit, quantity in rows:
        yield vendor, material, net_price / price_unit * quantity


def _dated_by(first: date | None, sap_date: date | None) -> str | None:
    if first is None:
        return None
    return "SAP" if sap_date == first else "first seen"
