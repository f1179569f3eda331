"""The sections that shape the numbers: delivery windows, scoring, segmentation, risk signals, corrective actions."""
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator

from config.kpis import DEFAULT_GRADES, DEFAULT_SCALES, KPI_KEYS, KpiScale
from config.strict import StrictModel


class DeliverySettings(StrictModel):
    """Delivery window and quantity tolerances of OTD/OTIF (DESIGN.md, KPI semantics)."""

    early_days: int = Field(2, ge=0)
    confirm_days: int = Field(2, ge=0, description="Confirmation within this many days of the PO date counts.")
    late_days: int = Field(0, ge=0)
    qty_tolerance_pct: float = Field(2, ge=0, lt=100)
    over_tolerance_pct: float = Field(5, ge=0)


SrmLevel = Literal["strategic", "performance-managed", "basic"]
Severity = Literal["info", "warning", "critical"]
#: a mapping whose keys are matched as written in the CRM or config, in any case and spacing
ByLowerKey = AfterValidator(lambda mapping: {key.strip().lower(): value for key, value in mapping.items()})


class SegmentationSettings(StrictModel):
    pareto_share: float = Field(0.8, gt=0, le=1, description="Spend share that makes the high-spend (A) class.")
    risk_high: float = Field(0.5, ge=0, le=1)
    risk_ratings: Annotated[dict[str, float], ByLowerKey] = Field(
        default_factory=lambda: {"high": 1.0, "medium": 0.5, "low": 0.0})
    critical_materials: list[str] = Field(default_factory=list)
    tier_levels: Annotated[dict[str, SrmLevel], ByLowerKey] = Field(default_factory=lambda: {
        "strategic": "strategic", "tier 1": "strategic", "performance-managed": "performance-managed",
        "tier 2": "performance-managed", "basic": "basic", "tier 3": "basic"})


class RiskSettings(StrictModel):
    trend_points: float = Field(2.0, gt=0, description="Velocity at or below minus this raises a trend signal.")
    concentration_share: float = Field(0.5, gt=0, le=1, description="Share of a category's spend on one supplier.")
    crm_severity: Annotated[dict[str, Severity], ByLowerKey] = Field(
        default_factory=lambda: {"high": "critical", "medium": "warning"})
    pchart_months: int = Field(12, ge=3, le=36)


class ActionSettings(StrictModel):
    auto_open_kinds: list[str] = Field(default_factory=lambda: ["threshold_breach", "p_chart"],
                                       description="Critical signals of these kinds open a plan for their KPI.")
    plan_months: int = Field(4, ge=1, le=24, description="Months from opening to the plan's due date.")
    cadence_months: int = Field(1, ge=1, le=12, description="Months between milestones.")
    sustain_periods: int = Field(2, ge=1, le=12)
    target: Literal["threshold", "target"] = Field("threshold", description=(
        "Which point of the KPI's scale a plan aims for: out of the breach (threshold) or the full target."))
    default_owner: str | None = Field(None, description="Buyer owner when the Account has none.")


class ScoringSettings(StrictModel):
    kpis: dict[str, KpiScale] = Field(default_factory=lambda: dict(DEFAULT_SCALES))
    segment_weights: dict[SrmLevel, dict[str, float]] = Field(
        default_factory=dict, description="Per SRM level, weights that replace the default weight of each KPI named.")
    grades: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_GRADES))
    months: int = Field(12, ge=1, le=60)
    windows: list[int] = Field(default_factory=lambda: [1, 3, 12], description="Scorecard windows in months.")
    velocity_months: int = Field(6, ge=2, le=24)
    batch_suppliers: int = Field(250, ge=1, description=(
        "Suppliers scored at a time (histories read and tallied, cards built, stored and published, signals "
        "and plans judged): memory stays flat as suppliers grow; a batch of 250 takes about 180 MB."))

    @field_validator("segment_weights")
    @classmethod
    def _known_weights(cls, weights: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        for level, kpis in weights.items():
            unknown = sorted(set(kpis) - set(KPI_KEYS))
            if unknown:
                raise ValueError(f"{level}: unknown KPI {', '.join(unknown)}")
            if any(weight < 0 for weight in kpis.values()):
                raise ValueError(f"{level}: weights must not be negative")
        return weights

    @field_validator("windows")
    @classmethod
    def _monthly_first(cls, windows: list[int]) -> list[int]:
        if 1 not in windows or any(w < 1 or w > 36 for w in windows):
            raise ValueError("windows are months between 1 and 36 and must include 1 (the monthly scorecard)")
        return sorted(set(windows))

    @field_validator("kpis")
    @classmethod
    def _known_kpis(cls, kpis: dict[str, KpiScale]) -> dict[str, KpiScale]:
        unknown = sorted(set(kpis) - set(KPI_KEYS))
        if unknown:
            raise ValueError(f"unknown KPI {', '.join(unknown)}; known: {', '.join(KPI_KEYS)}")
        return {**DEFAULT_SCALES, **kpis}

    @field_validator("grades")
    @classmethod
    def _bands_descend(cls, grades: dict[str, float]) -> dict[str, float]:
        floors = list(grades.values())
        if floors != sorted(floors, reverse=True) or len(set(floors)) != len(floors):
            raise ValueError("grade floors must be listed from the highest to the lowest, without ties")
        if not floors or floors[-1] != 0:
            raise ValueError("the lowest grade floor must be 0 so that every score has a grade")
        return grades
