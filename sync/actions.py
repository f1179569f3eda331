"""The corrective-action loop and the operators' changes.

Critical signals open plans (one active plan per supplier and KPI; a repeated signal attaches to
it); each scoring run judges due milestones against the measured month (a miss escalates), moves a
plan whose KPI meets its target to `verifying`, closes it after `sustain_periods` consecutive
months at target (falling back re-opens it), and escalates an overdue plan once. Every change is
an audit entry and, where it matters to other systems, an event, in the caller's transaction.
"""
import logging
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Connection

from config import KpiScale, Settings
from config.kpis import KPI_RANGES, outside_range
from domain.actions import (
    ActionChange,
    CorrectiveAction,
    InvalidTransition,
    check_transition,
    closed_statement,
    gap_statement,
    linear_milestones,
)
from domain.risks import RiskSignal
from domain.scorecards import Scorecard
from domain.suppliers import SupplierProfile
from domain.periods import period_end, period_of, shift_period
from mapping.scorecards import evaluation_period
from store.actions import add_audit, find_actions, insert_action, load_action, update_action
from store.measurements import mark_dirty, mark_input_changed
from store.records import supplier_known
from sync.envelope import enqueue

log = logging.getLogger("srm_bridge.sync.actions")
AUTOMATIC = "srm-bridge"


@dataclass
class ActionReport:
    opened: int = 0
    escalated: int = 0
    closed: int = 0
    changed: int = 0
    steps: list[str] = field(default_factory=list)  # each change: plan, supplier, KPI, status and why
    events: dict[str, int] = field(default_factory=dict)  # event type → events enqueued

    def absorb(self, other: "ActionReport") -> None:
        """Add the changes of another run over other suppliers."""
        self.opened, self.escalated = self.opened + other.opened, self.escalated + other.escalated
        self.closed, self.changed = self.closed + other.closed, self.changed + other.changed
        self.steps += other.steps
        for event_type, count in other.events.items():
            self.events[event_type] = self.events.get(event_type, 0) + count

    def add(self, before: CorrectiveAction | None, after: CorrectiveAction, reason: str) -> None:
        self.steps.append(f"plan {after.action_id} {after.supplier_id} {after.kpi}: "
                          f"{before.status if before else 'new'} -> {after.status}: {reason}")
        if event_type := _event_type(before, after):
            self.events[event_type] = self.events.get(event_type, 0) + 1


def _diff(before: CorrectiveAction | None, after: CorrectiveAction) -> dict:
    new = after.model_dump(mode="json")
    if before is None:
        return {"opened": new}
    old = before.model_dump(mode="json")
    return {key: [old[key], value] for key, value in new.items() if old[key] != value}


def _affects_closure(before: CorrectiveAction | None, after: CorrectiveAction) -> bool:
    """Whether `action_closure_pct` may read this plan differently: new, due date, closed or cancelled."""
    return before is None or before.due_date != after.due_date or before.closed_at != after.closed_at \
        or (before.status == "cancelled") != (after.status == "cancelled")


def _event_type(before: CorrectiveAction | None, after: CorrectiveAction) -> str | None:
    if before is None:
        return "action.opened.v1"
    if after.status == "closed":
        return "action.closed.v1"
    if after.escalation_level > before.escalation_level:
        return "action.escalated.v1"
    if after.status != before.status:
        return "action.status_changed.v1"
    return None


def record(connection: Connection, settings: Settings, before: CorrectiveAction | None, after: CorrectiveAction,
           actor: str, reason: str, now: datetime) -> CorrectiveAction:
    """Store the change, append it to the trail and, when others need to know, enqueue its event."""
    if before is None:
        after = insert_action(connection, after)
    else:
        update_action(connection, after)
    add_audit(connection, after.action_id, now, actor, before.status if before else None, after.status,
              _diff(before, after), reason)
    if _affects_closure(before, after):
        # its action closure KPI is measured again next run, in the months it was and is due
        mark_dirty(connection, {(after.supplier_id, period_of(plan.due_date)) for plan in (before, after) if plan})
    event_type = _event_type(before, after)
    if event_type:
        enqueue(connection, settings.broker, event_type, after.supplier_id,
                ActionChange(action=after, from_status=before.status if before else None, actor=actor, reason=reason),
                now)
    log.info("corrective action changed", extra={"action_id": after.action_id, "supplier": after.supplier_id,
                                                 "kpi": after.kpi, "status": after.status, "event": event_type,
                                                 "actor": actor, "reason": reason})
    return after


