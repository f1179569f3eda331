"""`srm-bridge actions …`: corrective actions for operators."""
import os
from datetime import datetime

import click

from config import KPI_KEYS
from scheduler.cli_support import DATE, SUPPLIER, app_for, as_date, emit, for_whom, json_option, shown

@click.group()
def actions() -> None:
    """Corrective actions: improvement plans with targets, milestones, escalation and an audit trail."""


def _actor() -> str:
    return os.environ.get("SRM_BRIDGE_ACTOR") or os.environ.get("USER") or "operator"


@actions.command("list")
@click.option("--status", type=click.Choice(["open", "in_progress", "verifying", "closed", "escalated", "cancelled"]))
@click.option("--supplier", type=SUPPLIER, help="Only this supplier (SAP vendor id, leading zeros optional).")
@json_option
@click.pass_context
def actions_list(ctx: click.Context, status: str | None, supplier: str | None, as_json: bool) -> None:
    """Plans, newest last."""
    from store.actions import find_actions
    with app_for(ctx).engine.connect() as connection:
        plans = [a.model_dump(mode="json") for a in find_actions(connection, status, supplier)]
    emit(plans, as_json, lambda rows: [click.echo(
        f"{r['action_id']:5} {r['supplier_id']:12} {r['kpi']:28} {r['status']:11} level {r['escalation_level']} "
        f"due {r['due_date']}  {r['gap']}") for r in rows],
         empty=f"no corrective actions{f' {status}' if status else ''}{for_whom(supplier)}")


@actions.command("show")
@click.argument("action_id", type=int)
@json_option
@click.pass_context
def actions_show(ctx: click.Context, action_id: int, as_json: bool) -> None:
    """One plan: milestones with measured values, and its audit trail."""
    from store.actions import audit_trail, load_action
    with app_for(ctx).engine.connect() as connection:
        plan = load_action(connection, action_id)
        if plan is None:
            raise click.ClickException(f"corrective action {action_id} not found")
        found = {"action": plan.model_dump(mode="json"), "trail": audit_trail(connection, action_id)}
    emit(found, as_json, _show_action)


def _show_action(found: dict) -> None:
    a = found["action"]
    click.echo(f"action {a['action_id']}  {a['supplier_id']}  {a['kpi']}  {a['status']}  escalation level "
               f"{a['escalation_level']}")
    click.echo(f"gap: {a['gap']}\nbaseline {shown(a['baseline'])}  target {a['target']:g}  due {a['due_date']}  "
               f"buyer {shown(a['buyer_owner'])}  supplier contact {shown(a['supplier_contact'])}")
    click.echo(f"root cause: {shown(a['root_cause'])}; linked signals: {', '.join(a['linked_signals']) or '-'}")
    for note in a["evidence"]:
        click.echo(f"evidence: {note}")
    click.echo("milestones:")
    for m in a["milestones"]:
        click.echo(f"  {m['period']}  target {m['target']:>8}  measured {shown(m['measured']):>8}  {m['status']}")
    click.echo("trail:")
    for entry in found["trail"]:
        click.echo(f"  {entry['at']:%Y-%m-%d %H:%M:%S} {entry['actor']:12} {entry['from_status'] or '-':>11} -> "
                   f"{entry['to_status']:11} {entry['reason']}")


@actions.command("update")
@click.argument("action_id", type=int)
@click.option("--status", type=click.Choice(["in_progress", "verifying", "escalated", "cancelled", "closed"]))
@click.option("--note", help="Why: kept in the audit trail.")
@click.option("--owner", help="Buyer owner.")
@click.option("--supplier-contact")
@click.option("--root-cause")
@click.option("--evidence", help="A note appended to the plan's evidence.")
@click.pass_context
def actions_update(ctx: click.Context, action_id: int, status: str | None, note: str | None, owner: str | None,
                   supplier_contact: str | None, root_cause: str | None, evidence: str | None) -> None:
    """Change a plan's status or details; every change is audited with who, when and why."""
    from domain.actions import InvalidTransition
    from sync.actions import operator_update
    app = app_for(ctx)
    try:
        with app.engine.begin() as connection:
            plan = operator_update(connection, app.settings, action_id, _actor(), app.now(), status=status, note=note,
                                   buyer_owner=owner, supplier_contact=supplier_contact, root_cause=root_cause,
                                   evidence=evidence)
    except (InvalidTransition, LookupError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"action {plan.action_id} is {plan.status}")


@actions.command("open")
@click.option("--supplier", required=True, type=SUPPLIER, help="SAP vendor id (leading zeros optional).")
@click.option("--kpi", required=True, type=click.Choice(KPI_KEYS))
@click.option("--target", required=True, type=float, help="The value the plan aims for, in the KPI's unit.")
@click.option("--due", required=True, type=DATE)
@click.option("--note")
@click.option("--as-of", type=DATE, help="Take the baseline as of this date (default: today).")
@click.pass_context
def actions_open(ctx: click.Context, supplier: str, kpi: str, target: float, due: datetime, note: str | None,
                 as_of: datetime | None) -> None:
    """Open a plan by hand; its baseline is the last measured month of the KPI."""
    from domain.actions import InvalidTransition
    from mapping.scorecards import evaluation_period
    from store.records import supplier_profiles
    from store.scorecards import load_scorecards
    from sync.actions import operator_open
    app = app_for(ctx)
    supplier_id, day = supplier, as_date(as_of) or app.today()
    try:
        with app.engine.begin() as connection:
            cards = load_scorecards(connection, evaluation_period(day), supplier_id)
            baseline = getattr(cards[0].kpis, kpi) if cards else None
            plan = operator_open(connection, app.settings, supplier_id, kpi, target, due.date(), _actor(), note,
                                 baseline, day, app.now(), supplier_profiles(connection).get(supplier_id))
    except (InvalidTransition, LookupError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"action {plan.action_id} opened: {plan.gap}; due {plan.due_date}")
