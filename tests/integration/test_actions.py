"""The corrective-action loop on stored data: opened, escalated, verified, closed — with its events and trail."""
import itertools
import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from click.testing import CliRunner

from config import load_settings
from domain.actions import TRANSITIONS, InvalidTransition, check_transition
from domain.records import GoodsMovement, PurchaseOrder
from scheduler.cli import cli
from store.actions import audit_trail, find_actions
from store.outbox import events
from store.records import store_goods_movements, store_purchase_orders
from sync.scoring import score

SUPPLIER = "0000300001"
OTD_BY_MONTH = {"2026-01": 10, "2026-02": 10, "2026-03": 4, "2026-04": 4, "2026-05": 8, "2026-06": 9}


def month_of_orders(month: str, on_time: int) -> tuple[PurchaseOrder, list[GoodsMovement]]:
    """Ten lines due on the 15th; `on_time` of them received that day, the rest ten days late."""
    due = date.fromisoformat(f"{month}-15")
    po_id = f"45{month.replace('-', '')}"
    order = PurchaseOrder.model_validate({
        "id": po_id, "vendor": SUPPLIER, "order_date": due - timedelta(days=30), "currency": "EUR",
        "changed_at": datetime(2026, 1, 1, tzinfo=timezone.utc),
        "items": [{"id": f"{n:05d}", "material": f"M-{n}", "plant": "1000", "quantity": "10", "unit": "EA",
                   "net_price": "5", "schedule_lines": [{"id": "0001", "due": due, "quantity": "10"}]}
                  for n in range(1, 11)]})
    movements = [GoodsMovement(document=f"5{po_id[2:]}{n:02d}", year=2026, line=1, movement_type="101",
                               posting_date=due if n <= on_time else due + timedelta(days=10),
                               quantity=Decimal(10), unit="EA", po=po_id, po_item=f"{n:05d}", schedule_line="0001",
                               changed_at=datetime(2026, 1, 1, tzinfo=timezone.utc)) for n in range(1, 11)]
    return order, movements


@pytest.fixture
def settings():
    return load_settings(scoring={"months": 6}, actions={"plan_months": 4, "sustain_periods": 2})


@pytest.fixture
def history(engine):
    with engine.begin() as connection:
        for month, on_time in OTD_BY_MONTH.items():
            order, movements = month_of_orders(month, on_time)
            store_purchase_orders(connection, [order])
            store_goods_movements(connection, movements)
    return engine


def month_ends():
    return [date(2026, 3, 31), date(2026, 4, 30), date(2026, 5, 31), date(2026, 6, 30)]


def test_a_plan_opens_escalates_verifies_and_closes_with_its_events_in_order(history, settings):
    engine = history
    for as_of in month_ends():
        score(engine, settings, as_of, datetime.combine(as_of, datetime.min.time(), timezone.utc) + timedelta(hours=23))
        score(engine, settings, as_of, datetime.combine(as_of, datetime.min.time(), timezone.utc) + timedelta(hours=23))
    with engine.connect() as connection:
        plans = find_actions(connection, supplier_id=SUPPLIER)
        [otd] = [plan for plan in plans if plan.kpi == "otd_pct"]
        trail = audit_trail(connection, otd.action_id)
        action_events = [json.loads(e["envelope"]) for e in events(connection, SUPPLIER) if e["event_type"].startswith("action.")]
    assert len(plans) == len({p.kpi for p in plans})  # one plan per KPI, though the signal stayed raised for months
    assert (otd.status, otd.escalation_level, otd.baseline, otd.target, otd.due_date) == (
        "closed", 1, 40.0, 70.0, date(2026, 7, 31))
    assert [(m.period, m.target, m.measured, m.status) for m in otd.milestones] == [
        ("2026-04", 47.5, 40.0, "missed"), ("2026-05", 55.0, 80.0, "met"), ("2026-06", 62.5, 90.0, "met"),
        ("2026-07", 70.0, None, "pending")]
    assert otd.sustained == ["2026-05", "2026-06"] and otd.evidence == ["otd_pct met 70 in 2026-05, 2026-06"]
    assert otd.gap == "closed: otd_pct met the target of 70 in 2026-05, 2026-06"
    assert any(key.startswith("threshold_breach:") for key in otd.linked_signals)

    mine = [e for e in action_events if e["data"]["action"]["action_id"] == otd.action_id]
    assert [(e["type"], e["data"]["from_status"], e["data"]["action"]["status"]) for e in mine] == [
        ("action.opened.v1", None, "open"), ("action.escalated.v1", "open", "escalated"),
        ("action.status_changed.v1", "escalated", "verifying"), ("action.closed.v1", "verifying", "closed")]
    assert [int(e["sequence"]) for e in action_events] == sorted(int(e["sequence"]) for e in action_events)
    assert [(t["from_status"], t["to_status"], t["reason"].split(":")[0]) for t in trail] == [
        (None, "open", "critical signal p_chart"), ("open", "open", "signal threshold_breach"),
        ("open", "escalated", "milestone 2026-04 missed"), ("escalated", "escalated", "milestone 2026-05 met"),
        ("escalated", "verifying", "otd_pct 80.00 meets the target 70 in 2026-05"),
        ("verifying", "verifying", "milestone 2026-06 met"), ("verifying", "closed", "closed")]
    assert all(t["actor"] == "srm-bridge" and t["reason"] and t["change"] for t in trail)