def new_plan(settings: Settings, supplier_id: str, kpi: str, scale: KpiScale, baseline: float | None, period: str,
             now: datetime, profile: SupplierProfile | None, target: float | None = None, due: date | None = None,
             signal: str | None = None) -> CorrectiveAction:
    plan = settings.actions
    goal = target if target is not None else (scale.threshold if plan.target == "threshold" else scale.target)
    due_period = period_of(due) if due else shift_period(period, plan.plan_months)
    steps, step = [], shift_period(period, plan.cadence_months)
    while step < due_period:
        steps.append(step)
        step = shift_period(step, plan.cadence_months)
    periods = [(p, period_end(p)) for p in steps] + [(due_period, due or period_end(due_period))]
    return CorrectiveAction(
        action_id=0, supplier_id=supplier_id, kpi=kpi, status="open", target=goal,
        gap=gap_statement(kpi, baseline, goal, scale.higher_is_better),
        baseline=None if baseline is None else round(baseline, 4), higher_is_better=scale.higher_is_better,
        due_date=periods[-1][1],
        buyer_owner=(profile.owner_name if profile else None) or plan.default_owner,
        milestones=linear_milestones(goal if baseline is None else baseline, goal, periods),
        linked_signals=[signal] if signal else [], opened_at=now)


def run_actions(connection: Connection, settings: Settings, as_of: date, now: datetime, cards: list[Scorecard],
                signals: list[RiskSignal], profiles: dict[str, SupplierProfile],
                suppliers: set[str] | None = None) -> ActionReport:
    """Open, judge and close the plans of every supplier, or of `suppliers` (`cards` and `signals` theirs)."""
    period = evaluation_period(as_of)
    monthly = {(c.supplier_id, c.period): c for c in cards if c.window_months == 1}
    report = ActionReport()
    active = {(a.supplier_id, a.kpi): a for a in find_actions(connection, active=True, suppliers=suppliers)}
    for signal in signals:
        if signal.severity != "critical" or signal.kind not in settings.actions.auto_open_kinds or not signal.kpi:
            continue
        plan = active.get((signal.supplier_id, signal.kpi))
        if plan is None:
            card = monthly.get((signal.supplier_id, period))
            baseline = getattr(card.kpis, signal.kpi) if card else signal.observed
            opened = new_plan(settings, signal.supplier_id, signal.kpi, settings.scoring.kpis[signal.kpi], baseline,
                              period, now, profiles.get(signal.supplier_id), signal=signal.dedupe_key)
            reason = f"critical signal {signal.dedupe_key}"
            active[(signal.supplier_id, signal.kpi)] = opened = record(connection, settings, None, opened, AUTOMATIC,
                                                                       reason, now)
            report.add(None, opened, reason)
            report.opened += 1
        elif signal.dedupe_key not in plan.linked_signals:
            linked = plan.model_copy(update={"linked_signals": [*plan.linked_signals, signal.dedupe_key]})
            reason = f"signal {signal.dedupe_key} attached"
            active[(signal.supplier_id, signal.kpi)] = record(connection, settings, plan, linked, AUTOMATIC, reason, now)
            report.add(plan, linked, reason)
    for plan in list(active.values()):
        for after, reason in _evaluate(plan, monthly, period, as_of, now, settings.actions.sustain_periods):
            record(connection, settings, plan, after, AUTOMATIC, reason, now)
            report.add(plan, after, reason)
            report.changed += 1
            report.escalated += after.escalation_level > plan.escalation_level
            report.closed += after.status == "closed"
            if after.status == "closed":  # a critical signal that still holds opens a new plan: the next run judges it
                mark_input_changed(connection, "action", [after.supplier_id])
            plan = after
    return report


def _escalate(plan: CorrectiveAction, **changes: object) -> CorrectiveAction:
    status = plan.status if plan.status == "escalated" else "escalated"
    return plan.model_copy(update={"status": status, "escalation_level": plan.escalation_level + 1,
                                   "sustained": [], **changes})


