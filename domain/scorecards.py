"""Scorecards: KPI values, the score they give and its grade, for one supplier and period."""
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal
from itertools import chain
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from config import KPI_KEYS
from domain.periods import period_end

CardStatus = Literal["final", "provisional"]


def card_status(period: str, as_of: date) -> CardStatus:
    """A month is final once it has ended by `as_of` (as of its last day or later); a rolling window takes the
    status of its last month."""
    return "final" if as_of >= period_end(period) else "provisional"


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


@dataclass
class Tally:
    """What one supplier's month gives every KPI of a window containing it: counts, exact sums and the
    values that medians and percentiles are taken from. A window's tally is the sum of its months'
    (`mapping.kpis` fills them by the KPI rules and turns them into values)."""

    due_lines: int = 0
    judged_lines: int = 0  # due lines whose window has closed, or that are already on time (OTD, OTIF count these)
    on_time_lines: int = 0
    in_full_lines: int = 0
    filled: Decimal = Decimal(0)  # Σ min(received, ordered) over the lines due
    ordered: Decimal = Decimal(0)
    lead_times: list[int] = field(default_factory=list)  # days, of the complete lines
    delay_days: int = 0  # summed over the complete lines
    received: Decimal = Decimal(0)  # Σ101 − Σ102 posted
    returned: Decimal = Decimal(0)  # Σ122 + Σ161 posted
    moved: bool = False  # any receipt, reversal or return posted
    price_paid_over: Decimal = Decimal(0)  # Σ (price − baseline) × qty over items with a baseline
    price_base: Decimal = Decimal(0)  # Σ baseline × qty, same items
    items_ordered: int = 0
    confirmation_lags: list[int] = field(default_factory=list)  # days, of the items confirmed as of
    confirmed_within: int = 0
    actions_due: int = 0
    actions_closed_in_time: int = 0

    @classmethod
    def total(cls, months: list["Tally"]) -> "Tally":
        """The tally of a window: counts and sums added, values gathered, `moved` if any month moved."""
        if len(months) == 1:
            return months[0]
        columns = zip(*[[getattr(month, name) for name in _TALLY_FIELDS] for month in months])
        return cls(*[any(column) if name == "moved" else list(chain.from_iterable(column))
                     if isinstance(column[0], list) else sum(column) for name, column in zip(_TALLY_FIELDS, columns)])

    def is_empty(self) -> bool:
        return not (self.due_lines or self.moved or self.items_ordered or self.actions_due)


_TALLY_FIELDS = [f.name for f in fields(Tally)]


@dataclass(frozen=True)
class Measured:
    """KPI values of one supplier over one period, with the counts the control chart needs; `active` when
    anything happened in it (a period without any activity has no scorecard)."""

    kpis: KpiValues
    details: dict[str, float | None] = field(default_factory=dict)
    on_time_lines: int = 0
    judged_lines: int = 0
    active: bool = False


class Scorecard(BaseModel):
    """One supplier over one period: a month (`window_months` 1) or the rolling window ending with it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    supplier_id: str
    supplier_name: str | None = None
    period: str = Field(description="YYYY-MM: the month, or the last month of the rolling window.")
    window_months: int = Field(1, ge=1)
    as_of: date
    status: CardStatus = Field(description=(
        "final once the period's (last) month has ended by as_of; provisional while it runs: its values may "
        "still change."))
    kpis: KpiValues
    details: dict[str, float | None] = Field(default_factory=dict, description=(
        "lead_time_days_median, lead_time_days_p90, confirmed_within_pct, lines_due, lines_open (due, window "
        "not closed, not yet on time: not in OTD or OTIF), lines_on_time"))
    kpi_scores: dict[str, float]
    score: float | None
    grade: str | None
    segment: str | None = Field(None, description="Kraljic quadrant: strategic, leverage, bottleneck, routine.")
    srm_level: str | None = Field(None, description="strategic, performance-managed or basic.")
    category: str | None = None
    velocity_points_per_month: float | None = Field(None, description=(
        "Least-squares slope of the monthly score over the last months (config scoring.velocity_months)."))