def test_falling_back_while_verifying_reopens_the_plan(engine, settings):
    with engine.begin() as connection:
        for month, on_time in {"2026-03": 4, "2026-04": 8, "2026-05": 6}.items():  # May: milestone 55 met, target 70 not
            order, movements = month_of_orders(month, on_time)
            store_purchase_orders(connection, [order])
            store_goods_movements(connection, movements)
    for as_of in month_ends()[:3]:
        score(engine, settings, as_of, datetime.combine(as_of, datetime.min.time(), timezone.utc))
    with engine.connect() as connection:
        [otd] = [p for p in find_actions(connection, supplier_id=SUPPLIER) if p.kpi == "otd_pct"]
        statuses = [t["to_status"] for t in audit_trail(connection, otd.action_id)]
    assert [s for n, s in enumerate(statuses) if n == 0 or s != statuses[n - 1]] == ["open", "verifying", "in_progress"]
    assert otd.status == "in_progress" and otd.sustained == []


@pytest.mark.parametrize("current, new", list(itertools.product(TRANSITIONS, TRANSITIONS)))
def test_every_transition_outside_the_lifecycle_is_refused(current, new):
    if new in TRANSITIONS[current] and new != "closed":
        check_transition(current, new, by_operator=True)
        return
    with pytest.raises(InvalidTransition):
        check_transition(current, new, by_operator=True)


def test_operators_drive_plans_from_the_command_line(history, settings, monkeypatch):
    monkeypatch.setenv("SRM_BRIDGE_DATABASE__URL", history.url.render_as_string(hide_password=False))
    monkeypatch.setenv("SRM_BRIDGE_ACTOR", "maria.buyer")
    runner = CliRunner()

    def run(*args):
        return runner.invoke(cli, list(args), catch_exceptions=False)

    assert run("score", "--as-of", "2026-02-28").exit_code == 0
    perfect = run("actions", "open", "--supplier", "300001", "--kpi", "quality_ppm", "--target", "300",
                  "--due", "2026-06-30", "--as-of", "2026-02-28")
    assert perfect.exit_code == 1 and "nothing to improve" in perfect.output and "its best value, 0" in perfect.output
    opened = run("actions", "open", "--supplier", "300001", "--kpi", "lead_time_days_mean", "--target", "20",
                 "--due", "2026-06-30", "--note", "audit finding", "--as-of", "2026-02-28")
    assert opened.exit_code == 0 and "opened: lead_time_days_mean 30.00 against a target of 20" in opened.output
    action_id = json.loads(run("actions", "list", "--json", "--supplier", "300001").output)[-1]["action_id"]
    again = run("actions", "open", "--supplier", "300001", "--kpi", "lead_time_days_mean", "--target", "20",
                "--due", "2026-06-30", "--as-of", "2026-02-28")
    assert again.exit_code == 1 and "already open" in again.output

    assert run("actions", "update", str(action_id), "--status", "in_progress", "--owner", "Maria",
               "--root-cause", "worn tooling", "--evidence", "8D report 42").exit_code == 0
    refused = run("actions", "update", str(action_id), "--status", "closed")
    assert refused.exit_code == 1 and "closes by itself" in refused.output
    assert run("actions", "update", str(action_id), "--status", "cancelled", "--note", "supplier replaced").exit_code == 0
    final = run("actions", "update", str(action_id), "--status", "in_progress")
    assert final.exit_code == 1 and "it is final" in final.output

    shown = json.loads(run("actions", "show", str(action_id), "--json").output)
    assert shown["action"]["status"] == "cancelled" and shown["action"]["root_cause"] == "worn tooling"
    assert shown["action"]["evidence"] == ["8D report 42"] and shown["action"]["buyer_owner"] == "Maria"
    assert [(t["actor"], t["to_status"], t["reason"]) for t in shown["trail"]] == [
        ("maria.buyer", "open", "audit finding"), ("maria.buyer", "in_progress", "updated by an operator"),
        ("maria.buyer", "cancelled", "supplier replaced")]
    assert "level" in run("actions", "list", "--status", "cancelled").output


def test_an_overdue_plan_escalates_once(engine, settings):
    with engine.begin() as connection:
        for month in ("2026-03", "2026-04", "2026-05", "2026-06", "2026-07", "2026-08"):
            order, movements = month_of_orders(month, 4)
            store_purchase_orders(connection, [order])
            store_goods_movements(connection, movements)
    for as_of in (date(2026, 3, 31), date(2026, 8, 31), date(2026, 8, 31)):
        score(engine, settings, as_of, datetime.combine(as_of, datetime.min.time(), timezone.utc))
    with engine.connect() as connection:
        [otd] = [p for p in find_actions(connection, supplier_id=SUPPLIER) if p.kpi == "otd_pct"]
        reasons = [t["reason"] for t in audit_trail(connection, otd.action_id)]
    assert otd.overdue_escalated and otd.status == "escalated"
    assert sum(reason.startswith("overdue") for reason in reasons) == 1
    assert otd.escalation_level == 1 + sum("missed" in reason for reason in reasons)
