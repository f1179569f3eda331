"""Store SAP and Salesforce records by natural key, and read them back for the KPI engine."""
from collections import defaultdict
from datetime import date, timezone
from typing import Iterable, Iterator

from sqlalchemy import (ColumnElement, Connection, Date, Select, String, Subquery, and_, bindparam, delete, false, func,
                        or_, select, true, tuple_)
from sqlalchemy.dialects.postgresql import ARRAY

from domain.records import GoodsMovement, PurchaseOrder, Rejected, SupplierAccount, first_copies
from domain.suppliers import SupplierProfile
from domain.deliveries import ActionDue, ItemHistory, LineOrder, Movement
from store.tables import (
    confirmations,
    corrective_actions,
    goods_movements,
    po_items,
    purchase_orders,
    schedule_lines,
    supplier_accounts,
)
from store.footprints import baseline_reach, footprint_of, movement_months, order_footprint
from store.lookup import among
from store.measurements import mark_dirty, mark_input_changed
from store.upsert import insert_rows, upsert


STREAMED_ROWS = 5000  # rows fetched at a time where a read is streamed: the driver never holds the whole result
# On SQLite, items are read by supplier and date range up to this many ranges; beyond, the suppliers' items
# whole (one condition per range is more than its parser takes well).
READ_BY_MONTH_UP_TO = 200


def utc(value):  # noqa: ANN001, ANN201 - datetime in, datetime out
    """SQLite hands instants back naive; every instant srm-bridge stores is UTC."""
    return value.replace(tzinfo=timezone.utc) if value is not None and value.tzinfo is None else value


def store_purchase_orders(connection: Connection, orders: list[PurchaseOrder]) -> list[Rejected]:
    """Upsert headers and replace each order's items, lines and confirmations: a rerun changes nothing.
    An order, item or schedule line repeated in the batch is stored once, as first given; the other
    copies are refused as duplicates."""
    orders, refused = first_copies(orders, lambda order: order.id, lambda order: order.id)
    for n, order in enumerate(orders):
        orders[n], repeated = order.without_repeats()
        refused += repeated
    if not orders:
        return refused
    ids = [order.id for order in orders]
    before, posted = order_footprint(connection, ids)
    first_seen = _confirmations_first_seen(connection, ids)
    upsert(connection, purchase_orders, [
        {"po_id": o.id, "vendor_id": o.vendor, "order_date": o.order_date, "currency": o.currency,
         "changed_at": o.changed_at.astimezone(timezone.utc)} for o in orders], ["po_id"])
    for table in (confirmations, schedule_lines, po_items):
        connection.execute(delete(table).where(among(connection, table.c.po_id, ids)))
    items, lines, confs = [], [], []
    for order in orders:
        for item in order.items:
            items.append({"po_id": order.id, "item_id": item.id, "material": item.material, "plant": item.plant,
                          "quantity": item.quantity, "unit": item.unit, "net_price": item.net_price,
                          "price_unit": item.price_unit})
            lines.extend({"po_id": order.id, "item_id": item.id, "line_id": line.id, "due_date": line.due,
                          "quantity": line.quantity} for line in item.schedule_lines)
            confs.extend({"po_id": order.id, "item_id": item.id, "seq": n, "confirmation_id": c.id,
                          "processing_type": c.processing_type, "confirmed_on": c.confirmed_on,
                          "first_seen_on": first_seen.get((order.id, item.id, _confirmation_key(c.id, n)))
                          or c.seen_on or c.confirmed_on, "due_date": c.due, "quantity": c.quantity}
                         for n, c in enumerate(item.confirmations, 1))
    for table, rows in ((po_items, items), (schedule_lines, lines), (confirmations, confs)):
        insert_rows(connection, table, rows)
    after = footprint_of(orders, posted)
    mark_dirty(connection, before.months | after.months | baseline_reach(before.prices ^ after.prices))
    return refused


def _confirmation_key(confirmation_id: str | None, seq: int) -> str:
    """SAP's confirmation id; a confirmation without one is known by its position."""
    return confirmation_id if confirmation_id is not None else f"#{seq}"


def _confirmations_first_seen(connection: Connection, po_ids: list[str]) -> dict[tuple[str, str, str], date]:
    """When each stored confirmation of these orders was first seen: kept when its order is stored again."""
    c = confirmations.c
    rows = connection.execute(select(c.po_id, c.item_id, c.confirmation_id, c.seq, c.first_seen_on)
                              .where(among(connection, c.po_id, po_ids)))
    return {(po_id, item_id, _confirmation_key(confirmation_id, seq)): seen
            for po_id, item_id, confirmation_id, seq, seen in rows}


