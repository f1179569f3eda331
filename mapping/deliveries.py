"""From one PO item's schedule lines and goods movements to per-line delivery facts, as of a date.

The rules (DESIGN.md, KPI semantics) in one place:
- movements are taken in movement order (posting date, then document year, number and line);
  those posted after `as_of` do not exist yet;
- reversals: first each 102 that names its 101 (`reverses`) cancels that 101, and nothing else (an
  excess cancels nothing and is reported as an anomaly); then the 102s that name none, in movement
  order, cancel the most recent earlier 101 quantities still uncancelled. Cancelled quantities
  count as never received;
- a receipt naming no schedule line of the item fills its lines in due-date order, each until
  fully received; any excess goes to the last line;
- 122 and 161 are returns: they never reduce the received quantity, they mark lines as not in
  full. A return naming no line of the item is charged to the lines of the most recent receipts
  posted on or before its posting date: most recent receipt first, within a receipt the line it
  filled last first, each line up to what it got from that receipt; any rest to the last line.
"""
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from operator import attrgetter
from typing import Iterable

from domain.deliveries import LineOrder, Movement
from domain.records import RECEIPT, RETURNS, REVERSAL

ZERO = Decimal(0)
MOVEMENT_ORDER = attrgetter("order")
POSTING_DATE = attrgetter("posting_date")
DUE_ORDER = attrgetter("due", "line_id")


@dataclass(slots=True)
class LineFacts:
    """What happened to one schedule line, as of a date."""

    po_id: str
    item_id: str
    line_id: str
    po_date: date
    due: date
    ordered: Decimal
    as_of: date
    receipts: list[tuple[date, Decimal]] = field(default_factory=list)
    returned: Decimal = Decimal(0)
    judged_by: object = field(default=None, repr=False, compare=False)  # the DeliveryWindow behind `verdict`
    verdict: object = field(default=None, repr=False, compare=False)

    @property
    def received(self) -> Decimal:
        total = ZERO
        for _, quantity in self.receipts:
            total += quantity
        return total

    def received_between(self, first: date, last: date) -> Decimal:
        total = ZERO
        for day, quantity in self.receipts:
            if first <= day <= last:
                total += quantity
        return total


@dataclass(frozen=True)
class Anomaly:
    """A movement the rules could apply only in part: `quantity` of it had no effect, for `reason`."""

    po_id: str
    item_id: str
    document: tuple[str, int, int]
    movement_type: str
    quantity: Decimal
    reason: str


@dataclass
class ItemFacts:
    """The facts of one PO item's schedule lines, and the movements that could not be applied in full."""

    lines: list[LineFacts]
    anomalies: list[Anomaly] = field(default_factory=list)


def _posted_by_kind(movements: Iterable[Movement], as_of: date) -> tuple[list[Movement], list[Movement], list[Movement]]:
    """The receipts, reversals and returns posted by `as_of`, each in movement order; other movements are ignored."""
    receipts, reversals, returns = [], [], []
    for movement in movements:
        if movement.posting_date <= as_of:
            kind = movement.movement_type
            if kind == RECEIPT:
                receipts.append(movement)
            elif kind == REVERSAL:
                reversals.append(movement)
            elif kind in RETURNS:
                returns.append(movement)
    return in_movement_order(receipts), in_movement_order(reversals), in_movement_order(returns)