def _evaluate(plan: CorrectiveAction, monthly: dict, period: str, as_of: date, now: datetime,
              sustain_periods: int) -> list[tuple[CorrectiveAction, str]]:
    """The changes one scoring run makes to one plan, in order, each with its reason."""
    steps = []

    def value_in(month: str) -> float | None:
        card = monthly.get((plan.supplier_id, month))
        return getattr(card.kpis, plan.kpi) if card else None

    for index, milestone in enumerate(plan.milestones):
        measured = value_in(milestone.period)
        if milestone.status != "pending" or milestone.period > period or measured is None:
            continue
        met = plan.meets(measured, milestone.target)
        milestones = list(plan.milestones)
        milestones[index] = milestone.model_copy(update={"measured": round(measured, 4),
                                                         "status": "met" if met else "missed"})
        verdict = f"milestone {milestone.period} {'met' if met else 'missed'}: {measured:.2f} against {milestone.target:g}"
        plan = plan.model_copy(update={"milestones": milestones}) if met else _escalate(plan, milestones=milestones)
        steps.append((plan, verdict))
    if as_of > plan.due_date and not plan.overdue_escalated:
        plan = _escalate(plan, overdue_escalated=True)
        steps.append((plan, f"overdue: due {plan.due_date}, not closed"))
    current = value_in(period)
    if current is not None:
        if plan.meets(current) and plan.status in ("open", "in_progress", "escalated"):
            plan = plan.model_copy(update={"status": "verifying", "sustained": [period]})
            steps.append((plan, f"{plan.kpi} {current:.2f} meets the target {plan.target:g} in {period}: verifying"))
        elif plan.status == "verifying" and period not in plan.sustained:
            if not plan.meets(current):
                plan = plan.model_copy(update={"status": "in_progress", "sustained": []})
                steps.append((plan, f"{plan.kpi} fell back to {current:.2f} in {period}, below {plan.target:g}"))
            else:
                consecutive = plan.sustained and plan.sustained[-1] == shift_period(period, -1)
                sustained = [*plan.sustained, period] if consecutive else [period]
                plan = plan.model_copy(update={"sustained": sustained})
                if len(sustained) >= sustain_periods:
                    proof = f"{plan.kpi} met {plan.target:g} in {', '.join(sustained)}"
                    plan = plan.model_copy(update={"status": "closed", "closed_at": now,
                                                   "gap": closed_statement(plan.kpi, plan.target, sustained),
                                                   "evidence": [*plan.evidence, proof]})
                    steps.append((plan, f"closed: {proof}"))
                else:
                    steps.append((plan, f"{plan.kpi} {current:.2f} at target in {period} "
                                        f"({len(sustained)} of {sustain_periods})"))
    return steps


def operator_update(connection: Connection, settings: Settings, action_id: int, actor: str, now: datetime,
                    status: str | None = None, note: str | None = None, **fields: str | None) -> CorrectiveAction:
    """An operator's change; an invalid status change raises `InvalidTransition`, an unknown plan `LookupError`."""
    plan = load_action(connection, action_id, for_update=True)
    if plan is None:
        raise LookupError(f"there is no corrective action {action_id}")
    changes: dict = {key: value for key, value in fields.items() if value is not None and key != "evidence"}
    if fields.get("evidence"):
        changes["evidence"] = [*plan.evidence, fields["evidence"]]
    if status:
        check_transition(plan.status, status, by_operator=True)
        changes["status"] = status
        if status == "escalated":
            changes["escalation_level"] = plan.escalation_level + 1
        if status != "verifying":
            changes["sustained"] = []
    if not changes and not note:
        raise ValueError("nothing to change: give --status, --note, --owner, --root-cause, --evidence or "
                         "--supplier-contact")
    after = plan.model_copy(update=changes)
    return _by_operator(connection, settings, plan, after, actor, note or "updated by an operator", now)


def operator_open(connection: Connection, settings: Settings, supplier_id: str, kpi: str, target: float, due: date,
                  actor: str, note: str | None, baseline: float | None, as_of: date, now: datetime,
                  profile: SupplierProfile | None) -> CorrectiveAction:
    """A plan opened by hand; an unknown supplier raises `LookupError`; a target no value can reach, or one the
    baseline already meets (its milestones would lead away from it), `ValueError`."""
    if not supplier_known(connection, supplier_id):
        raise LookupError(f"supplier {supplier_id} not found: no SAP purchase order or Salesforce Account names it")
    if problem := outside_range(kpi, target):
        raise ValueError(f"target {problem}")
    period = evaluation_period(as_of)
    existing = [a for a in find_actions(connection, supplier_id=supplier_id, active=True) if a.kpi == kpi]
    if existing:
        raise InvalidTransition(f"plan {existing[0].action_id} is already {existing[0].status} for {supplier_id} "
                                f"and {kpi}; update it instead")
    if f"{due:%Y-%m}" <= period:
        raise ValueError(f"the due date must fall after {period}, the last month measured")
    scale = settings.scoring.kpis[kpi]
    if baseline is not None and (baseline >= target if scale.higher_is_better else baseline <= target):
        best = KPI_RANGES[kpi][1 if scale.higher_is_better else 0]
        hint = f"it is at its best value, {best:g}" if baseline == best else \
            f"give a target {'above' if scale.higher_is_better else 'below'} {baseline:.2f}"
        raise ValueError(f"nothing to improve: {kpi} was {baseline:.2f} in {period}, which already meets a target "
                         f"of {target:g}; {hint}")
    plan = new_plan(settings, supplier_id, kpi, scale, baseline, period, now, profile, target=target, due=due)
    return _by_operator(connection, settings, None, plan, actor, note or "opened by an operator", now)


def _by_operator(connection: Connection, settings: Settings, before: CorrectiveAction | None, after: CorrectiveAction,
                 actor: str, reason: str, now: datetime) -> CorrectiveAction:
    """`record`, and mark the change for scoring: its next run judges the plan as the operator left it."""
    mark_input_changed(connection, "action", [after.supplier_id])
    return record(connection, settings, before, after, actor, reason, now)

