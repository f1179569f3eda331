"""KPI values per supplier and period (monthly and rolling windows) and the scorecards built from them."""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Iterable

from config import KpiScale
from config.settings import ScoringSettings
from domain.deliveries import ActionDue, ItemHistory, Movement, OrderedItem
from domain.performance import collector_paused
from domain.periods import period_of, shift_period
from domain.scorecards import KpiValues, Measured, Scorecard, Tally, card_status
from mapping.benchmarks import velocity
from mapping.deliveries import Anomaly, LineFacts, line_facts
from mapping.kpis import (
    DeliveryWindow,
    action_figure,
    baseline_prices,
    confirmation_figures,
    delivery_figures,
    price_figure,
    quality_figure,
    tally_actions,
    tally_confirmations,
    tally_lines,
    tally_movements,
    tally_prices,
)
from mapping.scoring import grade, kpi_scores, supplier_score
from domain.suppliers import SupplierProfile
from mapping.segments import Segment


def month_periods(as_of: date, months: int) -> list[str]:
    """The `months` periods ending with the month of `as_of`, oldest first."""
    return window_periods(period_of(as_of), months)


def window_periods(period: str, months: int) -> list[str]:
    """The `months` periods ending with `period`, oldest first."""
    return [shift_period(period, -back) for back in range(months - 1, -1, -1)]


@dataclass
class SupplierActivity:
    """One supplier's facts, bucketed by the period each counts in."""

    lines: dict[str, list[LineFacts]] = field(default_factory=lambda: defaultdict(list))
    movements: dict[str, list[Movement]] = field(default_factory=lambda: defaultdict(list))
    ordered: dict[str, list[OrderedItem]] = field(default_factory=lambda: defaultdict(list))
    actions: dict[str, list[ActionDue]] = field(default_factory=lambda: defaultdict(list))
    anomalies: list[Anomaly] = field(default_factory=list)


class _PeriodsOf(dict):
    """Day → its period, each worked out once: a dict lookup per line and movement instead of a call."""

    def __missing__(self, day: date) -> str:
        self[day] = period = period_of(day)
        return period


def activities(items: Iterable[ItemHistory], ordered: Iterable[OrderedItem], actions: Iterable[ActionDue],
               as_of: date) -> dict[str, SupplierActivity]:
    """Everything known as of `as_of` (orders dated later do not exist yet): lines by due month, movements
    by posting month, items by order month, actions by due month."""
    found: dict[str, SupplierActivity] = defaultdict(SupplierActivity)
    periods = _PeriodsOf()
    for item in items:
        if item.po_date > as_of:
            continue
        activity = found[item.supplier_id]
        facts_of_item = line_facts(item.po_id, item.item_id, item.po_date, item.lines, item.movements, as_of)
        activity.anomalies += facts_of_item.anomalies
        lines, movements = activity.lines, activity.movements
        for facts in facts_of_item.lines:
            if facts.due <= as_of:
                lines[periods[facts.due]].append(facts)
        for movement in item.movements:
            if movement.posting_date <= as_of:
                movements[periods[movement.posting_date]].append(movement)
    for ordered_item in ordered:
        if ordered_item.order_date <= as_of:
            found[ordered_item.supplier_id].ordered[period_of(ordered_item.order_date)].append(ordered_item)
    for action in actions:
        if action.due_date <= as_of:
            found[action.supplier_id].actions[period_of(action.due_date)].append(action)
    return dict(found)


def month_tally(activity: SupplierActivity, period: str, as_of: date, window: DeliveryWindow, confirm_days: int,
                baselines: dict) -> Tally:
    """What the month gives every KPI: lines due, movements posted, items ordered and actions due in it."""
    ordered = activity.ordered.get(period, ())
    tally = tally_lines(Tally(), activity.lines.get(period, ()), window)
    tally_movements(tally, activity.movements.get(period, ()))
    tally_prices(tally, ordered, baselines)
    tally_confirmations(tally, ordered, as_of, confirm_days)
    return tally_actions(tally, activity.actions.get(period, ()), as_of)


