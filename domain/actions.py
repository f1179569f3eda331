"""Corrective actions: a time-bound improvement plan for one supplier and KPI, and the rules of its lifecycle.

    open ──► in_progress ──► verifying ──► closed (only by itself: target met for `sustain_periods`)
      │           ▲  │            │
      └──► escalated ◄────────────┘        any state but closed ──► cancelled
"""
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ActionStatus = Literal["open", "in_progress", "verifying", "closed", "escalated", "cancelled"]
MilestoneStatus = Literal["pending", "met", "missed"]
ACTIVE = ("open", "in_progress", "escalated", "verifying")

TRANSITIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"in_progress", "escalated", "verifying", "cancelled"}),
    "in_progress": frozenset({"escalated", "verifying", "cancelled"}),
    "escalated": frozenset({"in_progress", "verifying", "cancelled"}),
    "verifying": frozenset({"closed", "in_progress", "escalated", "cancelled"}),
    "closed": frozenset(),
    "cancelled": frozenset(),
}


class InvalidTransition(ValueError):
    """A status change the lifecycle does not allow; the message says what is allowed."""


def check_transition(current: str, new: str, by_operator: bool) -> None:
    if new == current:
        raise InvalidTransition(f"the plan is already {current}")
    if new == "closed" and by_operator and TRANSITIONS[current]:
        raise InvalidTransition("a plan closes by itself once the KPI has met its target for the sustain periods; "
                                "set it to verifying instead")
    if new not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "nothing: it is final"
        raise InvalidTransition(f"a plan cannot go from {current} to {new}; from {current} it can go to {allowed}")


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
    higher_is_better: bool = True
    due_date: date
    buyer_owner: str | None = None
    supplier_contact: str | None = None
    root_cause: str | None = None
    evidence: list[str] = Field(default_factory=list, description="Notes and the data that closed the plan.")
    escalation_level: int = Field(0, ge=0)
    milestones: list[Milestone] = Field(default_factory=list)
    linked_signals: list[str] = Field(default_factory=list, description="Dedupe keys of the risk signals behind it.")
    sustained: list[str] = Field(default_factory=list, description="Consecutive periods at target while verifying.")
    overdue_escalated: bool = False
    opened_at: datetime
    closed_at: datetime | None = None

    def meets(self, value: float, target: float | None = None) -> bool:
        goal = self.target if target is None else target
        return value >= goal if self.higher_is_better else value <= goal


class ActionChange(BaseModel):
    """What an action event carries: the plan as it is now, and the change that produced the event."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    action: CorrectiveAction
    from_status: ActionStatus | None = Field(description="Status before the change; null when the plan was opened.")
    actor: str = Field(description="Who made the change: an operator's name or `srm-bridge` for automatic changes.")
    reason: str


def linear_milestones(baseline: float, target: float, periods: list[tuple[str, date]]) -> list[Milestone]:
    """Targets on a straight line from the baseline to the target, the last period reaching the target."""
    count = len(periods)
    return [Milestone(period=period, due_date=due, target=round(baseline + (target - baseline) * n / count, 4))
            for n, (period, due) in enumerate(periods, start=1)]


def gap_statement(kpi: str, baseline: float | None, target: float, higher_is_better: bool) -> str:
    """The gap between the baseline and the target in words, the right way round for the KPI's direction."""
    if baseline is None:
        return f"{kpi}: no measured value yet; target {target:g}"
    distance = abs(target - baseline)
    if baseline < target if higher_is_better else baseline > target:
        shortfall = "short" if higher_is_better else "over"
        return f"{kpi} {baseline:.2f} against a target of {target:g} ({distance:.2f} {shortfall})"
    side = "above" if higher_is_better else "below"
    return f"{kpi} {baseline:.2f} already meets the target of {target:g}" + (f" ({distance:.2f} {side} it)" if distance else "")


def closed_statement(kpi: str, target: float, sustained: list[str]) -> str:
    """What a closed plan's gap reads: no shortfall any more, and the months that proved it."""
    return f"closed: {kpi} met the target of {target:g} in {', '.join(sustained)}"
