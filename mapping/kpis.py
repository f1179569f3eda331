"""The KPIs of one supplier over one period (a month or a rolling window), exactly as DESIGN.md defines them.

A period with no activity for a KPI gives `None` (n/a), never 100 and never 0.
"""
from bisect import bisect_left
from dataclasses import dataclass
from functools import cached_property, partial
from datetime import date, timedelta
from decimal import Decimal
from typing import Iterable, NamedTuple

from domain.records import RECEIPT, RETURNS, REVERSAL
from domain.deliveries import ActionDue, Movement, OrderedItem, sap_number
from domain.scorecards import Tally
from mapping.deliveries import ZERO, LineFacts


class Verdict(NamedTuple):
    """What one window rule says of one line: computed once, read by every KPI and window that counts it.

    A line is judged once its window has closed by its as-of date, or earlier when it is already on
    time; until then it is open and counts neither for nor against OTD and OTIF.
    """

    judged: bool
    on_time: bool
    in_full: bool
    completed_on: date | None
    received: Decimal


# A Verdict from a 5-tuple in C: NamedTuple's own __new__ is a Python call, and there is one verdict per line.
_verdict = partial(tuple.__new__, Verdict)


@dataclass(frozen=True)
class DeliveryWindow:
    early_days: int
    late_days: int
    qty_tolerance_pct: float
    over_tolerance_pct: float

    @cached_property
    def lower_share(self) -> Decimal:
        return 1 - Decimal(str(self.qty_tolerance_pct)) / 100

    @cached_property
    def upper_share(self) -> Decimal:
        return 1 + Decimal(str(self.over_tolerance_pct)) / 100

    @cached_property
    def _reach(self) -> tuple[timedelta, timedelta]:
        return timedelta(days=self.early_days), timedelta(days=self.late_days)

    def bounds(self, due: date) -> tuple[date, date]:
        early, late = self._reach
        return due - early, due + late

    def judge(self, line: LineFacts) -> Verdict:
        """The three rules in one pass over the line's receipts, in posting order."""
        if line.judged_by is not self:  # the line keeps the window it was judged by, and that verdict
            early, late = self._reach
            due, receipts, ordered = line.due, line.receipts, line.ordered
            first, last = due - early, due + late
            needed = ordered * self.lower_share
            if len(receipts) == 1:  # the usual case, without the loop
                [(day, quantity)] = receipts
                total = ZERO + quantity
                inside = total if first <= day <= last else ZERO
                completed = day if total >= needed else None
            else:
                total = inside = ZERO
                completed = None
                for day, quantity in sorted(receipts):
                    total += quantity
                    if first <= day <= last:
                        inside += quantity
                    if completed is None and total >= needed:
                        completed = day
            on_time = inside >= needed
            line.verdict = _verdict((on_time or last <= line.as_of, on_time,
                                     needed <= total and line.returned == 0 and total <= ordered * self.upper_share,
                                     completed, total))
            line.judged_by = self
        return line.verdict

    def is_open(self, line: LineFacts) -> bool:
        return not self.judge(line).judged

    def on_time(self, line: LineFacts) -> bool:
        return self.judge(line).on_time

    def in_full(self, line: LineFacts) -> bool:
        return self.judge(line).in_full

    def completed_on(self, line: LineFacts) -> date | None:
        return self.judge(line).completed_on


def _pct(numerator: float, denominator: float) -> float | None:
    return None if denominator == 0 else 100 * numerator / denominator


@dataclass(frozen=True)
class Deliveries:
    """Every delivery KPI of a set of due lines, from one pass over their verdicts."""

    otd_pct: float | None
    otif_pct: float | None
    fill_rate_pct: float | None
    lead_time_days_mean: float | None
    lead_time_days_median: float | None
    lead_time_days_p90: float | None
    delay_days_mean: float | None
    on_time_lines: int
    judged_lines: int


