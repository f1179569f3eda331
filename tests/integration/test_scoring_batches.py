"""Scoring a supplier at a time stores and publishes exactly what scoring everyone at once does."""
import tempfile
from datetime import date, datetime, time, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from config import load_settings
from sandbox.generator import generate_salesforce, generate_sap
from store.records import store_accounts, store_goods_movements, store_purchase_orders
from sync.scoring import score
from tests.support.databases import scratch_engine
from tests.support.populated import accounts_of
from tests.support.records import changed_line, sap_records
from tests.support.stored import stored

MAY_END, JUNE_END = date(2026, 5, 31), date(2026, 6, 30)
ORDERS, MOVEMENTS = sap_records(generate_sap(7, 8, seed=17, as_of=JUNE_END))
ACCOUNTS = accounts_of(generate_salesforce(7, seed=17, as_of=JUNE_END))
# low limits, so that signals are raised and cleared and plans opened, judged and escalated
RISKY = {"risks": {"concentration_share": 0.01}, "scoring": {"months": 4}}


def at(day: date) -> datetime:
    return datetime.combine(day, time(23), timezone.utc)


def run(engine, batch: int) -> list[tuple]:
    """Score as of May, again after a change, then as of June; what each run reported."""
    settings = load_settings(**{**RISKY, "scoring": {**RISKY["scoring"], "batch_suppliers": batch}})
    with engine.begin() as connection:
        store_purchase_orders(connection, ORDERS)
        store_goods_movements(connection, MOVEMENTS)
        store_accounts(connection, ACCOUNTS)
    reports = [score(engine, settings, MAY_END, at(MAY_END))]
    line = ORDERS[3].items[0].schedule_lines[0]
    with engine.begin() as connection:
        store_purchase_orders(connection, [changed_line(ORDERS[3], quantity=line.quantity * Decimal(4))])
    reports.append(score(engine, settings, MAY_END, at(MAY_END)))
    reports.append(score(engine, settings, JUNE_END, at(JUNE_END)))
    return [(r.scorecards, r.changed, r.benchmarks, r.raised, r.cleared, r.signals, r.events, r.tallied,
             r.incremental, sorted(r.actions.steps)) for r in reports]


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_a_supplier_at_a_time_gives_what_everyone_at_once_gives(kind):
    with tempfile.TemporaryDirectory() as folder, scratch_engine(kind, Path(folder)) as whole, \
            scratch_engine(kind, Path(folder)) as one_by_one:
        reports = run(whole, 500)
        assert reports == run(one_by_one, 1)
        assert stored(whole) == stored(one_by_one)
    first, changed, june = reports
    assert first[1] and first[2] and first[3] and changed[8] and changed[1]  # cards, benchmarks, signals published
    assert june[4] or june[3]  # signals moved as of June
    assert any(step for report in reports for step in report[9])  # plans were opened or judged
