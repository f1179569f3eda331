"""From one PO item's schedule lines and goods movements to per-line delivery facts.

The rules (DESIGN.md, KPI semantics) in one place:
- movements posted after `as_of` do not exist yet;
- 101 adds; a 102 cancels the 101 it references, or else the most recent earlier 101
  quantities on the same item; cancelled quantities count as never received;
- a receipt naming no schedule line fills the item's open lines in due-date order
  (any excess lands on the last line);
- 122 and 161 are returns: they never reduce the received quantity, they mark the line that
  received the goods (the named line, else the line of the latest receipt before the return).
"""
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from operator import attrgetter
from typing import Iterable

from domain.deliveries import LineOrder, Movement
from domain.records import RECEIPT, RETURNS, REVERSAL

ZERO = Decimal(0)
POSTING_ORDER = attrgetter("posting_date", "key")


@dataclass(slots=True)
class LineFacts:
    """What happened to one schedule line, as of a date."""

    po_id: str
    item_id: str
    line_id: str
    po_date: date
    due: date
    ordered: Decimal
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


def _net_receipts(movements: list[Movement]) -> list[tuple[Movement, Decimal]]:
    """101s with what is left of each after the 102s, in posting order."""
    receipts = [m for m in movements if m.movement_type == RECEIPT]
    if len(receipts) > 1:
        receipts.sort(key=POSTING_ORDER)
    if not any(m.movement_type == REVERSAL for m in movements):
        return [(m, m.quantity) for m in receipts]
    remaining = {m.key: m.quantity for m in receipts}
    by_key = {m.key: m for m in receipts}
    for reversal in sorted((m for m in movements if m.movement_type == REVERSAL), key=POSTING_ORDER):
        to_cancel = reversal.quantity
        if reversal.reverses in by_key:
            cancelled = min(to_cancel, remaining[reversal.reverses])
            remaining[reversal.reverses] -= cancelled
            to_cancel -= cancelled
        for receipt in reversed(receipts):
            if to_cancel <= 0:
                break
            if receipt.posting_date <= reversal.posting_date and remaining[receipt.key] > 0:
                cancelled = min(to_cancel, remaining[receipt.key])
                remaining[receipt.key] -= cancelled
                to_cancel -= cancelled
    return [(m, remaining[m.key]) for m in receipts if remaining[m.key] > 0]


def line_facts(po_id: str, item_id: str, po_date: date, lines: Iterable[LineOrder],
               movements: Iterable[Movement], as_of: date) -> list[LineFacts]:
    ordered_lines = sorted(lines, key=lambda line: (line.due, line.line_id))
    facts = {line.line_id: LineFacts(po_id, item_id, line.line_id, po_date, line.due, line.ordered) for line in ordered_lines}
    if not facts:
        return []
    known = [m for m in movements if m.posting_date <= as_of]
    allocations: list[tuple[date, tuple, str]] = []
    for receipt, quantity in _net_receipts(known):
        if receipt.schedule_line in facts:
            facts[receipt.schedule_line].receipts.append((receipt.posting_date, quantity))
            allocations.append((receipt.posting_date, receipt.key, receipt.schedule_line))
            continue
        for line in ordered_lines:
            target = facts[line.line_id]
            room = line.ordered - target.received
            is_last = line is ordered_lines[-1]
            if quantity <= 0 or (room <= 0 and not is_last):
                continue
            share = quantity if is_last else min(quantity, room)
            target.receipts.append((receipt.posting_date, share))
            allocations.append((receipt.posting_date, receipt.key, line.line_id))
            quantity -= share
    returns = [m for m in known if m.movement_type in RETURNS]
    if returns:
        allocations.sort()
    for returned in returns:
        line_id = returned.schedule_line if returned.schedule_line in facts else next(
            (line for day, _, line in reversed(allocations) if day <= returned.posting_date), ordered_lines[0].line_id)
        facts[line_id].returned += returned.quantity
    return list(facts.values())
