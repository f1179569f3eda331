"""What the KPI engine reads: schedule lines and goods movements of one PO item."""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class LineOrder:
    line_id: str
    due: date
    ordered: Decimal


@dataclass(frozen=True)
class Movement:
    key: tuple[str, int, int]
    movement_type: str
    posting_date: date
    quantity: Decimal
    schedule_line: str | None = None
    reverses: tuple[str, int, int] | None = None


@dataclass(frozen=True)
class ItemHistory:
    """One PO item with its schedule lines and every goods movement posted against it."""

    supplier_id: str
    po_id: str
    item_id: str
    po_date: date
    lines: tuple[LineOrder, ...]
    movements: tuple[Movement, ...]
