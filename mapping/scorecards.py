"""Supplier-month KPI values and the scorecards built from them."""
from collections import defaultdict
from datetime import date
from typing import Iterable

from config import KpiScale
from domain.scorecards import KpiValues, Scorecard
from domain.deliveries import ItemHistory, Movement
from mapping.deliveries import LineFacts, line_facts
from mapping.kpis import (
    DeliveryWindow,
    due_lines,
    fill_rate_pct,
    lead_times,
    on_time_delivery_pct,
    on_time_in_full_pct,
    period_of,
    quality_ppm,
)
from mapping.scoring import grade, kpi_scores, supplier_score


def month_periods(as_of: date, months: int) -> list[str]:
    index = as_of.year * 12 + as_of.month - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - months + 1, index + 1)]


def measure(items: Iterable[ItemHistory], periods: list[str], as_of: date,
            window: DeliveryWindow) -> dict[tuple[str, str], KpiValues]:
    """KPI values per (supplier, period) for every supplier with any item, over the given periods."""
    lines: dict[str, list[LineFacts]] = defaultdict(list)
    movements: dict[tuple[str, str], list[Movement]] = defaultdict(list)
    wanted = set(periods)
    for item in items:
        lines[item.supplier_id].extend(line_facts(item.po_id, item.item_id, item.po_date, item.lines, item.movements, as_of))
        for movement in item.movements:
            period = period_of(movement.posting_date)
            if movement.posting_date <= as_of and period in wanted:
                movements[(item.supplier_id, period)].append(movement)
    values = {}
    for supplier, supplier_lines in lines.items():
        for period in periods:
            due = due_lines(supplier_lines, period, as_of)
            times = lead_times(due, window)
            values[(supplier, period)] = KpiValues(
                otd_pct=on_time_delivery_pct(due, window),
                otif_pct=on_time_in_full_pct(due, window),
                fill_rate_pct=fill_rate_pct(due),
                lead_time_days_mean=times.lead_time_days_mean,
                delay_days_mean=times.delay_days_mean,
                quality_ppm=quality_ppm(movements.get((supplier, period), ())),
            )
    return values


def build_scorecard(supplier_id: str, period: str, kpis: KpiValues, as_of: date, scales: dict[str, KpiScale],
                    bands: dict[str, float], supplier_name: str | None = None) -> Scorecard:
    scores = kpi_scores(kpis.present(), scales)
    score = supplier_score(scores, scales)
    return Scorecard(supplier_id=supplier_id, supplier_name=supplier_name, period=period, as_of=as_of, kpis=kpis,
                     kpi_scores={key: round(value, 4) for key, value in scores.items()},
                     score=None if score is None else round(score, 4), grade=grade(score, bands))
