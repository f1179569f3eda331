"""Delivery and quality KPIs for one supplier and month, exactly as DESIGN.md defines them.

A period with no activity for a KPI gives `None` (n/a), never 100 and never 0.
"""
import statistics
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Iterable

from domain.records import RECEIPT, RETURNS, REVERSAL
from domain.deliveries import Movement
from mapping.deliveries import LineFacts


@dataclass(frozen=True)
class DeliveryWindow:
    early_days: int
    late_days: int
    qty_tolerance_pct: float
    over_tolerance_pct: float

    @property
    def lower_share(self) -> Decimal:
        return 1 - Decimal(str(self.qty_tolerance_pct)) / 100

    @property
    def upper_share(self) -> Decimal:
        return 1 + Decimal(str(self.over_tolerance_pct)) / 100

    def bounds(self, due: date) -> tuple[date, date]:
        return due - timedelta(days=self.early_days), due + timedelta(days=self.late_days)

    def on_time(self, line: LineFacts) -> bool:
        first, last = self.bounds(line.due)
        return line.received_between(first, last) >= line.ordered * self.lower_share

    def in_full(self, line: LineFacts) -> bool:
        received = line.received
        return line.ordered * self.lower_share <= received <= line.ordered * self.upper_share and line.returned == 0

    def completed_on(self, line: LineFacts) -> date | None:
        return line.completed_on(line.ordered * self.lower_share)


def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def due_lines(lines: Iterable[LineFacts], period: str, as_of: date) -> list[LineFacts]:
    return [line for line in lines if line.due <= as_of and period_of(line.due) == period]


def _pct(numerator: float, denominator: float) -> float | None:
    return None if denominator == 0 else 100 * numerator / denominator


def on_time_delivery_pct(lines: list[LineFacts], window: DeliveryWindow) -> float | None:
    return _pct(sum(window.on_time(line) for line in lines), len(lines))


def on_time_in_full_pct(lines: list[LineFacts], window: DeliveryWindow) -> float | None:
    return _pct(sum(window.on_time(line) and window.in_full(line) for line in lines), len(lines))


def fill_rate_pct(lines: list[LineFacts]) -> float | None:
    ordered = sum(line.ordered for line in lines)
    return _pct(float(sum(min(line.received, line.ordered) for line in lines)), float(ordered))


@dataclass(frozen=True)
class LeadTimes:
    lead_time_days_mean: float | None
    lead_time_days_median: float | None
    lead_time_days_p90: float | None
    delay_days_mean: float | None


def lead_times(lines: list[LineFacts], window: DeliveryWindow) -> LeadTimes:
    """Over complete lines only; incomplete ones are excluded here but count against OTD."""
    completed = [(line, day) for line in lines if (day := window.completed_on(line)) is not None]
    if not completed:
        return LeadTimes(None, None, None, None)
    leads = sorted((day - line.po_date).days for line, day in completed)
    delays = [(day - line.due).days for line, day in completed]
    return LeadTimes(statistics.fmean(leads), float(statistics.median(leads)), nearest_rank(leads, 0.9), statistics.fmean(delays))


def nearest_rank(sorted_values: list[int], share: float) -> float:
    """Nearest-rank percentile: the smallest value with at least `share` of values at or below it."""
    rank = max(1, -(-len(sorted_values) * share // 1))
    return float(sorted_values[int(rank) - 1])


def quality_ppm(movements: Iterable[Movement]) -> float | None:
    """Returned ÷ (Σ101 − Σ102) × 1,000,000 over the given movements (those posted in the period)."""
    received = returned = Decimal(0)
    seen = False
    for movement in movements:
        if movement.movement_type == RECEIPT:
            received += movement.quantity
        elif movement.movement_type == REVERSAL:
            received -= movement.quantity
        elif movement.movement_type in RETURNS:
            returned += movement.quantity
        else:
            continue
        seen = True
    if not seen or received <= 0:
        return None
    return float(returned / received * 1_000_000)
