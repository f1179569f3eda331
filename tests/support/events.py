"""Events for tests: real domain models, random ids so tests can share a broker and a database."""
import json
import uuid
from datetime import date, datetime, timezone
from pathlib import Path

import jsonschema

from domain.events import EVENT_MODELS
from domain.scorecards import KpiValues, Scorecard

NOW = datetime(2026, 7, 1, tzinfo=timezone.utc)
CONTRACT = Path(__file__).resolve().parents[2] / "docs" / "contract"


def random_suppliers(count: int) -> list[str]:
    base = uuid.uuid4().int % 10**8
    return [f"{(base + n) % 10**10:010d}" for n in range(count)]


def scorecard(supplier_id: str, n: int) -> Scorecard:
    return Scorecard(supplier_id=supplier_id, supplier_name=f"Supplier {supplier_id}", period=f"2026-{n % 12 + 1:02d}",
                     as_of=date(2026, 7, 1), kpis=KpiValues(otd_pct=90.0 + n % 10, quality_ppm=250.0),
                     kpi_scores={"otd_pct": 71.4, "quality_ppm": 100.0}, score=80.5, grade="B")


def check_against_contract(body: str | bytes) -> dict:
    """The message validates against its checked-in JSON Schema and parses as its model."""
    envelope = json.loads(body)
    schema = json.loads((CONTRACT / "schemas" / f"{envelope['type']}.json").read_text())
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(envelope)
    EVENT_MODELS[envelope["type"]].model_validate(envelope)
    return envelope