def store_goods_movements(connection: Connection, movements: list[GoodsMovement]) -> list[Rejected]:
    """Upsert by natural key; a reversal of a movement that is neither stored nor in this batch is refused
    for now (`waits`): its original may come later in the same pull. A material document line repeated
    in the batch is refused too (its first copy is stored)."""
    movements, repeated = first_copies(movements, lambda m: m.key, lambda m: m.key)
    refused = _unknown_reversals(connection, movements)
    unknown = {r.key for r in refused}
    keep = [m for m in movements if m.key not in unknown]
    refused += repeated
    keys = {(m.document, m.year, m.line) for m in keep} | {(r.document, r.year, r.line) for m in keep if (r := m.reverses)}
    before = movement_months(connection, keys)
    upsert(connection, goods_movements, [
        {"document": m.document, "year": m.year, "line": m.line, "movement_type": m.movement_type,
         "posting_date": m.posting_date, "quantity": m.quantity, "unit": m.unit, "po_id": m.po, "item_id": m.po_item,
         "schedule_line_id": m.schedule_line,
         "reverses_document": m.reverses.document if m.reverses else None,
         "reverses_year": m.reverses.year if m.reverses else None,
         "reverses_line": m.reverses.line if m.reverses else None,
         "changed_at": m.changed_at.astimezone(timezone.utc)} for m in keep], ["document", "year", "line"])
    mark_dirty(connection, before | movement_months(connection, keys))
    return refused


def _stored_movements(connection: Connection, keys: set[tuple[str, int, int]]) -> set[tuple[str, int, int]]:
    """Which of these material document lines are stored."""
    gm = goods_movements.c
    rows = connection.execute(select(gm.document, gm.year, gm.line)
                              .where(among(connection, gm.document, {document for document, _, _ in keys})))
    return {tuple(row) for row in rows} & keys


def _unknown_reversals(connection: Connection, movements: list[GoodsMovement]) -> list[Rejected]:
    wanted = {(m.reverses.document, m.reverses.year, m.reverses.line) for m in movements if m.reverses}
    wanted -= {(m.document, m.year, m.line) for m in movements}
    if not wanted:
        return []
    stored = _stored_movements(connection, wanted)
    return [Rejected(key=m.key, reason=f"reverses {r.document}/{r.year}/{r.line}, which is not stored "
                                       "(pull the original document first)", raw=m.model_dump_json(), waits=True)
            for m in movements if (r := m.reverses) and (r.document, r.year, r.line) in wanted - stored]


def store_accounts(connection: Connection, accounts: list[SupplierAccount]) -> list[Rejected]:
    """Upsert by Account id; an Account repeated in the batch is stored once, as first given."""
    accounts, refused = first_copies(accounts, lambda account: account.id, lambda account: account.id)
    if not accounts:
        return refused
    vendors = _claimed_vendors(connection, accounts)
    before = supplier_profiles(connection, vendors)
    upsert(connection, supplier_accounts, [
        {"account_id": a.id, "name": a.name, "vendor_id": a.vendor_id, "owner_id": a.owner_id,
         "owner_name": a.owner_name, "industry": a.industry, "tier": a.tier, "risk_rating": a.risk_rating,
         "is_deleted": a.is_deleted, "modstamp": a.modstamp.astimezone(timezone.utc)} for a in accounts], ["account_id"])
    after = supplier_profiles(connection, vendors)
    # no measurement reads an Account, but cards, segments, signals and plans read the profiles
    mark_input_changed(connection, "profile", {v for v in vendors if before.get(v) != after.get(v)})
    return refused


def _claimed_vendors(connection: Connection, accounts: list[SupplierAccount]) -> set[str]:
    """The vendors these Accounts claim, as stored and as given: the only profiles storing them may change."""
    a = supplier_accounts.c
    stored = connection.execute(select(a.vendor_id).where(a.account_id.in_([account.id for account in accounts]),
                                                          a.vendor_id.is_not(None))).scalars()
    return set(stored) | {account.vendor_id for account in accounts if account.vendor_id}


def supplier_ids(connection: Connection) -> list[str]:
    """Every vendor with a purchase order, in order."""
    po = purchase_orders.c
    return list(connection.execute(select(po.vendor_id).distinct().order_by(po.vendor_id)).scalars())


def supplier_profiles(connection: Connection, vendors: Iterable[str] | None = None) -> dict[str, SupplierProfile]:
    """Per vendor id (every one, or those of `vendors`), its live Account (the most recently modified one, when
    several claim the vendor)."""
    a = supplier_accounts.c
    query = select(a.vendor_id, a.name, a.industry, a.tier, a.risk_rating, a.owner_name) \
        .where(a.vendor_id.is_not(None), a.is_deleted.is_(False)).order_by(a.modstamp)
    if vendors is not None:
        query = query.where(a.vendor_id.in_(list(vendors)))
    rows = connection.execute(query)
    return {row.vendor_id: SupplierProfile(*row) for row in rows}


