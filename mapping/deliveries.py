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


def _net_receipts(po_id: str, item_id: str, movements: list[Movement],
                  anomalies: list[Anomaly]) -> list[tuple[Movement, Decimal]]:
    """The 101s in movement order, each with what is left of it after the 102s (those left with nothing dropped)."""
    receipts = [m for m in movements if m.movement_type == RECEIPT]
    if len(receipts) > 1:
        receipts.sort(key=MOVEMENT_ORDER)
    reversals = [m for m in movements if m.movement_type == REVERSAL]
    if not reversals:
        return [(m, m.quantity) for m in receipts]
    reversals.sort(key=MOVEMENT_ORDER)
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
    ordered_lines = sorted(lines, key=lambda line: (line.due, line.line_id))
    facts = {line.line_id: LineFacts(po_id, item_id, line.line_id, po_date, line.due, line.ordered, as_of)
             for line in ordered_lines}
    if not facts:
        return ItemFacts([])
    known = [m for m in movements if m.posting_date <= as_of]
    anomalies: list[Anomaly] = []
    fills: list[tuple[Movement, list[tuple[str, Decimal]]]] = []  # each net receipt and what it gave each line
    for receipt, quantity in _net_receipts(po_id, item_id, known, anomalies):
        gave = [(receipt.schedule_line, quantity)] if receipt.schedule_line in facts \
            else _fill_in_due_order(quantity, ordered_lines, facts)
        for line_id, share in gave:
            facts[line_id].receipts.append((receipt.posting_date, share))
        fills.append((receipt, gave))
    for returned in sorted((m for m in known if m.movement_type in RETURNS), key=MOVEMENT_ORDER):
        if returned.schedule_line in facts:
            facts[returned.schedule_line].returned += returned.quantity
        else:
            _charge_return(returned, fills, facts, ordered_lines[-1].line_id)
    return ItemFacts(list(facts.values()), anomalies)


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
