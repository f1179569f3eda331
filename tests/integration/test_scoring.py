"""Scoring on stored data, SQLite and PostgreSQL: signals raised and cleared once, explain agrees, commands work."""
import json
from datetime import date, datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, update

from config import load_settings
from config.kpis import KpiScale
from sandbox.generator import generate_salesforce, generate_sap
from sandbox.serve import sap_endpoints, start_salesforce, start_sap
from scheduler.bootstrap import App
from scheduler.cli import cli
from store.outbox import events
from store.tables import benchmarks, scoring_state
from store.records import store_purchase_orders
from store.risks import open_signals
from store.scorecards import load_scorecards
from sync.pipeline import run_sync
from sync.scoring import explain, score
from tests.support.records import changed_line, sap_records

AS_OF = date(2026, 6, 30)
NOW = datetime(2026, 7, 1, 6, tzinfo=timezone.utc)


@pytest.fixture
def synced(engine, tmp_path):
    sap_server, sap_app = start_sap(generate_sap(5, 14, seed=3, as_of=AS_OF))
    sf_server, _, ca = start_salesforce(generate_salesforce(5, seed=3, as_of=AS_OF), tls_dir=tmp_path / "ca")
    settings = load_settings(sap={**sap_endpoints(sap_server, sap_app), "retry_initial_s": 0},
                             salesforce={"login_url": sf_server.url, "verify": str(ca), "retry_initial_s": 0})
    app = App(settings=settings, engine=engine)
    assert run_sync(engine, app.streams(["sap", "salesforce"]), NOW).ok
    yield app
    sap_server.stop()
    sf_server.stop()


def event_count(engine, event_type: str) -> int:
    with engine.connect() as connection:
        return sum(e["event_type"] == event_type for e in events(connection))


def test_signals_are_raised_once_and_cleared_once(synced):
    engine, settings = synced.engine, synced.settings
    first = score(engine, settings, AS_OF, NOW)
    assert first.raised > 0 and event_count(engine, "risk.raised.v1") == first.raised
    with engine.connect() as connection:
        kinds = {s.kind for s in open_signals(connection)}
    assert {"threshold_breach", "crm_risk"} <= kinds

    again = score(engine, settings, AS_OF, NOW)
    assert (again.raised, again.cleared, again.changed) == (0, 0, [])

    lenient = settings.model_copy(update={
        "scoring": settings.scoring.model_copy(update={"kpis": {
            key: KpiScale(threshold=-1e9 if s.higher_is_better else 1e9, target=s.target, higher_is_better=s.higher_is_better,
                          weight=s.weight) for key, s in settings.scoring.kpis.items()}}),
        "risks": settings.risks.model_copy(update={"crm_severity": {}, "concentration_share": 1.0,
                                                   "trend_points": 1e9}),
        "segmentation": settings.segmentation.model_copy(update={"critical_materials": []})})
    calm = score(engine, lenient, AS_OF, NOW)
    with engine.connect() as connection:
        remaining = {s.kind for s in open_signals(connection)}
    assert calm.raised == 0 and calm.cleared > 0 and remaining <= {"single_source", "concentration", "p_chart", "run_rule"}
    assert event_count(engine, "risk.cleared.v1") == calm.cleared
    assert score(engine, lenient, AS_OF, NOW).cleared == 0


def test_a_changed_line_is_rescored_incrementally_as_a_full_run_would(synced):
    """Only the changed supplier's cards are published again; its peers' new ranks go out in benchmarks."""
    engine, settings = synced.engine, synced.settings
    orders, _ = sap_records(generate_sap(5, 14, seed=3, as_of=AS_OF))
    first = score(engine, settings, AS_OF, NOW)
    assert first.benchmarks and event_count(engine, "benchmark.published.v1") == first.benchmarks
    line = orders[7].items[0].schedule_lines[0]
    with engine.begin() as connection:
        store_purchase_orders(connection, [changed_line(orders[7], quantity=line.quantity * 3)])
    quick = score(engine, settings, AS_OF, NOW + timedelta(hours=1))
    assert quick.incremental and 0 < quick.tallied <= 4 and quick.changed
    assert {card.supplier_id for card in quick.changed} == {orders[7].vendor}
    sent = benchmarks_sent(engine, NOW + timedelta(hours=1))
    assert quick.benchmarks == len(sent) and all(orders[7].vendor in b["percentile_ranks"] for b in sent)
    assert len({(b["group"], b["period"], b["window_months"]) for b in sent}) == len(sent)
    again = score(engine, settings, AS_OF, NOW + timedelta(hours=2), full=True)
    assert not again.incremental and again.tallied > 10 * quick.tallied
    assert again.changed == [] and again.benchmarks == 0 and again.scorecards == quick.scorecards
    assert event_count(engine, "benchmark.published.v1") == first.benchmarks + quick.benchmarks
    with engine.begin() as connection:  # as after an upgrade: cards stored, no benchmark published yet, and
        connection.execute(delete(benchmarks))  # the last run's settings not kept whole (migration 0013)
        connection.execute(update(scoring_state).values(inputs_hash=None))
    assert score(engine, settings, AS_OF, NOW + timedelta(hours=3)).benchmarks == first.benchmarks


def benchmarks_sent(engine, at: datetime) -> list[dict]:
    """The benchmarks a run at `at` enqueued."""
    with engine.connect() as connection:
        return [json.loads(e["envelope"])["data"] for e in events(connection)
                if e["event_type"] == "benchmark.published.v1" and e["created_at"].replace(tzinfo=timezone.utc) == at]


