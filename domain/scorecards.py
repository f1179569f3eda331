"""Scorecards: KPI values, the score they give and its grade, for one supplier and period."""
from dataclasses import dataclass, field
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from config import KPI_KEYS


class KpiValues(BaseModel):
    """One value per KPI key; `None` means no activity (shown as n/a), never 0 or 100."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    otd_pct: float | None = None
    otif_pct: float | None = None
    fill_rate_pct: float | None = None
    lead_time_days_mean: float | None = None
    delay_days_mean: float | None = None
    quality_ppm: float | None = None
    price_variance_pct: float | None = None
    confirmation_lag_days_median: float | None = None
    action_closure_pct: float | None = None

    def present(self) -> dict[str, float]:
        return {key: value for key in KPI_KEYS if (value := getattr(self, key)) is not None}


@dataclass(frozen=True)
class Measured:
    """KPI values of one supplier over one period, with the counts the control chart needs."""

    kpis: KpiValues
    details: dict[str, float | None] = field(default_factory=dict)
    on_time_lines: int = 0
    due_lines: int = 0


class Scorecard(BaseModel):
    """One supplier over one period: a month (`window_months` 1) or the rolling window ending with it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    supplier_id: str
    supplier_name: str | None = None
    period: str = Field(description="YYYY-MM: the month, or the last month of the rolling window.")
    window_months: int = Field(1, ge=1)
    as_of: date
    kpis: KpiValues
    details: dict[str, float | None] = Field(default_factory=dict, description=(
        "lead_time_days_median, lead_time_days_p90, confirmed_within_pct, lines_due, lines_on_time"))
    kpi_scores: dict[str, float]
    score: float | None
    grade: str | None
    segment: str | None = Field(None, description="Kraljic quadrant: strategic, leverage, bottleneck, routine.")
    srm_level: str | None = Field(None, description="strategic, performance-managed or basic.")
    category: str | None = None
    percentile_in_category: float | None = None
    percentile_in_segment: float | None = None
    velocity_points_per_month: float | None = Field(None, description=(
        "Least-squares slope of the monthly score over the last months (config scoring.velocity_months)."))