def measured_of(tally: Tally) -> Measured:
    """Every KPI of a month's or a window's tally."""
    times = delivery_figures(tally)
    lag = confirmation_figures(tally)
    kpis = KpiValues(
        otd_pct=times.otd_pct,
        otif_pct=times.otif_pct,
        fill_rate_pct=times.fill_rate_pct,
        lead_time_days_mean=times.lead_time_days_mean,
        delay_days_mean=times.delay_days_mean,
        quality_ppm=quality_figure(tally),
        price_variance_pct=price_figure(tally),
        confirmation_lag_days_median=lag.confirmation_lag_days_median,
        action_closure_pct=action_figure(tally),
    )
    details = {"lead_time_days_median": times.lead_time_days_median, "lead_time_days_p90": times.lead_time_days_p90,
               "confirmed_within_pct": lag.confirmed_within_pct, "lines_due": float(tally.due_lines),
               "lines_open": float(tally.due_lines - tally.judged_lines), "lines_on_time": float(tally.on_time_lines)}
    return Measured(kpis, details, tally.on_time_lines, tally.judged_lines, active=not tally.is_empty())


def measure_window(activity: SupplierActivity, span: list[str], as_of: date, window: DeliveryWindow,
                   confirm_days: int, baselines: dict) -> Measured:
    """Every KPI over the periods in `span` taken together (not an average of monthly values)."""
    return measured_of(Tally.total([month_tally(activity, period, as_of, window, confirm_days, baselines)
                                    for period in span]))


Targets = list[tuple[str, int]]  # (period, window months) measured per supplier
Tallies = dict[tuple[str, str], Tally]  # (supplier, month) → what the month gives the KPIs


@dataclass
class Tallied:
    tallies: Tallies
    anomalies: list[Anomaly]  # movements of the items read that the rules could apply only in part


def targets(periods: list[str], windows: Iterable[int] = (1,), history_periods: Iterable[str] = ()) -> Targets:
    """Every window for each of `periods`; the monthly one only for `history_periods` (velocity, control charts)."""
    return [(period, 1) for period in history_periods] + [(period, months) for period in periods for months in windows]


def tally_months(items: Iterable[ItemHistory], ordered: Iterable[OrderedItem], actions: Iterable[ActionDue],
                 months: Iterable[str], as_of: date, window: DeliveryWindow, confirm_days: int,
                 touched: dict[str, set[str] | None] | None = None) -> Tallied:
    """The tally of each supplier's month with any activity. With `touched` (supplier → the months its
    changed records feed, None for all), only those supplier-months. `ordered` must reach 12 months
    before the earliest month (price baselines)."""
    months = list(months)
    with collector_paused():
        ordered = list(ordered)
        baselines = baseline_prices(ordered)
        tallied = Tallied({}, [])
        for supplier, activity in activities(items, ordered, actions, as_of).items():
            tallied.anomalies += activity.anomalies
            if touched is not None and supplier not in touched:
                continue
            chosen = touched[supplier] if touched is not None else None
            active = activity.lines.keys() | activity.movements.keys() | activity.ordered.keys() | activity.actions.keys()
            for period in (p for p in months if p in active and (chosen is None or p in chosen)):
                tally = month_tally(activity, period, as_of, window, confirm_days, baselines)
                if not tally.is_empty():
                    tallied.tallies[(supplier, period)] = tally
        return tallied


def measure_windows(tallies: Tallies, wanted: Targets,
                    within: dict[str, set[tuple[str, int]]] | None = None) -> dict[tuple[str, str, int], Measured]:
    """(supplier, period, window months) → measured KPIs, for every supplier with a tally: each window
    from the tallies of its months. A supplier in `within` gets its monthly windows and, of the longer
    ones, only those there."""
    by_supplier: dict[str, dict[str, Tally]] = defaultdict(dict)
    for (supplier, period), tally in tallies.items():
        by_supplier[supplier][period] = tally
    spans = [(period, months, window_periods(period, months)) for period, months in wanted]
    measured = {}
    with collector_paused():
        for supplier, mine in by_supplier.items():
            chosen = within.get(supplier) if within else None
            for period, months, span in spans:
                if chosen is not None and months > 1 and (period, months) not in chosen:
                    continue
                measured[(supplier, period, months)] = measured_of(
                    Tally.total([tally for p in span if (tally := mine.get(p)) is not None]))
    return measured


