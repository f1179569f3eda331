"""Corrective actions: a time-bound improvement plan for one supplier and KPI."""
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ActionStatus = Literal["open", "in_progress", "verifying", "closed", "escalated", "cancelled"]
MilestoneStatus = Literal["pending", "met", "missed"]


class Milestone(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    period: str = Field(description="YYYY-MM whose measured KPI is compared with the milestone target.")
    due_date: date
    target: float
    measured: float | None = None
    status: MilestoneStatus = "pending"


class CorrectiveAction(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    action_id: int
    supplier_id: str
    kpi: str
    status: ActionStatus
    gap: str = Field(description="The target missed and by how much, in words.")
    baseline: float | None
    target: float
    due_date: date
    buyer_owner: str | None = None
    supplier_contact: str | None = None
    root_cause: str | None = None
    escalation_level: int = Field(0, ge=0)
    milestones: list[Milestone] = Field(default_factory=list)
    linked_signals: list[str] = Field(default_factory=list, description="Dedupe keys of the risk signals behind it.")
    opened_at: datetime
    closed_at: datetime | None = None


class ActionChange(BaseModel):
    """What an action event carries: the plan as it is now, and the change that produced the event."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    action: CorrectiveAction
    from_status: ActionStatus | None = Field(description="Status before the change; null when the plan was opened.")
    actor: str = Field(description="Who made the change: an operator's name or `srm-bridge` for automatic changes.")
    reason: str