def item_histories(connection: Connection, due_from: date, as_of: date, suppliers: Iterable[str] | None = None,
                   spans: dict[str, list[tuple[date, date]]] | None = None) -> list[ItemHistory]:
    """Items ordered by `as_of` with a line due or a movement posted in `[due_from, as_of]`, with all their
    lines and the movements posted by `as_of`; in (PO, item) order, whatever plan the database chose (a
    tally gathers its lead times in the order of the items).

    `suppliers` keeps those of the given suppliers; `spans` (supplier → date ranges) only the items of
    those suppliers with a line due or a movement posted in one of its ranges (on SQLite, with more ranges
    than READ_BY_MONTH_UP_TO, every item of those suppliers: a superset, which the caller narrows down).
    """
    po, sl, gm = purchase_orders.c, schedule_lines.c, goods_movements.c
    line_rows = select(sl.po_id, sl.item_id, sl.line_id, sl.due_date, sl.quantity, po.vendor_id, po.order_date) \
        .join(purchase_orders, po.po_id == sl.po_id).where(po.order_date <= as_of)  # later orders do not exist yet
    due_items = select(sl.po_id, sl.item_id).where(sl.due_date >= due_from, sl.due_date <= as_of)
    posted_items = select(gm.po_id, gm.item_id).where(gm.posting_date >= due_from, gm.posting_date <= as_of)
    if spans is not None and (connection.dialect.name == "postgresql"
                              or sum(map(len, spans.values())) <= READ_BY_MONTH_UP_TO):
        orders = purchase_orders.alias("spanned_orders")
        due_items = _within(connection, due_items.join(orders, orders.c.po_id == sl.po_id), spans,
                            orders.c.vendor_id, sl.due_date)
        posted_items = _within(connection, posted_items.join(orders, orders.c.po_id == gm.po_id), spans,
                               orders.c.vendor_id, gm.posting_date)
        suppliers = list(spans)
    elif suppliers is not None or spans is not None:  # their orders only: a batch does not look at everyone's
        suppliers = list(spans if spans is not None else suppliers)
        theirs = select(po.po_id).where(po.vendor_id.in_(suppliers))
        due_items, posted_items = due_items.where(sl.po_id.in_(theirs)), posted_items.where(gm.po_id.in_(theirs))
    wanted_items = due_items.union(posted_items)
    movement_rows = select(gm.po_id, gm.item_id, gm.document, gm.year, gm.line, gm.movement_type, gm.posting_date,
                           gm.quantity, gm.schedule_line_id, gm.reverses_document, gm.reverses_year,
                           gm.reverses_line).where(gm.posting_date <= as_of)
    if connection.dialect.name == "postgresql":  # worked out once, not once for the lines and again for the movements
        wanted = _keys(connection.execute(wanted_items).all())
        line_rows = line_rows.join(wanted, and_(wanted.c.po_id == sl.po_id, wanted.c.item_id == sl.item_id))
        movement_rows = movement_rows.join(wanted, and_(wanted.c.po_id == gm.po_id, wanted.c.item_id == gm.item_id))
    else:
        line_rows = line_rows.where(tuple_(sl.po_id, sl.item_id).in_(wanted_items))
        movement_rows = movement_rows.where(tuple_(gm.po_id, gm.item_id).in_(wanted_items))
    if suppliers is not None:
        chosen = list(suppliers)
        line_rows = line_rows.where(po.vendor_id.in_(chosen))
        movement_rows = movement_rows.where(gm.po_id.in_(select(po.po_id).where(po.vendor_id.in_(chosen))))
    heads: dict[tuple[str, str], tuple[str, date]] = {}
    lines: dict[tuple[str, str], list[LineOrder]] = defaultdict(list)
    for po_id, item_id, line_id, due, quantity, vendor, ordered_on in _streamed(connection, line_rows):
        key = (po_id, item_id)
        heads[key] = (vendor, ordered_on)
        lines[key].append(LineOrder(line_id, due, quantity))
    movements: dict[tuple[str, str], list[Movement]] = defaultdict(list)
    for po_id, item_id, document, year, line, kind, posted, quantity, line_id, *reversed_key in _streamed(
            connection, movement_rows):
        movements[(po_id, item_id)].append(Movement((document, year, line), kind, posted, quantity, line_id,
                                                    tuple(reversed_key) if reversed_key[0] else None))
    return [ItemHistory(supplier_id=heads[key][0], po_id=key[0], item_id=key[1], po_date=heads[key][1],
                        lines=tuple(lines[key]), movements=tuple(movements.get(key, ())))
            for key in sorted(heads)]