def measure(items: Iterable[ItemHistory], ordered: Iterable[OrderedItem], actions: Iterable[ActionDue],
            periods: list[str], as_of: date, window: DeliveryWindow, confirm_days: int,
            windows: Iterable[int] = (1,), history_periods: Iterable[str] = ()) -> dict[tuple[str, str, int], Measured]:
    """(supplier, period, window months) → measured KPIs, for every supplier with activity in a month measured.

    `history_periods` get the monthly window only (for velocity and control charts). `ordered` must
    reach 12 months before the earliest item it is to price (price baselines).
    """
    wanted = targets(periods, windows, history_periods)
    months = sorted({p for period, months in wanted for p in window_periods(period, months)})
    return measure_windows(tally_months(items, ordered, actions, months, as_of, window, confirm_days).tallies, wanted)


def segment_scales(scales: dict[str, KpiScale], weights: dict[str, float] | None) -> dict[str, KpiScale]:
    if not weights:
        return scales
    return {key: scale.model_copy(update={"weight": weights.get(key, scale.weight)}) for key, scale in scales.items()}


def score_of(kpis: KpiValues, scales: dict[str, KpiScale]) -> tuple[dict[str, float], float | None]:
    scores = kpi_scores(kpis.present(), scales)
    return scores, supplier_score(scores, scales)


def supplier_scales(scoring: ScoringSettings, segment: Segment | None) -> dict[str, KpiScale]:
    return segment_scales(scoring.kpis, scoring.segment_weights.get(segment.srm_level) if segment else None)


def build_scorecards(measured: dict[tuple[str, str, int], Measured], periods: list[str], as_of: date,
                     scoring: ScoringSettings, segments: dict[str, Segment],
                     profiles: dict[str, SupplierProfile]) -> list[Scorecard]:
    """Scorecards for `periods`; monthly measurements of earlier months only feed the velocity."""
    scores: dict[tuple[str, str, int], tuple[dict[str, float], float | None]] = {}
    for (supplier, period, months), values in measured.items():
        scores[(supplier, period, months)] = score_of(values.kpis, supplier_scales(scoring, segments.get(supplier)))
    monthly = {(s, p): score for (s, p, months), (_, score) in scores.items() if months == 1}
    cards = []
    for period in periods:
        for months in sorted({m for (_, p, m) in measured if p == period}):
            keys = [(s, p, m) for (s, p, m) in measured if p == period and m == months and measured[(s, p, m)].active]
            for supplier, _, _ in sorted(keys):
                values = measured[(supplier, period, months)]
                kpi_score_map, score = scores[(supplier, period, months)]
                profile, segment = profiles.get(supplier), segments.get(supplier)
                history = [monthly.get((supplier, p)) for p in window_periods(period, scoring.velocity_months)]
                cards.append(Scorecard(
                    supplier_id=supplier, supplier_name=profile.name if profile else None, period=period,
                    window_months=months, as_of=as_of, status=card_status(period, as_of), kpis=values.kpis,
                    details={k: None if v is None else round(v, 4) for k, v in values.details.items()},
                    kpi_scores={k: round(v, 4) for k, v in kpi_score_map.items()},
                    score=None if score is None else round(score, 4), grade=grade(score, scoring.grades),
                    segment=segment.quadrant if segment else None, srm_level=segment.srm_level if segment else None,
                    category=profile.category if profile else None, velocity_points_per_month=velocity(history)))
    return cards


def evaluation_period(as_of: date) -> str:
    """The latest final month as of `as_of` (risk signals and corrective actions judge it): the month of
    `as_of` once it has ended, else the one before."""
    period = period_of(as_of)
    return period if card_status(period, as_of) == "final" else shift_period(period, -1)