def _net_receipts(po_id: str, item_id: str, receipts: list[Movement], reversals: list[Movement],
                  anomalies: list[Anomaly]) -> list[tuple[Movement, Decimal]]:
    """The 101s, each with what is left of it after the 102s (those left with nothing dropped); both in
    movement order."""
    if not reversals:
        return [(m, m.quantity) for m in receipts]
    remaining = {m.key: m.quantity for m in receipts}
    for reversal in reversals:
        if reversal.reverses is None:
            continue
        own = remaining.get(reversal.reverses)
        cancelled = ZERO if own is None else min(reversal.quantity, own)
        if own is not None:
            remaining[reversal.reverses] = own - cancelled
        if cancelled < reversal.quantity:
            reference = "/".join(map(str, reversal.reverses))
            anomalies.append(Anomaly(po_id, item_id, reversal.key, REVERSAL, reversal.quantity - cancelled, (
                f"reverses {reference}, which is not a receipt of this item" if own is None else
                f"reverses {reference}, which had only {own} left to cancel")))
    for reversal in reversals:
        if reversal.reverses is not None:
            continue
        left, position = reversal.quantity, reversal.order
        for receipt in reversed(receipts):
            if left <= 0:
                break
            if receipt.order < position and remaining[receipt.key] > 0:
                cancelled = min(left, remaining[receipt.key])
                remaining[receipt.key] -= cancelled
                left -= cancelled
        if left > 0:
            anomalies.append(Anomaly(po_id, item_id, reversal.key, REVERSAL, left,
                                     "reverses more than the uncancelled receipts before it"))
    return [(m, remaining[m.key]) for m in receipts if remaining[m.key] > 0]


def line_facts(po_id: str, item_id: str, po_date: date, lines: Iterable[LineOrder],
               movements: Iterable[Movement], as_of: date) -> ItemFacts:
    ordered_lines = sorted(lines, key=DUE_ORDER)
    facts = {line.line_id: LineFacts(po_id, item_id, line.line_id, po_date, line.due, line.ordered, as_of)
             for line in ordered_lines}
    if not facts:
        return ItemFacts([])
    receipts, reversals, returns = _posted_by_kind(movements, as_of)
    anomalies: list[Anomaly] = []
    fills: list[tuple[Movement, list[tuple[str, Decimal]]]] = []  # each net receipt and what it gave each line
    for receipt, quantity in _net_receipts(po_id, item_id, receipts, reversals, anomalies):
        named = facts.get(receipt.schedule_line)
        if named is not None:
            named.receipts.append((receipt.posting_date, quantity))
            fills.append((receipt, [(receipt.schedule_line, quantity)]))
            continue
        gave = _fill_in_due_order(quantity, ordered_lines, facts)
        for line_id, share in gave:
            facts[line_id].receipts.append((receipt.posting_date, share))
        fills.append((receipt, gave))
    for returned in returns:
        if returned.schedule_line in facts:
            facts[returned.schedule_line].returned += returned.quantity
        else:
            _charge_return(returned, fills, facts, ordered_lines[-1].line_id)
    return ItemFacts(list(facts.values()), anomalies)


def in_movement_order(movements: list[Movement]) -> list[Movement]:
    """`movements` sorted in place into movement order. By posting date alone when no two share a day (the
    usual case, and then the same order): the full order key costs a Python call per movement."""
    if len(movements) > 1:
        movements.sort(key=POSTING_DATE)
        if len({movement.posting_date for movement in movements}) < len(movements):
            movements.sort(key=MOVEMENT_ORDER)
    return movements


def _fill_in_due_order(quantity: Decimal, ordered_lines: list[LineOrder],
                       facts: dict[str, LineFacts]) -> list[tuple[str, Decimal]]:
    """What a receipt naming no line gives each line: each in due order until fully received, the rest to the last."""
    gave = []
    for line in ordered_lines[:-1]:
        room = line.ordered - facts[line.line_id].received
        if quantity > 0 and room > 0:
            gave.append((line.line_id, min(quantity, room)))
            quantity -= gave[-1][1]
    if quantity > 0:
        gave.append((ordered_lines[-1].line_id, quantity))
    return gave


def _charge_return(returned: Movement, fills: list[tuple[Movement, list[tuple[str, Decimal]]]],
                   facts: dict[str, LineFacts], last: str) -> None:
    """Most recent receipt on or before the return first; within it the line filled last first."""
    left = returned.quantity
    for receipt, gave in reversed(fills):
        if receipt.posting_date > returned.posting_date:
            continue
        for line_id, got in reversed(gave):
            charged = min(left, got)
            facts[line_id].returned += charged
            left -= charged
            if left <= 0:
                return
    facts[last].returned += left
