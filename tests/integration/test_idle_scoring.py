"""A scoring run with nothing changed since the last one is skipped and writes nothing; every kind of change
scoring reads makes the next run score, and that run gives what a full one gives."""
import logging
import tempfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from config import load_settings
from scheduler.cli import cli
from store.records import store_accounts, store_purchase_orders
from store.tables import action_audit, input_changes, outbox, scorecards, scoring_state, tallies
from sync.actions import operator_open, operator_update
from sync.scoring import score
from tests.integration.test_incremental import (
    ACCOUNTS,
    AS_OF,
    MOVEMENTS,
    NOW,
    ORDERS,
    SETTINGS,
    apply,
    seeded,
    state,
)
from tests.support.databases import scratch_engine

SUPPLIER = ORDERS[0].vendor
LATER = NOW + timedelta(hours=1)


@pytest.fixture
def scored(engine):
    seeded(engine)
    assert not score(engine, SETTINGS, AS_OF, NOW).skipped
    return engine


def written(engine) -> tuple:
    """What a scoring run writes: events, cards, tallies, its own state, plans' trails, marks."""
    with engine.connect() as connection:
        counts = tuple(connection.execute(select(func.count()).select_from(table)).scalar()
                       for table in (outbox, tallies, action_audit, input_changes))
        return (*counts, connection.execute(select(func.max(scorecards.c.computed_at))).scalar(),
                tuple(connection.execute(select(scoring_state)).one()))


def idle(engine, settings=SETTINGS, as_of=AS_OF) -> bool:
    return score(engine, settings, as_of, LATER).skipped


def open_plan(engine) -> int:
    with engine.begin() as connection:
        plan = operator_open(connection, SETTINGS, SUPPLIER, "otd_pct", 99.5, date(2026, 12, 31), "maria.buyer",
                             None, None, AS_OF, NOW, None)
    return plan.action_id


def test_an_idle_run_is_skipped_says_so_and_writes_nothing(scored, caplog):
    before = written(scored)
    with caplog.at_level(logging.INFO, logger="srm_bridge.sync.scoring"):
        report = score(scored, SETTINGS, AS_OF, LATER)
    assert report.skipped and not report.changed and not report.benchmarks and report.events == {}
    assert written(scored) == before
    assert [r.message for r in caplog.records if r.name == "srm_bridge.sync.scoring"] == [
        "scoring skipped: nothing changed since the last run (same as-of and settings, no record, Account or plan "
        "changed); --full scores anyway"]


def test_skipping_loses_nothing_a_full_run_would_find(scored):
    assert idle(scored)
    forced = score(scored, SETTINGS, AS_OF, LATER, full=True)
    assert not forced.skipped and forced.scorecards
    assert (forced.changed, forced.benchmarks, forced.raised, forced.cleared, forced.actions.steps) == ([], 0, 0, 0, [])
    assert idle(scored)


def test_a_changed_record_is_scored(scored):
    apply(scored, ("line", 5, 3), 0)
    assert not idle(scored)
    assert idle(scored)


def test_a_new_as_of_is_scored(scored):
    assert not idle(scored, as_of=AS_OF + timedelta(days=1))
    assert idle(scored, as_of=AS_OF + timedelta(days=1))


@pytest.mark.parametrize("changed", [{"grades": {"A": 95, "B": 80, "C": 60, "D": 0}}, {"months": 7}])
def test_changed_settings_are_scored(scored, changed):
    other = load_settings(scoring={"months": 6, **changed})
    assert not idle(scored, other)
    assert idle(scored, other)
    assert not idle(scored)


def test_an_account_change_a_profile_shows_is_scored_and_one_it_does_not_show_is_not(scored):
    account = next(a for a in ACCOUNTS if a.vendor_id == SUPPLIER)
    later = account.modstamp + timedelta(days=1)
    with scored.begin() as connection:
        store_accounts(connection, [account.model_copy(update={"modstamp": later, "owner_id": "005000000000999"})])
    assert idle(scored)
    with scored.begin() as connection:
        store_accounts(connection, [account.model_copy(update={"modstamp": later, "tier": "Strategic"})])
    assert not idle(scored)
    assert idle(scored)


