"""Risk signals: a condition on one supplier, raised once and cleared once."""
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from config.scoring import Severity

RiskKind = Literal["threshold_breach", "p_chart", "run_rule", "trend", "concentration", "single_source", "crm_risk",
                   "action_overdue"]


class RiskSignal(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    dedupe_key: str = Field(description="Stable key: the same condition on the same supplier keeps the same key.")
    supplier_id: str
    kind: RiskKind
    kpi: str | None = None
    period: str | None = Field(None, description="YYYY-MM the signal was observed in, when it belongs to a month.")
    severity: Severity
    observed: float | None = None
    limit: float | None = Field(None, description="The threshold or control limit the observed value crossed.")
    evidence: dict[str, Any] = Field(default_factory=dict)
    raised_at: datetime
    cleared_at: datetime | None = None
