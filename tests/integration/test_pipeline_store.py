"""Pull → store → score → outbox on SQLite and PostgreSQL, through the real connectors."""
import logging
from datetime import date, datetime, timedelta, timezone

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from config import load_settings
from scheduler.bootstrap import App
from sandbox.generator import generate_salesforce, generate_sap
from sandbox.serve import sap_endpoints, start_salesforce, start_sap
from store import db
from store.outbox import events
from store.scorecards import load_scorecards
from store.sync_state import read_cursor, recent_runs
from store.tables import goods_movements, purchase_orders, quarantine, schedule_lines
from sync import pipeline, scoring
from sync.pipeline import run_sync
from sync.scoring import score

AS_OF = date(2026, 6, 30)
NOW = datetime(2026, 7, 1, 6, tzinfo=timezone.utc)


@pytest.fixture
def stand_ins(tmp_path):
    sap_data = generate_sap(3, 4, seed=5, as_of=AS_OF)
    sap_server, sap_app = start_sap(sap_data)
    sf_server, _, ca = start_salesforce(generate_salesforce(3, seed=5, as_of=AS_OF), tls_dir=tmp_path / "ca")
    yield sap_data, sap_app, sap_endpoints(sap_server, sap_app), sf_server.url, ca
    sap_server.stop()
    sf_server.stop()


def app_for(engine, stand_ins) -> App:
    _, _, sap_services, sf_url, ca = stand_ins
    settings = load_settings(sap={**sap_services, "page_size": 25, "retry_initial_s": 0},
                             salesforce={"login_url": sf_url, "verify": str(ca), "retry_initial_s": 0})
    return App(settings=settings, engine=engine)


def counts(engine) -> tuple[int, ...]:
    with engine.connect() as connection:
        return tuple(connection.execute(select(func.count()).select_from(t)).scalar()
                     for t in (purchase_orders, schedule_lines, goods_movements))


def test_pipeline_is_idempotent_and_publishes_only_changes(engine, stand_ins):
    sap_data = stand_ins[0]
    app = app_for(engine, stand_ins)
    report = run_sync(engine, app.streams(["sap", "salesforce"]), NOW)
    assert report.ok, [r.error for r in report.streams]
    expected_lines = sum(len(i["schedule_lines"]) for po in sap_data["purchase_orders"] for i in po["items"])
    assert counts(engine) == (len(sap_data["purchase_orders"]), expected_lines, len(sap_data["goods_movements"]))
    scored = score(engine, app.settings, AS_OF, NOW)
    cards = [card for card in scored.changed if card.window_months == 1]  # the first run: every card
    with engine.connect() as connection:
        first_events = events(connection)
        assert read_cursor(connection, "sap.purchase_orders") == NOW - timedelta(seconds=app.settings.sap.settle_seconds)
    published = [e for e in first_events if e["event_type"] == "scorecard.published.v1"]
    assert cards and len(published) == scored.scorecards == len(scored.changed)
    assert {card.window_months for card in scored.changed} == {1, 3, 12}
    assert len([e for e in first_events if e["event_type"] == "risk.raised.v1"]) == scored.raised > 0
    assert all(e["routing_key"] == f"{e['event_type'].rsplit('.', 1)[0]}.{e['supplier_id']}" for e in first_events)

    again = run_sync(engine, app.streams(["sap", "salesforce"]), NOW, full=True)
    assert again.ok and counts(engine) == (len(sap_data["purchase_orders"]), expected_lines, len(sap_data["goods_movements"]))
    score(engine, app.settings, AS_OF, NOW)
    with engine.connect() as connection:
        assert len(events(connection)) == len(first_events)
        stored = load_scorecards(connection)
    assert {(c.supplier_id, c.period) for c in stored} == {(c.supplier_id, c.period) for c in cards}
    assert {c.supplier_name for c in stored if c.supplier_id == "0000100001"} == {"Acme Supply 001"}


def test_failed_stream_is_recorded_and_others_still_run(engine, stand_ins):
    app = app_for(engine, stand_ins)
    app.settings.sap.password = SecretStr("wrong")
    report = run_sync(engine, app.streams(["sap", "salesforce"]), NOW)
    outcomes = {r.stream: r.outcome for r in report.streams}
    assert outcomes == {"sap.purchase_orders": "failed", "sap.goods_movements": "failed", "salesforce.accounts": "succeeded"}
    with engine.connect() as connection:
        runs = recent_runs(connection)
        assert read_cursor(connection, "sap.purchase_orders") is None
    assert any("AuthError" in (r["error"] or "") for r in runs)


