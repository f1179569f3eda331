"""Final and provisional cards, back-dated scoring that needs --replay, and dry runs that write nothing."""
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from config import load_settings
from sandbox.generator import generate_salesforce, generate_sap
from scheduler.bootstrap import App
from scheduler.cli import cli
from scheduler.cycle import CycleReport, _score
from scheduler.metrics import Metrics
from store.records import store_accounts, store_goods_movements, store_purchase_orders
from store.scorecards import load_scorecards
from store.tables import metadata
from sync.scoring import ReplayRefused, score
from tests.support.populated import accounts_of
from tests.support.records import sap_records

MAY_END, MID_JUNE, JUNE_END = date(2026, 5, 31), date(2026, 6, 15), date(2026, 6, 30)
WRITTEN = ("scorecards", "kpi_measurements", "tallies", "scoring_state", "dirty_suppliers", "risk_signals",
           "corrective_actions", "action_audit", "outbox", "supplier_sequences", "benchmarks")


def at(day: date) -> datetime:
    return datetime.combine(day, time(23), timezone.utc)


def snapshot(engine) -> dict[str, list]:
    """Every row of the tables a scoring run writes, in key order, as text."""
    with engine.connect() as connection:
        return {name: [repr(tuple(row)) for row in connection.execute(
            select(metadata.tables[name]).order_by(*metadata.tables[name].primary_key.columns))] for name in WRITTEN}


@pytest.fixture
def stored(engine):
    orders, movements = sap_records(generate_sap(4, 5, seed=11, as_of=JUNE_END))
    with engine.begin() as connection:
        store_purchase_orders(connection, orders)
        store_goods_movements(connection, movements)
        store_accounts(connection, accounts_of(generate_salesforce(4, seed=11, as_of=JUNE_END)))
    return engine


SETTINGS = load_settings(scoring={"months": 3})


def test_a_month_is_provisional_while_it_runs_and_final_from_its_last_day(stored):
    running = score(stored, SETTINGS, MID_JUNE, at(MID_JUNE))
    statuses = {(c.period, c.window_months, c.status) for c in running.changed}  # the first run: every card
    assert {("2026-06", 1, "provisional"), ("2026-06", 3, "provisional"), ("2026-05", 1, "final"),
            ("2026-04", 1, "final")} <= statuses
    assert not {s for p, _, s in statuses if p < "2026-06"} - {"final"}
    with stored.connect() as connection:
        assert {c.status for c in load_scorecards(connection, "2026-06")} == {"provisional"}
        assert {c.period for c in load_scorecards(connection, final_only=True)} == {"2026-04", "2026-05"}
    ended = score(stored, SETTINGS, JUNE_END, at(JUNE_END))
    june = [c for c in ended.changed if c.period == "2026-06"]
    assert june and {c.status for c in june} == {"final"}  # the status changed: republished
    with stored.connect() as connection:
        assert {c.status for c in load_scorecards(connection, "2026-06", window_months=3)} == {"final"}


def test_a_back_dated_run_is_refused_without_replay_and_changes_nothing(stored):
    score(stored, SETTINGS, MAY_END, at(MAY_END))
    score(stored, SETTINGS, JUNE_END, at(JUNE_END))
    before = snapshot(stored)
    with pytest.raises(ReplayRefused, match="before the newest scoring run"):
        score(stored, SETTINGS, MID_JUNE, at(JUNE_END))
    assert snapshot(stored) == before
    tried = score(stored, SETTINGS, MID_JUNE, at(JUNE_END), dry_run=True)
    assert tried.replay and tried.dry_run and tried.changed and snapshot(stored) == before
    assert tried.events == {"scorecard.published.v1": len(tried.changed), "benchmark.published.v1": tried.benchmarks}


def test_a_replay_restates_the_cards_and_leaves_signals_and_plans_alone(stored):
    settings = load_settings(scoring={"months": 3}, risks={"concentration_share": 0.01})
    score(stored, settings, MAY_END, at(MAY_END))
    current = score(stored, settings, JUNE_END, at(JUNE_END))
    before = snapshot(stored)
    assert before["risk_signals"] and before["corrective_actions"]  # the replay has something to leave alone
    replayed = score(stored, settings, MID_JUNE, at(JUNE_END), replay=True)
    after = snapshot(stored)
    for table in ("risk_signals", "corrective_actions", "action_audit"):
        assert after[table] == before[table], table
    assert (replayed.raised, replayed.cleared, replayed.actions.steps) == (0, 0, [])
    with stored.connect() as connection:
        june = load_scorecards(connection, "2026-06")
        assert {c.status for c in june} == {"provisional"} and {c.as_of for c in june} == {MID_JUNE}
    again = score(stored, settings, JUNE_END, at(JUNE_END))  # the newest day is not a replay
    assert not again.replay and {c.status for c in again.changed if c.period == "2026-06"} == {"final"}
    assert again.scorecards == current.scorecards