def tally_lines(tally: Tally, lines: Iterable[LineFacts], window: DeliveryWindow) -> Tally:
    """Count the lines due: judged, on time, in full (open lines are not judged yet); quantities filled;
    lead time and delay of the complete ones. Counts are kept in locals and stored once: this runs per line."""
    judge, lead_times = window.judge, tally.lead_times
    due = judged = on_time = in_full = delay_days = 0
    filled, ordered = tally.filled, tally.ordered
    for line in lines:
        verdict = judge(line)
        due += 1
        if verdict.judged:
            judged += 1
            if verdict.on_time:
                on_time += 1
                in_full += verdict.in_full
        received, wanted = verdict.received, line.ordered
        filled += wanted if wanted < received else received  # min(received, wanted), without the call
        ordered += wanted
        if verdict.completed_on is not None:
            lead_times.append((verdict.completed_on - line.po_date).days)
            delay_days += (verdict.completed_on - line.due).days
    tally.due_lines += due
    tally.judged_lines += judged
    tally.on_time_lines += on_time
    tally.in_full_lines += in_full
    tally.delay_days += delay_days
    tally.filled, tally.ordered = filled, ordered
    return tally


def delivery_figures(tally: Tally) -> Deliveries:
    """OTD and OTIF over the judged lines due, fill rate over all lines due; lead time and delay over the
    complete ones only (incomplete lines are left out there but count against OTD once judged)."""
    leads = sorted(tally.lead_times)
    return Deliveries(
        otd_pct=_pct(tally.on_time_lines, tally.judged_lines), otif_pct=_pct(tally.in_full_lines, tally.judged_lines),
        fill_rate_pct=_pct(float(tally.filled), float(tally.ordered)),
        lead_time_days_mean=sum(leads) / len(leads) if leads else None,  # whole days: as exact as fmean
        lead_time_days_median=nearest_rank(leads, 50) if leads else None,
        lead_time_days_p90=nearest_rank(leads, 90) if leads else None,
        delay_days_mean=tally.delay_days / len(leads) if leads else None,
        on_time_lines=tally.on_time_lines, judged_lines=tally.judged_lines)


def deliveries(lines: list[LineFacts], window: DeliveryWindow) -> Deliveries:
    return delivery_figures(tally_lines(Tally(), lines, window))


def on_time_delivery_pct(lines: list[LineFacts], window: DeliveryWindow) -> float | None:
    return deliveries(lines, window).otd_pct


def on_time_in_full_pct(lines: list[LineFacts], window: DeliveryWindow) -> float | None:
    return deliveries(lines, window).otif_pct


def fill_rate_pct(lines: list[LineFacts], window: DeliveryWindow) -> float | None:
    return deliveries(lines, window).fill_rate_pct