def test_bad_records_are_quarantined_and_good_ones_stored(engine, stand_ins):
    sap_data, sap_app = stand_ins[0], stand_ins[1]
    broken = dict(sap_data["goods_movements"][0], document="5999999999", quantity="-5")
    sap_app.load({"purchase_orders": sap_data["purchase_orders"], "goods_movements": sap_data["goods_movements"] + [broken]})
    app = app_for(engine, stand_ins)
    report = run_sync(engine, app.streams(["sap"]), NOW)
    assert report.ok
    with engine.connect() as connection:
        rows = connection.execute(select(quarantine.c.record_key, quarantine.c.reason)).all()
    [(key, reason)] = rows
    assert key.startswith("5999999999/") and "quantity" in reason
    assert counts(engine)[2] == len(sap_data["goods_movements"])


def test_a_large_pull_refreshes_its_tables_statistics_on_postgresql(postgres_engine, stand_ins, monkeypatch):
    """A pull that stored ANALYZE_AFTER_RECORDS records or more analyzes the tables its store writes (reltuples
    then holds their row counts); a smaller one leaves them to autovacuum (-1: never analyzed)."""
    monkeypatch.setattr(pipeline, "ANALYZE_AFTER_RECORDS", 10)
    report = run_sync(postgres_engine, app_for(postgres_engine, stand_ins).streams(["sap", "salesforce"]), NOW)
    assert {r.stream: r.stored >= 10 for r in report.streams} == {
        "sap.purchase_orders": True, "sap.goods_movements": True, "salesforce.accounts": False}
    estimated, counted = planner_rows(postgres_engine, [*pipeline.ORDER_TABLES, "goods_movements"])
    assert {table: estimated[table] for table in counted} == counted
    assert estimated["supplier_accounts"] == estimated["quarantine"] == -1


def test_a_large_scoring_run_refreshes_the_statistics_of_what_it_writes(postgres_engine, stand_ins, monkeypatch,
                                                                        caplog):
    """A first scoring run writes every card and tally: the incremental runs after it read those by supplier,
    with the index plans that statistics give. An incremental run that writes little leaves them be."""
    caplog.set_level(logging.INFO, logger=scoring.log.name)
    app = app_for(postgres_engine, stand_ins)
    run_sync(postgres_engine, app.streams(["sap", "salesforce"]), NOW)
    monkeypatch.setattr(scoring, "ANALYZE_AFTER_ROWS", 20)
    first = score(postgres_engine, app.settings, AS_OF, NOW)
    assert first.tallied + len(first.changed) >= 20
    estimated, counted = planner_rows(postgres_engine, scoring.SCORING_TABLES)
    assert {table: estimated[table] for table in counted} == counted and min(counted.values()) > 0
    assert estimated["risk_signals"] == -1  # not among what is refreshed
    refreshed = [r for r in caplog.records if r.message == "table statistics refreshed after a large scoring run"]
    assert [(r.levelname, r.tables, r.months_tallied) for r in refreshed] == [
        ("INFO", scoring.SCORING_TABLES, first.tallied)]
    with postgres_engine.begin() as connection:
        connection.execute(text("DELETE FROM tallies WHERE supplier_id = '0000100001'"))
        connection.execute(text("INSERT INTO dirty_suppliers (supplier_id) VALUES ('0000100001')"))
    caplog.clear()
    again = score(postgres_engine, app.settings, AS_OF, NOW)
    assert 0 < again.tallied + len(again.changed) < 20
    assert not [r for r in caplog.records if r.message.startswith("table statistics refreshed")]


def planner_rows(engine, tables: list[str]) -> tuple[dict[str, float], dict[str, int]]:
    """What PostgreSQL's planner takes every table's rows to be (-1: never analyzed), and `tables`' counts."""
    with engine.connect() as connection:
        estimated = dict(connection.execute(text(
            "SELECT relname, reltuples FROM pg_class WHERE relnamespace = current_schema()::regnamespace "
            "AND relkind = 'r'")).all())
        counted = {table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar() for table in tables}
    return estimated, counted


def test_statistics_that_cannot_be_refreshed_leave_a_warning_and_the_pull_stands(sqlite_engine, stand_ins, monkeypatch,
                                                                              caplog):
    def refused(engine, tables):
        raise OperationalError("ANALYZE purchase_orders", {}, Exception("must be owner of table purchase_orders"))

    monkeypatch.setattr(pipeline, "ANALYZE_AFTER_RECORDS", 10)
    monkeypatch.setattr(db, "refresh_statistics", refused)
    report = run_sync(sqlite_engine, app_for(sqlite_engine, stand_ins).streams(["sap"]), NOW)
    assert report.ok and counts(sqlite_engine)[0] == len(stand_ins[0]["purchase_orders"])
    warned = [r for r in caplog.records if r.message.startswith("could not refresh table statistics")]
    assert [(r.levelname, r.streams, r.error) for r in warned] == [
        ("WARNING", ["sap.goods_movements", "sap.purchase_orders"], "must be owner of table purchase_orders")]
