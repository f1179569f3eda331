"""Events for tests: real domain models, random ids so tests can share a broker and a database."""
import json
import uuid
from datetime import date, datetime, timezone
from pathlib import Path

import jsonschema

from domain.actions import ActionChange, CorrectiveAction, Milestone
from domain.benchmarks import Benchmark, Distribution, KpiDistributions, group_id
from domain.events import EVENT_MODELS, GROUP_EVENTS
from domain.risks import RiskSignal
from domain.scorecards import KpiValues, Scorecard

NOW = datetime(2026, 7, 1, tzinfo=timezone.utc)
CONTRACT = Path(__file__).resolve().parents[2] / "docs" / "contract"


def random_suppliers(count: int) -> list[str]:
    base = uuid.uuid4().int % 10**8
    return [f"{(base + n) % 10**10:010d}" for n in range(count)]


def scorecard(supplier_id: str, n: int) -> Scorecard:
    return Scorecard(supplier_id=supplier_id, supplier_name=f"Supplier {supplier_id}", period=f"2026-{n % 12 + 1:02d}",
                     as_of=date(2026, 7, 1), status="final", kpis=KpiValues(otd_pct=90.0 + n % 10, quality_ppm=250.0),
                     kpi_scores={"otd_pct": 71.4, "quality_ppm": 100.0}, score=80.5, grade="B")


def check_against_contract(body: str | bytes) -> dict:
    """The message validates against its checked-in JSON Schema and parses as its model."""
    envelope = json.loads(body)
    schema = json.loads((CONTRACT / "schemas" / f"{envelope['type']}.json").read_text())
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(envelope)
    EVENT_MODELS[envelope["type"]].model_validate(envelope)
    return envelope


def _action(status: str, from_status: str | None) -> ActionChange:
    plan = CorrectiveAction(action_id=7, supplier_id="0000100001", kpi="otd_pct", status=status,
                            gap="OTD 71.0 % against a target of 95.0 % (24.0 points short)", baseline=71.0,
                            target=95.0, due_date=date(2026, 12, 31), escalation_level=1,
                            milestones=[Milestone(period="2026-08", due_date=date(2026, 8, 31), target=79.0,
                                                  measured=74.5, status="missed")],
                            linked_signals=["threshold_breach:0000100001:otd_pct"], opened_at=NOW)
    return ActionChange(action=plan, from_status=from_status, actor="srm-bridge", reason="example")


def _risk(cleared: bool) -> RiskSignal:
    return RiskSignal(dedupe_key="p_chart:0000100001:otd_pct:2026-06", supplier_id="0000100001", kind="p_chart",
                      kpi="otd_pct", period="2026-06", severity="critical", observed=61.0, limit=72.4,
                      evidence={"n": 40, "p_bar": 0.88}, raised_at=NOW, cleared_at=NOW if cleared else None)


def _benchmark() -> Benchmark:
    spread = Distribution(count=2, p10=80.5, p25=80.5, median=80.5, p75=91.0, p90=91.0)
    return Benchmark(group=GROUP, dimension="category", name="Raw Materials", period="2026-06", window_months=1,
                     as_of=date(2026, 7, 1), status="final", size=3, score=spread, kpis=KpiDistributions(otd_pct=spread),
                     percentile_ranks={"0000100001": 25.0, "0000100002": 75.0})


GROUP = group_id("category", "Raw Materials")


def subject_for(event_type: str, supplier_id: str) -> str:
    """What an event of the type is about: the supplier, or the example's peer group."""
    return GROUP if event_type in GROUP_EVENTS else supplier_id


EXAMPLES = {
    "scorecard.published.v1": scorecard("0000100001", 3),
    "benchmark.published.v1": _benchmark(),
    "action.opened.v1": _action("open", None),
    "action.status_changed.v1": _action("in_progress", "open"),
    "action.escalated.v1": _action("escalated", "in_progress"),
    "action.closed.v1": _action("closed", "verifying"),
    "risk.raised.v1": _risk(False),
    "risk.cleared.v1": _risk(True),
}
