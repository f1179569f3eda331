"""Scorecards: KPI values, the score they give and its grade, for one supplier and period."""
from datetime import date
from pydantic import BaseModel, ConfigDict

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


class Scorecard(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    supplier_id: str
    supplier_name: str | None = None
    period: str
    as_of: date
    kpis: KpiValues
    kpi_scores: dict[str, float]
    score: float | None
    grade: str | None
