"""Risk signals: the conditions that hold for a supplier now, each with a stable dedupe key.

A condition that appears raises its signal once; when it no longer holds, the signal is cleared
once (the store keeps that state). Statistical signals follow DESIGN.md: a p-chart of OTD over the
last months, limits p̄ ± 3·√(p̄(1−p̄)/n) per month; the latest month below its lower limit is
critical; Western Electric run rules on the low side (2 of 3 beyond 2σ, 4 of 5 beyond 1σ, 8 in
a row below the centre line) are warnings.
"""
import math
from dataclasses import dataclass, field
from typing import Any

from config import KpiScale
from config.settings import RiskSettings
from domain.suppliers import SupplierProfile
from mapping.segments import Segment


@dataclass(frozen=True)
class Condition:
    dedupe_key: str
    supplier_id: str
    kind: str
    severity: str
    kpi: str | None = None
    period: str | None = None
    observed: float | None = None
    limit: float | None = None
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChartPoint:
    period: str
    on_time: int
    due: int
    share: float
    sigma: float
    lower: float
    upper: float


def p_chart(months: list[tuple[str, int, int]]) -> tuple[float, list[ChartPoint]] | None:
    """(period, on-time lines, due lines) oldest first → centre p̄ and each month's point and limits."""
    counted = [(period, on_time, due) for period, on_time, due in months if due > 0]
    total = sum(due for _, _, due in counted)
    if not total:
        return None
    centre = sum(on_time for _, on_time, _ in counted) / total
    points = []
    for period, on_time, due in counted:
        sigma = math.sqrt(centre * (1 - centre) / due)
        points.append(ChartPoint(period, on_time, due, on_time / due, sigma,
                                 max(0.0, centre - 3 * sigma), min(1.0, centre + 3 * sigma)))
    return centre, points


def z_score(point: ChartPoint, centre: float) -> float:
    return 0.0 if point.sigma == 0 else (point.share - centre) / point.sigma


RUN_RULES = (("2_of_3_beyond_2_sigma", 3, 2, -2.0), ("4_of_5_beyond_1_sigma", 5, 4, -1.0),
             ("8_in_a_row_below_centre", 8, 8, 0.0))


def statistical_conditions(supplier_id: str, period: str, months: list[tuple[str, int, int]]) -> list[Condition]:
    """p-chart and run rules for the chart ending at `period` (which must be the chart's last month)."""
    chart = p_chart(months)
    if chart is None or chart[1][-1].period != period:
        return []
    centre, points = chart
    latest = points[-1]
    evidence = {"p_bar": round(centre, 6), "months": [
        {"period": p.period, "on_time": p.on_time, "due": p.due, "p": round(p.share, 6),
         "lcl": round(p.lower, 6), "ucl": round(p.upper, 6)} for p in points]}
    found = []
    if latest.share < latest.lower:
        found.append(Condition(f"p_chart:{supplier_id}:otd_pct", supplier_id, "p_chart", "critical", "otd_pct", period,
                               round(100 * latest.share, 4), round(100 * latest.lower, 4), evidence))
    for rule in rules_fired(points, centre, len(points) - 1):
        found.append(Condition(f"run_rule:{supplier_id}:otd_pct:{rule}", supplier_id, "run_rule", "warning",
                               "otd_pct", period, round(100 * latest.share, 4), round(100 * centre, 4),
                               {**evidence, "rule": rule}))
    return found


def rules_fired(points: list[ChartPoint], centre: float, end: int) -> list[str]:
    """The run rules (low side) that the points up to and including `points[end]` complete."""
    fired = []
    for rule, span, needed, beyond in RUN_RULES:
        recent = points[max(0, end - span + 1):end + 1]
        if len(recent) == span and sum(z_score(p, centre) < beyond for p in recent) >= needed:
            fired.append(rule)
    return fired


BELOW_LOWER_LIMIT = "below_lower_limit"


def flagged_months(centre: float, points: list[ChartPoint]) -> dict[str, list[str]]:
    """Each month of the chart that a rule flags, as the chart would have judged it in that month:
    below its lower control limit, or completing a run rule."""
    flags = {}
    for index, point in enumerate(points):
        found = ([BELOW_LOWER_LIMIT] if point.share < point.lower else []) + rules_fired(points, centre, index)
        if found:
            flags[point.period] = found
    return flags


def threshold_conditions(supplier_id: str, period: str, values: dict[str, float], scales: dict[str, KpiScale],
                         weights: dict[str, float]) -> list[Condition]:
    """A KPI worse than its threshold: critical when it weighs in the score, else a warning."""
    found = []
    for kpi, value in values.items():
        scale = scales.get(kpi)
        if scale is None:
            continue
        worse = value < scale.threshold if scale.higher_is_better else value > scale.threshold
        if worse:
            found.append(Condition(f"threshold_breach:{supplier_id}:{kpi}", supplier_id, "threshold_breach",
                                   "critical" if weights.get(kpi, 0) > 0 else "warning", kpi, period,
                                   round(value, 4), scale.threshold, {"target": scale.target}))
    return found


def trend_condition(supplier_id: str, period: str, velocity: float | None, settings: RiskSettings) -> list[Condition]:
    if velocity is None or velocity > -settings.trend_points:
        return []
    return [Condition(f"trend:{supplier_id}", supplier_id, "trend", "warning", None, period, velocity,
                      -settings.trend_points, {"unit": "score points per month"})]


def sourcing_conditions(supplier_id: str, segment: Segment | None, category_share: float | None,
                        category: str | None, settings: RiskSettings) -> list[Condition]:
    found = []
    if category_share is not None and category_share >= settings.concentration_share:
        found.append(Condition(f"concentration:{supplier_id}:{category}", supplier_id, "concentration", "warning",
                               observed=round(100 * category_share, 4), limit=100 * settings.concentration_share,
                               evidence={"category": category}))
    if segment is not None and segment.single_source_share > 0:
        found.append(Condition(f"single_source:{supplier_id}", supplier_id, "single_source",
                               "warning" if segment.single_source_share >= 0.5 else "info",
                               observed=round(100 * segment.single_source_share, 4),
                               evidence={"unit": "% of the supplier's spend on materials no one else delivers"}))
    return found


def crm_condition(profile: SupplierProfile | None, settings: RiskSettings) -> list[Condition]:
    rating = (profile.risk_rating or "").strip().lower() if profile else ""
    severity = settings.crm_severity.get(rating)
    if severity is None:
        return []
    return [Condition(f"crm_risk:{profile.supplier_id}", profile.supplier_id, "crm_risk", severity,
                      evidence={"risk_rating": profile.risk_rating})]


def supplier_conditions(supplier_id: str, period: str, card_values: dict[str, float], weights: dict[str, float],
                        velocity_now: float | None, chart_months: list[tuple[str, int, int]],
                        scales: dict[str, KpiScale], segment: Segment | None, category_share: float | None,
                        profile: SupplierProfile | None, settings: RiskSettings) -> list[Condition]:
    """Every condition that holds for one supplier, evaluated on `period`."""
    return (threshold_conditions(supplier_id, period, card_values, scales, weights)
            + statistical_conditions(supplier_id, period, chart_months)
            + trend_condition(supplier_id, period, velocity_now, settings)
            + sourcing_conditions(supplier_id, segment, category_share,
                                  profile.category if profile else None, settings)
            + crm_condition(profile, settings))