def nearest_rank(sorted_values: list[int], percent: int) -> float:
    """Nearest-rank percentile: the smallest value with at least `percent` % of the values at or below it
    (the value at rank ⌈percent × n ÷ 100⌉, in integers: no rounding error moves the rank)."""
    rank = max(1, -(-len(sorted_values) * percent // 100))
    return float(sorted_values[rank - 1])


def tally_movements(tally: Tally, movements: Iterable[Movement]) -> Tally:
    """Receipts add, reversals take away, returns (122, 161) count as rejected; other movements are ignored."""
    for movement in movements:
        if movement.movement_type == RECEIPT:
            tally.received += movement.quantity
        elif movement.movement_type == REVERSAL:
            tally.received -= movement.quantity
        elif movement.movement_type in RETURNS:
            tally.returned += movement.quantity
        else:
            continue
        tally.moved = True
    return tally


def quality_figure(tally: Tally) -> float | None:
    """Returned ÷ (Σ101 − Σ102) × 1,000,000; none without movements or with nothing net received."""
    if not tally.moved or tally.received <= 0:
        return None
    return float(tally.returned / tally.received * 1_000_000)


def quality_ppm(movements: Iterable[Movement]) -> float | None:
    """Over the given movements (those posted in the period)."""
    return quality_figure(tally_movements(Tally(), movements))


def baseline_prices(items: Iterable[OrderedItem]) -> dict[tuple[str, str, str], Decimal]:
    """(supplier, po, item) → the supplier's first price for that material in the 12 months before the order.

    Items are compared with the earliest earlier order of the same material by the same supplier
    whose order date lies in [order date − 12 months, order date) (an order exactly 12 months before
    counts); orders of the same day rank by lowest PO, then lowest item; none there → no baseline.
    """
    by_material: dict[tuple[str, str], list[OrderedItem]] = {}
    for item in items:
        by_material.setdefault((item.supplier_id, item.material), []).append(item)
    baselines = {}
    for history in by_material.values():
        history.sort(key=lambda i: (i.order_date, sap_number(i.po_id), sap_number(i.item_id)))
        dates = [earlier.order_date for earlier in history]
        for item in history:
            first = bisect_left(dates, months_before(item.order_date, 12))
            if dates[first] < item.order_date:
                baselines[(item.supplier_id, item.po_id, item.item_id)] = history[first].unit_price
    return baselines


def months_before(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    last_day = [31, 29 if _leap(year) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month]
    return date(year, month + 1, min(day.day, last_day))


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def tally_prices(tally: Tally, items: Iterable[OrderedItem], baselines: dict[tuple[str, str, str], Decimal]) -> Tally:
    """Paid over baseline and baseline value, over the items that have a baseline."""
    for item in items:
        baseline = baselines.get((item.supplier_id, item.po_id, item.item_id))
        if baseline is None:
            continue
        tally.price_paid_over += (item.unit_price - baseline) * item.quantity
        tally.price_base += baseline * item.quantity
    return tally


def price_figure(tally: Tally) -> float | None:
    """Σ (price − baseline) × qty ÷ Σ baseline × qty; negative = savings."""
    return None if tally.price_base == 0 else float(tally.price_paid_over / tally.price_base * 100)


def price_variance_pct(items: Iterable[OrderedItem], baselines: dict[tuple[str, str, str], Decimal]) -> float | None:
    return price_figure(tally_prices(Tally(), items, baselines))


@dataclass(frozen=True)
class ConfirmationLag:
    confirmation_lag_days_median: float | None
    confirmed_within_pct: float | None


def tally_confirmations(tally: Tally, items: Iterable[OrderedItem], as_of: date, confirm_days: int) -> Tally:
    """First confirmation − PO date of each item confirmed as of; unconfirmed items count as not
    confirmed in time and are left out of the median."""
    for item in items:
        tally.items_ordered += 1
        if item.first_confirmed_on is not None and item.first_confirmed_on <= as_of:
            lag = (item.first_confirmed_on - item.order_date).days
            tally.confirmation_lags.append(lag)
            tally.confirmed_within += lag <= confirm_days
    return tally


def confirmation_figures(tally: Tally) -> ConfirmationLag:
    lags = sorted(tally.confirmation_lags)
    return ConfirmationLag(nearest_rank(lags, 50) if lags else None,
                           _pct(tally.confirmed_within, tally.items_ordered))


def confirmation_lag(items: list[OrderedItem], as_of: date, confirm_days: int) -> ConfirmationLag:
    """Over items ordered in the period."""
    return confirmation_figures(tally_confirmations(Tally(), items, as_of, confirm_days))


def tally_actions(tally: Tally, actions: Iterable[ActionDue], as_of: date) -> Tally:
    """Actions due on or before `as_of`, and those closed by their due date; cancelled ones are left out."""
    for action in actions:
        if action.due_date <= as_of and not action.cancelled:
            tally.actions_due += 1
            tally.actions_closed_in_time += action.closed_on is not None and action.closed_on <= action.due_date
    return tally


def action_figure(tally: Tally) -> float | None:
    return _pct(tally.actions_closed_in_time, tally.actions_due)


def action_closure_pct(actions: Iterable[ActionDue], as_of: date) -> float | None:
    """Actions closed by their due date ÷ actions due."""
    return action_figure(tally_actions(Tally(), actions, as_of))