def _streamed(connection: Connection, query: Select) -> Iterator[tuple]:
    """The rows of `query`, fetched STREAMED_ROWS at a time."""
    for rows in connection.execute(query.execution_options(yield_per=STREAMED_ROWS)).partitions():
        yield from rows


def _keys(keys: list[tuple[str, str]]) -> Subquery:
    """PO items (PO, item) as a PostgreSQL subquery of two unnested array parameters."""
    po_ids, item_ids = zip(*keys) if keys else ((), ())
    return select(*(func.unnest(bindparam(None, list(values), type_=ARRAY(String))).label(name)
                     for name, values in (("po_id", po_ids), ("item_id", item_ids)))).subquery("wanted")


def _within(connection: Connection, query: Select, spans: dict[str, list[tuple[date, date]]],
            vendor: ColumnElement, day: ColumnElement) -> Select:
    """`query` kept to rows whose vendor is one of the suppliers and whose day is in one of its ranges.

    On PostgreSQL the ranges go as three array parameters, unnested and joined: one statement text and
    a hash join however many there are. SQLite gets one condition per range."""
    ranges = [(supplier, first, last) for supplier, chosen in spans.items() for first, last in chosen]
    if connection.dialect.name != "postgresql":
        return query.where(or_(false(), *(and_(vendor == supplier, day.between(first, last))
                                          for supplier, first, last in ranges)))
    suppliers, firsts, lasts = zip(*ranges) if ranges else ((), (), ())
    spanned = select(*(func.unnest(bindparam(None, list(values), type_=ARRAY(kind))).label(name)
                       for name, values, kind in (("supplier", suppliers, String), ("first", firsts, Date),
                                                  ("last", lasts, Date)))).subquery("spans")
    # the vendors named again as a plain condition: PostgreSQL then finds their orders by index, instead of
    # joining every order with a line or movement in the ranges' months and keeping the batch's
    return query.join(spanned, and_(spanned.c.supplier == vendor, day.between(spanned.c.first, spanned.c.last))) \
        .where(vendor.in_(sorted(set(suppliers))))


def actions_due(connection: Connection, due_from: date, as_of: date, supplier_id: str | None = None) -> list[ActionDue]:
    a = corrective_actions.c
    rows = connection.execute(select(a.supplier_id, a.id, a.due_date, a.closed_at, a.status)
                              .where(a.due_date >= due_from, a.due_date <= as_of,
                                     a.supplier_id == supplier_id if supplier_id else true()))
    return [ActionDue(supplier, action_id, due, utc(closed).date() if closed else None, status == "cancelled")
            for supplier, action_id, due, closed, status in rows]


def unmatched_suppliers(connection: Connection) -> dict[str, list[dict]]:
    """SAP vendors without a live Account, live Accounts without a vendor id, and vendor ids claimed twice."""
    a = supplier_accounts.c
    live = select(a.vendor_id).where(a.vendor_id.is_not(None), a.is_deleted.is_(False))
    vendors = connection.execute(
        select(purchase_orders.c.vendor_id, func.count(), func.max(purchase_orders.c.order_date))
        .where(purchase_orders.c.vendor_id.not_in(live)).group_by(purchase_orders.c.vendor_id)
        .order_by(purchase_orders.c.vendor_id))
    accounts = connection.execute(select(a.account_id, a.name, a.owner_name).where(
        a.vendor_id.is_(None), a.is_deleted.is_(False)).order_by(a.name))
    claimed = select(a.vendor_id).where(a.vendor_id.is_not(None), a.is_deleted.is_(False)) \
        .group_by(a.vendor_id).having(func.count() > 1)
    duplicates = connection.execute(select(a.vendor_id, a.account_id, a.name).where(
        a.vendor_id.in_(claimed), a.is_deleted.is_(False)).order_by(a.vendor_id, a.account_id))
    return {
        "vendors_without_account": [{"vendor_id": v, "purchase_orders": n, "last_order": d} for v, n, d in vendors],
        "accounts_without_vendor": [{"account_id": i, "name": n, "owner": o} for i, n, o in accounts],
        "vendor_ids_on_several_accounts": [{"vendor_id": v, "account_id": i, "name": n} for v, i, n in duplicates],
    }


def supplier_known(connection: Connection, supplier_id: str) -> bool:
    """Whether SAP has orders from the supplier or a Salesforce Account names it."""
    orders = select(purchase_orders.c.po_id).where(purchase_orders.c.vendor_id == supplier_id).limit(1)
    accounts = select(supplier_accounts.c.account_id).where(supplier_accounts.c.vendor_id == supplier_id).limit(1)
    return any(connection.execute(query).first() is not None for query in (orders, accounts))