def test_a_second_account_claiming_the_vendor_is_scored(scored):
    account = next(a for a in ACCOUNTS if a.vendor_id == SUPPLIER)
    with scored.begin() as connection:
        store_accounts(connection, [account.model_copy(update={
            "id": "001000000000ZZZ", "name": "Renamed Ltd", "modstamp": account.modstamp + timedelta(days=1)})])
    assert not idle(scored)


def test_an_operators_change_to_a_plan_is_scored(scored):
    action_id = open_plan(scored)
    assert not idle(scored)
    assert idle(scored)
    with scored.begin() as connection:
        operator_update(connection, SETTINGS, action_id, "maria.buyer", NOW, status="in_progress")
    assert not idle(scored)
    assert idle(scored)


def test_a_dry_run_leaves_the_marks_for_the_run_that_writes(scored):
    apply(scored, ("line", 5, 3), 0)
    assert not score(scored, SETTINGS, AS_OF, LATER, dry_run=True).skipped
    assert not idle(scored)


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_a_run_after_an_account_and_an_operator_change_gives_what_a_full_run_gives(kind):
    account = next(a for a in ACCOUNTS if a.vendor_id == SUPPLIER)
    with tempfile.TemporaryDirectory() as folder, scratch_engine(kind, Path(folder)) as marked, \
            scratch_engine(kind, Path(folder)) as full:
        for engine in (marked, full):
            seeded(engine)
            score(engine, SETTINGS, AS_OF, NOW)
            action_id = open_plan(engine)
            score(engine, SETTINGS, AS_OF, NOW)
            with engine.begin() as connection:
                store_accounts(connection, [account.model_copy(update={
                    "modstamp": account.modstamp + timedelta(days=1), "risk_rating": "High", "owner_name": "Jo"})])
                operator_update(connection, SETTINGS, action_id, "maria.buyer", NOW, status="in_progress")
        quick = score(marked, SETTINGS, AS_OF, LATER)
        assert quick.incremental and not quick.skipped and quick.tallied == 0
        assert state(marked, quick) == state(full, score(full, SETTINGS, AS_OF, LATER, full=True))


def test_the_score_command_says_it_skipped(scored, monkeypatch):
    monkeypatch.setenv("SRM_BRIDGE_DATABASE__URL", scored.url.render_as_string(hide_password=False))
    runner = CliRunner()
    first = runner.invoke(cli, ["score", "--as-of", AS_OF.isoformat()], catch_exceptions=False)
    assert first.exit_code == 0 and "scorecards computed" in first.output
    again = runner.invoke(cli, ["score", "--as-of", AS_OF.isoformat()], catch_exceptions=False)
    assert again.exit_code == 0 and "\nnothing changed since the last scoring run" in again.output
    forced = runner.invoke(cli, ["score", "--as-of", AS_OF.isoformat(), "--full"], catch_exceptions=False)
    assert forced.exit_code == 0 and "0 changed" in forced.output


def test_a_changed_order_older_than_every_window_but_in_last_years_spend_is_scored(engine):
    """With one-month cards the windows read two months, but segments read last year's spend."""
    narrow = load_settings(scoring={"months": 1, "windows": [1], "velocity_months": 2}, risks={"pchart_months": 3})
    old = next(o for o in ORDERS if all(f"{day:%Y-%m}" < "2026-04" for day in [o.order_date] + [
        line.due for item in o.items for line in item.schedule_lines]) and f"{o.order_date:%Y-%m}" > "2025-07"
        and not any(m.po == o.id and f"{m.posting_date:%Y-%m}" >= "2026-04" for m in MOVEMENTS))
    seeded(engine)
    score(engine, narrow, AS_OF, NOW)
    assert idle(engine, narrow)
    with engine.begin() as connection:
        item = old.items[0]
        store_purchase_orders(connection, [old.model_copy(update={
            "items": (item.model_copy(update={"quantity": item.quantity * 50}), *old.items[1:])})])
    assert not idle(engine, narrow)