def test_a_dry_run_shows_what_the_run_would_do_and_writes_nothing(stored):
    score(stored, SETTINGS, MAY_END, at(MAY_END))
    before = snapshot(stored)
    tried = score(stored, SETTINGS, JUNE_END, at(JUNE_END), dry_run=True)
    assert snapshot(stored) == before and not tried.replay
    done = score(stored, SETTINGS, JUNE_END, at(JUNE_END))
    assert tried.changed == done.changed
    assert (tried.signals, tried.events) == (done.signals, done.events)
    assert [step.split(":", 1)[1] for step in tried.actions.steps] == \
        [step.split(":", 1)[1] for step in done.actions.steps]  # plan ids differ: the dry run's were rolled back


def test_the_command_refuses_a_back_dated_run_in_one_line(stored, monkeypatch):
    monkeypatch.setenv("SRM_BRIDGE_DATABASE__URL", stored.url.render_as_string(hide_password=False))
    monkeypatch.setenv("SRM_BRIDGE_SCORING__MONTHS", "3")
    runner = CliRunner()
    assert runner.invoke(cli, ["score", "--as-of", "2026-06-30"], catch_exceptions=False).exit_code == 0
    before = snapshot(stored)
    refused = runner.invoke(cli, ["score", "--as-of", "2026-06-15"], catch_exceptions=False)
    assert refused.exit_code == 2 and refused.stdout == ""
    assert refused.stderr.count("\n") == 1 and "--replay" in refused.stderr and "2026-06-30" in refused.stderr
    dry = runner.invoke(cli, ["score", "--as-of", "2026-06-15", "--dry-run"], catch_exceptions=False)
    assert dry.exit_code == 0 and dry.stdout.startswith("dry run of a replay: nothing was written")
    assert "scorecard.published.v1" in dry.stdout and snapshot(stored) == before
    shown = runner.invoke(cli, ["scorecards", "--as-of", "2026-06-15", "--json"], catch_exceptions=False)
    assert {c["period"] for c in __import__("json").loads(shown.stdout)} == {"2026-05"} and snapshot(stored) == before
    replayed = runner.invoke(cli, ["score", "--as-of", "2026-06-15", "--replay"], catch_exceptions=False)
    assert replayed.exit_code == 0 and "a replay" in replayed.stdout


def test_history_older_than_the_scored_months_is_kept_as_last_scored(stored):
    """scoring.months 2: as of 05-31 April and May are scored, as of 06-30 May and June. A return posted in
    April afterwards changes April's PPM (a run over 3 months would restate it), yet April keeps the card
    of the first run: history older than scoring.months is never restated."""
    two = load_settings(scoring={"months": 2})
    score(stored, two, MAY_END, at(MAY_END))
    with stored.connect() as connection:
        april = load_scorecards(connection, "2026-04")
    assert april and {c.as_of for c in april} == {MAY_END}
    orders, movements = sap_records(generate_sap(4, 5, seed=11, as_of=JUNE_END))
    receipt = next(m for m in movements if m.movement_type == "101" and m.posting_date.month == 4)
    returned = receipt.model_copy(update={"document": "5099990001", "movement_type": "122", "quantity": Decimal(1),
                                          "posting_date": date(2026, 4, 28), "reverses": None})
    with stored.begin() as connection:
        store_goods_movements(connection, [returned])
    wider = score(stored, SETTINGS, JUNE_END, at(JUNE_END), dry_run=True)
    assert any(c.period == "2026-04" and c.supplier_id == receipt_supplier(orders, receipt) for c in wider.changed)
    later = score(stored, two, JUNE_END, at(JUNE_END))
    assert {c.period for c in later.changed} == {"2026-05", "2026-06"}
    with stored.connect() as connection:
        assert load_scorecards(connection, "2026-04") == april


def receipt_supplier(orders, receipt) -> str:
    return next(order.vendor for order in orders if order.id == receipt.po)


def test_the_service_waits_when_a_later_day_was_scored_by_hand(stored, caplog):
    settings = load_settings(scoring={"months": 3})
    app = App(settings=settings, engine=stored)
    later = app.last_complete_day() + timedelta(days=2)
    score(stored, settings, later, at(later))  # by hand, a day the service has not reached yet
    before = snapshot(stored)
    report = CycleReport("cycle")
    with caplog.at_level("WARNING", logger="srm_bridge.cycle"):
        _score(app, Metrics(), report)
    assert (report.scored, report.errors) == (None, []) and snapshot(stored) == before
    [skipped] = [r for r in caplog.records if r.getMessage() == "scoring skipped"]
    assert f"newest scoring run (as of {later})" in skipped.reason
