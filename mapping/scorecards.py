"""KPI values per supplier and period (monthly and rolling windows) and the scorecards built from them."""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Iterable

from config import KpiScale
from config.settings import ScoringSettings
from domain.deliveries import ActionDue, ItemHistory, Movement, OrderedItem
from domain.performance import collector_paused
from domain.periods import period_of, shift_period
from domain.scorecards import KpiValues, Measured, Scorecard
from mapping.benchmarks import percentile_ranks, velocity
from mapping.deliveries import LineFacts, line_facts
from mapping.kpis import (
    DeliveryWindow,
    action_closure_pct,
    baseline_prices,
    confirmation_lag,
    deliveries,
    price_variance_pct,
    quality_ppm,
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


def activities(items: Iterable[ItemHistory], ordered: Iterable[OrderedItem], actions: Iterable[ActionDue],
               as_of: date) -> dict[str, SupplierActivity]:
    """Everything known as of `as_of`: lines by due month, movements by posting month, items by order
    month, actions by due month."""
    found: dict[str, SupplierActivity] = defaultdict(SupplierActivity)
    for item in items:
        activity = found[item.supplier_id]
        for facts in line_facts(item.po_id, item.item_id, item.po_date, item.lines, item.movements, as_of):
            if facts.due <= as_of:
                activity.lines[period_of(facts.due)].append(facts)
        for movement in item.movements:
            if movement.posting_date <= as_of:
                activity.movements[period_of(movement.posting_date)].append(movement)
    for ordered_item in ordered:
        if ordered_item.order_date <= as_of:
            found[ordered_item.supplier_id].ordered[period_of(ordered_item.order_date)].append(ordered_item)
    for action in actions:
        if action.due_date <= as_of:
            found[action.supplier_id].actions[period_of(action.due_date)].append(action)
    return dict(found)


def measure_window(activity: SupplierActivity, span: list[str], as_of: date, window: DeliveryWindow,
                   confirm_days: int, baselines: dict) -> Measured:
    """Every KPI over the periods in `span` taken together (not an average of monthly values)."""
    lines = [line for period in span for line in activity.lines.get(period, ())]
    ordered = [item for period in span for item in activity.ordered.get(period, ())]
    times = deliveries(lines, window)
    lag = confirmation_lag(ordered, as_of, confirm_days)
    on_time = times.on_time_lines
    kpis = KpiValues(
        otd_pct=times.otd_pct,
        otif_pct=times.otif_pct,
        fill_rate_pct=times.fill_rate_pct,
        lead_time_days_mean=times.lead_time_days_mean,
        delay_days_mean=times.delay_days_mean,
        quality_ppm=quality_ppm(m for period in span for m in activity.movements.get(period, ())),
        price_variance_pct=price_variance_pct(ordered, baselines),
        confirmation_lag_days_median=lag.confirmation_lag_days_median,
        action_closure_pct=action_closure_pct((a for period in span for a in activity.actions.get(period, ())), as_of),
    )
    details = {"lead_time_days_median": times.lead_time_days_median, "lead_time_days_p90": times.lead_time_days_p90,
               "confirmed_within_pct": lag.confirmed_within_pct, "lines_due": float(len(lines)),
               "lines_on_time": float(on_time)}
    return Measured(kpis, details, on_time, len(lines))


Targets = list[tuple[str, int]]  # (period, window months) measured per supplier


def targets(periods: list[str], windows: Iterable[int] = (1,), history_periods: Iterable[str] = ()) -> Targets:
    """Every window for each of `periods`; the monthly one only for `history_periods` (velocity, control charts)."""
    return [(period, 1) for period in history_periods] + [(period, months) for period in periods for months in windows]


def covering(wanted: Targets, touched: set[str] | None) -> Targets:
    """The targets whose window contains a touched month: all of them when every month is touched."""
    if touched is None:
        return wanted
    return [(period, months) for period, months in wanted if not touched.isdisjoint(window_periods(period, months))]


def measure(items: Iterable[ItemHistory], ordered: Iterable[OrderedItem], actions: Iterable[ActionDue],
            periods: list[str], as_of: date, window: DeliveryWindow, confirm_days: int,
            windows: Iterable[int] = (1,), history_periods: Iterable[str] = (),
            touched: dict[str, set[str] | None] | None = None) -> dict[tuple[str, str, int], Measured]:
    """(supplier, period, window months) → measured KPIs, for every supplier with any activity.

    `history_periods` get the monthly window only (for velocity and control charts). `ordered` must
    reach 12 months before the earliest item it is to price (price baselines). With `touched`
    (supplier → months its changed records feed), only those suppliers are measured, and only over
    the windows containing one of those months.
    """
    wanted = targets(periods, windows, history_periods)
    with collector_paused():
        ordered = list(ordered)
        baselines = baseline_prices(ordered)
        measured = {}
        for supplier, activity in activities(items, ordered, actions, as_of).items():
            if touched is not None and supplier not in touched:
                continue
            for period, months in wanted if touched is None else covering(wanted, touched[supplier]):
                measured[(supplier, period, months)] = measure_window(
                    activity, window_periods(period, months), as_of, window, confirm_days, baselines)
        return measured


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
            keys = [(s, p, m) for (s, p, m) in measured if p == period and m == months and measured[(s, p, m)].kpis.present()]
            scored = {s: scores[(s, p, m)][1] for (s, p, m) in keys if scores[(s, p, m)][1] is not None}
            by_category = percentile_ranks(scored, {s: profiles[s].category if s in profiles else None for s in scored})
            by_segment = percentile_ranks(scored, {s: segments[s].srm_level if s in segments else None for s in scored})
            for supplier, _, _ in sorted(keys):
                values = measured[(supplier, period, months)]
                kpi_score_map, score = scores[(supplier, period, months)]
                profile, segment = profiles.get(supplier), segments.get(supplier)
                history = [monthly.get((supplier, p)) for p in window_periods(period, scoring.velocity_months)]
                cards.append(Scorecard(
                    supplier_id=supplier, supplier_name=profile.name if profile else None, period=period,
                    window_months=months, as_of=as_of, kpis=values.kpis,
                    details={k: None if v is None else round(v, 4) for k, v in values.details.items()},
                    kpi_scores={k: round(v, 4) for k, v in kpi_score_map.items()},
                    score=None if score is None else round(score, 4), grade=grade(score, scoring.grades),
                    segment=segment.quadrant if segment else None, srm_level=segment.srm_level if segment else None,
                    category=profile.category if profile else None,
                    percentile_in_category=by_category.get(supplier), percentile_in_segment=by_segment.get(supplier),
                    velocity_points_per_month=velocity(history)))
    return cards


def evaluation_period(as_of: date) -> str:
    """The month risk signals are judged on: the month of `as_of` once it is complete, else the one before."""
    if (as_of + timedelta(days=1)).month != as_of.month:
        return period_of(as_of)
    return window_periods(period_of(as_of), 2)[0]