def test_explain_agrees_with_the_scorecard(synced):
    engine, settings = synced.engine, synced.settings
    score(engine, settings, AS_OF, NOW)
    with engine.connect() as connection:
        card = next(c for c in load_scorecards(connection, "2026-05") if c.kpis.otd_pct is not None)
        rolling = next(c for c in load_scorecards(connection, "2026-05", card.supplier_id, 3))
    shown = explain(engine, settings, card.supplier_id, "2026-05", "otd_pct", 1, AS_OF)
    assert shown["value"] == card.kpis.otd_pct
    assert 100 * sum(r["on_time"] for r in shown["rows"]) / len(shown["rows"]) == pytest.approx(card.kpis.otd_pct)
    assert all(r["due"].strftime("%Y-%m") == "2026-05" for r in shown["rows"])
    assert explain(engine, settings, card.supplier_id, "2026-05", "otd_pct", 3, AS_OF)["value"] == rolling.kpis.otd_pct
    for kpi in ("quality_ppm", "price_variance_pct", "confirmation_lag_days_median", "action_closure_pct"):
        assert explain(engine, settings, card.supplier_id, "2026-05", kpi, 3, AS_OF)["value"] == getattr(rolling.kpis, kpi)


def test_explain_and_risks_commands(synced, monkeypatch):
    url = synced.engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("SRM_BRIDGE_DATABASE__URL", url)
    runner = CliRunner()
    scored = runner.invoke(cli, ["score", "--as-of", "2026-06-30"], catch_exceptions=False)
    assert "risk signals raised" in scored.output
    signals = json.loads(runner.invoke(cli, ["risks", "--json"], catch_exceptions=False).output)
    assert signals and {"dedupe_key", "severity", "evidence", "raised_at"} <= set(signals[0])
    supplier = signals[0]["supplier_id"]
    shown = runner.invoke(cli, ["explain", "--supplier", supplier.lstrip("0"), "--period", "2026-05", "--kpi",
                                "fill_rate_pct", "--as-of", "2026-06-30"], catch_exceptions=False)
    assert shown.exit_code == 0 and "fill_rate_pct = " in shown.output and "received_in_window" in shown.output
    bad = runner.invoke(cli, ["explain", "--supplier", supplier, "--period", "2026-13", "--kpi", "otd_pct"])
    assert bad.exit_code == 2 and "YYYY-MM" in bad.output
    cards = json.loads(runner.invoke(cli, ["scorecards", "--json", "--window", "12", "--period", "2026-06"]).output)
    assert cards and {c["window_months"] for c in cards} == {12} and all("srm_level" in c for c in cards)


def test_unmatched_suppliers_are_reported_not_guessed(synced, monkeypatch):
    from datetime import datetime as dt

    from domain.records import SupplierAccount
    from store.records import store_accounts
    with synced.engine.begin() as connection:
        store_accounts(connection, [SupplierAccount(id="001000000000777AAA", name="Acme Duplicate",
                                                    vendor_id="100001", modstamp=dt(2026, 6, 1, tzinfo=timezone.utc))])
    monkeypatch.setenv("SRM_BRIDGE_DATABASE__URL", synced.engine.url.render_as_string(hide_password=False))
    found = json.loads(CliRunner().invoke(cli, ["suppliers", "--unmatched", "--json"], catch_exceptions=False).output)
    assert [row["vendor_id"] for row in found["vendors_without_account"]] == ["0000100005"]
    assert [row["name"] for row in found["accounts_without_vendor"]] == ["Prospect Without Vendor"]
    assert {(row["vendor_id"], row["name"]) for row in found["vendor_ids_on_several_accounts"]} == {
        ("0000100001", "Acme Duplicate"), ("0000100001", "Acme Supply 001")}


def test_a_reversal_beyond_its_receipt_is_logged_and_explained(engine, caplog):
    from decimal import Decimal

    from domain.records import GoodsMovement, MovementRef, PurchaseOrder
    from store.records import store_goods_movements

    order = PurchaseOrder.model_validate({
        "id": "4599000001", "vendor": "0000900001", "order_date": "2026-05-01", "currency": "EUR", "changed_at": NOW,
        "items": [{"id": "00010", "material": "M-1", "plant": "1000", "quantity": "150", "unit": "EA",
                   "net_price": "1", "schedule_lines": [{"id": "0001", "due": "2026-06-10", "quantity": "150"}]}]})

    def movement(document: str, kind: str, quantity: int, reverses: str | None = None) -> GoodsMovement:
        return GoodsMovement(document=document, year=2026, line=1, movement_type=kind, posting_date=date(2026, 6, 10),
                             quantity=Decimal(quantity), unit="EA", po=order.id, po_item="00010", changed_at=NOW,
                             reverses=MovementRef(document=reverses, year=2026, line=1) if reverses else None)

    with engine.begin() as connection:
        store_purchase_orders(connection, [order])
        store_goods_movements(connection, [movement("5099000001", "101", 100), movement("5099000002", "101", 50),
                                           movement("5099000003", "102", 80, reverses="5099000002")])
    settings = load_settings(scoring={"months": 1})
    with caplog.at_level("WARNING", logger="srm_bridge.sync.scoring"):
        score(engine, settings, AS_OF, NOW)
    [logged] = [r for r in caplog.records if r.getMessage() == "goods movement applied only in part"]
    assert (logged.document, logged.quantity_without_effect) == ("5099000003/2026/1", "30")
    shown = explain(engine, settings, "0000900001", "2026-06", "fill_rate_pct", 1, AS_OF)
    assert shown["value"] == pytest.approx(100 * 100 / 150)  # the first receipt keeps its 100: the excess cancels nothing
    assert len(shown["warnings"]) == 1 and "5099000003/2026/1" in shown["warnings"][0]
