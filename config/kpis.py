"""KPI names other programs read, and how each KPI maps onto a 0-100 score."""
from pydantic import Field, model_validator

from config.strict import StrictModel

KPI_KEYS = (
    "otd_pct",
    "otif_pct",
    "fill_rate_pct",
    "lead_time_days_mean",
    "delay_days_mean",
    "quality_ppm",
    "price_variance_pct",
    "confirmation_lag_days_median",
    "action_closure_pct",
)


class KpiScale(StrictModel):
    """Linear score: `threshold` scores 0, `target` scores 100, clamped in between."""

    threshold: float
    target: float
    higher_is_better: bool
    weight: float = Field(ge=0)

    @model_validator(mode="after")
    def _direction_matches(self) -> "KpiScale":
        if self.threshold == self.target:
            raise ValueError("threshold and target must differ")
        if (self.target > self.threshold) != self.higher_is_better:
            direction = "above" if self.higher_is_better else "below"
            raise ValueError(f"target must lie {direction} threshold when higher_is_better={self.higher_is_better}")
        return self


DEFAULT_SCALES: dict[str, KpiScale] = {
    "otd_pct": KpiScale(threshold=70, target=98, higher_is_better=True, weight=30),
    "otif_pct": KpiScale(threshold=60, target=95, higher_is_better=True, weight=20),
    "fill_rate_pct": KpiScale(threshold=85, target=100, higher_is_better=True, weight=15),
    "quality_ppm": KpiScale(threshold=5000, target=500, higher_is_better=False, weight=20),
    "lead_time_days_mean": KpiScale(threshold=60, target=20, higher_is_better=False, weight=0),
    "delay_days_mean": KpiScale(threshold=10, target=0, higher_is_better=False, weight=0),
    "price_variance_pct": KpiScale(threshold=5, target=0, higher_is_better=False, weight=5),
    "confirmation_lag_days_median": KpiScale(threshold=7, target=1, higher_is_better=False, weight=5),
    "action_closure_pct": KpiScale(threshold=50, target=100, higher_is_better=True, weight=5),
}

#: grade -> lowest score that earns it, highest first; the last floor must be 0 so every score has a grade
DEFAULT_GRADES: dict[str, float] = {"A": 90, "B": 75, "C": 60, "D": 0}

#: KPI -> (lowest, highest) value it can take; None: unbounded on that side. A target outside is refused.
KPI_RANGES: dict[str, tuple[float | None, float | None]] = {
    "otd_pct": (0, 100),
    "otif_pct": (0, 100),
    "fill_rate_pct": (0, 100),
    "lead_time_days_mean": (0, None),
    "delay_days_mean": (None, None),
    "quality_ppm": (0, 1_000_000),
    "price_variance_pct": (-100, None),
    "confirmation_lag_days_median": (0, None),
    "action_closure_pct": (0, 100),
}


def outside_range(kpi: str, value: float) -> str | None:
    """Why `value` cannot be a value of `kpi`, or None when it can."""
    low, high = KPI_RANGES[kpi]
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"{'-∞' if low is None else f'{low:g}'} to {'∞' if high is None else f'{high:g}'}"
        return f"{value:g} is outside the range of {kpi} ({bounds})"
    return None
