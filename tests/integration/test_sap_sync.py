"""`srm-bridge sync --source sap` against the SAP stand-in: complete, incremental, resumable."""
import copy
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select, text

from config import load_settings
from sandbox.faults import Faults
from sandbox.generator import generate_sap
from sandbox.sap_render import last_change
from sandbox.serve import sap_endpoints, start_sap
from scheduler.bootstrap import App
from store.db import create_engine_for
from store.sync_state import quarantined, read_cursor, recent_runs
from store.tables import confirmations, goods_movements, po_items, purchase_orders, schedule_lines
from sync.pipeline import run_sync

COMMAND = shutil.which("srm-bridge", path=str(Path(sys.executable).parent)) or "srm-bridge"
AS_OF = date(2026, 6, 30)
TABLES = (purchase_orders, po_items, schedule_lines, confirmations, goods_movements)


@pytest.fixture
def stand_in():
    dataset = generate_sap(6, 6, seed=9, as_of=AS_OF)
    server, app = start_sap(dataset)
    yield dataset, app, sap_endpoints(server, app)
    server.stop()


def snapshot(engine) -> dict[str, list[tuple]]:
    with engine.connect() as connection:
        return {t.name: sorted(tuple(row) for row in connection.execute(select(t))) for t in TABLES}


def sync_command(db: Path, services: dict, *args: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SRM_BRIDGE_")}
    env.update({"SRM_BRIDGE_DATABASE__URL": f"sqlite:///{db}", "SRM_BRIDGE_SAP__PAGE_SIZE": "5",
                "SRM_BRIDGE_SAP__SETTLE_SECONDS": "0",
                **{f"SRM_BRIDGE_SAP__{stream.upper()}__URL": service["url"] for stream, service in services.items()}})
    return subprocess.Popen([COMMAND, "sync", "--source", "sap", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_a_killed_pull_resumes_to_the_same_database_as_an_uninterrupted_one(stand_in, tmp_path):
    _, app, services = stand_in
    assert sync_command(tmp_path / "straight.db", services).wait(timeout=120) == 0

    app.faults.latency_ms = 100
    killed_db = tmp_path / "killed.db"
    victim = sync_command(killed_db, services)
    engine = create_engine_for(f"sqlite:///{killed_db}")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        time.sleep(0.05)
        try:
            with engine.connect() as connection:
                if connection.execute(text("SELECT count(*) FROM purchase_orders")).scalar():
                    break
        except Exception:  # noqa: BLE001 - the schema may not exist yet
            continue
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)
    partial = snapshot(engine)
    assert 0 < len(partial["purchase_orders"]) < len(snapshot(create_engine_for(f"sqlite:///{tmp_path / 'straight.db'}"))["purchase_orders"])
    with engine.connect() as connection:
        assert read_cursor(connection, "sap.purchase_orders") is None  # SAP pages by id: no cursor before the end

    app.faults.latency_ms = 0
    resumed = sync_command(killed_db, services)
    assert resumed.wait(timeout=120) == 0, resumed.stderr.read()
    assert snapshot(engine) == snapshot(create_engine_for(f"sqlite:///{tmp_path / 'straight.db'}"))
    with engine.connect() as connection:
        outcomes = [(r["stream"], r["outcome"]) for r in recent_runs(connection)]
    assert ("sap.purchase_orders", "abandoned") in outcomes  # the killed run, recorded so by the next sync
    assert outcomes[:2] == [("sap.goods_movements", "succeeded"), ("sap.purchase_orders", "succeeded")]


def app_for(engine, services: dict, **sap) -> App:
    return App(settings=load_settings(sap={**services, "page_size": 5, "retry_initial_s": 0, "settle_seconds": 0,
                                           **sap}), engine=engine)


def test_an_incremental_pull_picks_up_exactly_the_changes(stand_in, engine):
    dataset, app, services = stand_in
    bridge = app_for(engine, services, overlap_minutes=10)
    now = datetime(2026, 7, 1, tzinfo=timezone.utc)
    assert run_sync(engine, bridge.streams(["sap"]), now).ok

    changed = copy.deepcopy(dataset)
    touched = changed["purchase_orders"][:3]
    for n, po in enumerate(touched):
        po["changed_at"] = (now + timedelta(hours=1, minutes=n)).isoformat().replace("+00:00", "Z")
        po["items"][0]["schedule_lines"][0]["quantity"] = "777"
    app.load(changed)
    report = run_sync(engine, bridge.streams(["sap"]), now + timedelta(hours=2))
    by_stream = {r.stream: r for r in report.streams}
    assert by_stream["sap.purchase_orders"].pulled == 3 and by_stream["sap.goods_movements"].pulled == 0
    first_line = touched[0]["items"][0]["schedule_lines"][0]["id"], touched[0]["items"][0]["id"]
    with engine.connect() as connection:
        rows = connection.execute(select(schedule_lines.c.po_id, schedule_lines.c.quantity).where(
            schedule_lines.c.line_id == first_line[0], schedule_lines.c.item_id == first_line[1])).all()
    quantities = {po_id: quantity for po_id, quantity in rows}
    assert all(quantities[po["id"]] == 777 for po in touched)

    before = snapshot(engine)
    assert run_sync(engine, bridge.streams(["sap"]), now + timedelta(hours=2), full=True).ok
    assert snapshot(engine) == before  # re-reading everything changes nothing


def stored_orders(engine) -> list[str]:
    with engine.connect() as connection:
        return sorted(connection.execute(select(purchase_orders.c.po_id)).scalars())


def newest_first(dataset: dict) -> dict:
    """The same orders, the lowest ids changed last: paging by id is then far from change-time order."""
    changed = copy.deepcopy(dataset)
    orders = sorted(changed["purchase_orders"], key=lambda po: po["id"])
    for n, po in enumerate(orders):
        po["changed_at"] = (datetime(2026, 6, 29, tzinfo=timezone.utc) - timedelta(minutes=n)).isoformat()
        for item in po["items"]:
            item["confirmations"] = []
    return changed


def test_resume_is_complete_when_sap_pages_by_id(stand_in, engine):
    """ES pages by object id: a fault on page 2, then a resume, must leave nothing behind."""
    dataset, app, services = stand_in
    app.load(newest_first(dataset))
    bridge = app_for(engine, services, max_attempts=1)
    now = datetime(2026, 7, 1, tzinfo=timezone.utc)
    app.faults = Faults(fault_on_page=2)
    [result] = run_sync(engine, bridge.streams(["sap"])[:1], now).streams
    assert (result.outcome, result.pages) == ("failed", 1) and "injected fault on request 2" in result.error
    with engine.connect() as connection:
        assert read_cursor(connection, "sap.purchase_orders") is None  # the window was not read to its end
    assert len(stored_orders(engine)) == 5

    app.faults = Faults()
    assert run_sync(engine, bridge.streams(["sap"])[:1], now + timedelta(minutes=5)).ok
    assert stored_orders(engine) == sorted(po["id"] for po in dataset["purchase_orders"])
    with engine.connect() as connection:
        assert read_cursor(connection, "sap.purchase_orders") == now + timedelta(minutes=5)


ORDER_INDICATOR = "SortByLastChangeDateTimeIndicator"


def asking_for_order(services: dict) -> dict:
    request = {"selection": "PurchaseOrderSelectionByElements", "order_indicator": ORDER_INDICATOR}
    return {**services, "purchase_orders": {**services["purchase_orders"], "request": request}}


def test_a_service_that_answers_in_change_time_order_checkpoints_every_page(engine):
    """A customer's wrapper that takes an order request: the cursor follows the pages, a fault costs one page."""
    dataset = generate_sap(6, 6, seed=9, as_of=AS_OF)
    server, app = start_sap(dataset, order_indicator=ORDER_INDICATOR)
    try:
        bridge = app_for(engine, asking_for_order(sap_endpoints(server, app)), max_attempts=1)
        now = datetime(2026, 7, 1, tzinfo=timezone.utc)
        app.faults = Faults(fault_on_page=4)
        [result] = run_sync(engine, bridge.streams(["sap"])[:1], now).streams
        assert (result.outcome, result.pages) == ("failed", 3)
        assert f"<{ORDER_INDICATOR}>true</{ORDER_INDICATOR}>" in app.received[0].decode()
        served = sorted((last_change(po), po["id"]) for po in dataset["purchase_orders"])
        with engine.connect() as connection:
            assert read_cursor(connection, "sap.purchase_orders") == served[14][0]
        assert stored_orders(engine) == sorted(po_id for _, po_id in served[:15])

        app.faults = Faults()
        assert run_sync(engine, bridge.streams(["sap"])[:1], now).ok
        assert stored_orders(engine) == sorted(po["id"] for po in dataset["purchase_orders"])
    finally:
        server.stop()


def test_a_service_that_ignores_the_order_it_was_asked_for_is_caught(engine):
    """It takes the order request, yet pages by id: at the first page out of order the cursor goes back to where
    the run found it, and a fault after that re-reads the window instead of skipping what is left of it."""
    dataset = generate_sap(6, 6, seed=9, as_of=AS_OF)
    orders = sorted(dataset["purchase_orders"], key=lambda po: po["id"])
    for n, po in enumerate(orders):  # the first page in order and latest, the rest earlier
        minutes = 1000 + n if n < 5 else n
        po["changed_at"] = (datetime(2026, 6, 28, tzinfo=timezone.utc) + timedelta(minutes=minutes)).isoformat()
        for item in po["items"]:
            item["confirmations"] = []
    server, app = start_sap(dataset, order_indicator=ORDER_INDICATOR, honour_order=False)
    try:
        bridge = app_for(engine, asking_for_order(sap_endpoints(server, app)), max_attempts=1)
        now = datetime(2026, 7, 1, tzinfo=timezone.utc)
        app.faults = Faults(fault_on_page=3)
        [result] = run_sync(engine, bridge.streams(["sap"])[:1], now).streams
        assert (result.outcome, result.pages) == ("failed", 2)
        with engine.connect() as connection:
            assert read_cursor(connection, "sap.purchase_orders") is None
        app.faults = Faults()
        assert run_sync(engine, bridge.streams(["sap"])[:1], now).ok
        assert stored_orders(engine) == sorted(po["id"] for po in orders)
    finally:
        server.stop()


def test_a_reversal_of_an_unknown_document_is_quarantined(stand_in, engine):
    dataset, app, services = stand_in
    receipt = next(m for m in dataset["goods_movements"] if m["movement_type"] == "101")
    orphan = dict(receipt, document="5099999999", line=1, movement_type="102",
                  reverses={"document": "5088888888", "year": receipt["year"], "line": 1})
    app.load({**dataset, "goods_movements": dataset["goods_movements"] + [orphan]})
    report = run_sync(engine, app_for(engine, services).streams(["sap"]), datetime(2026, 7, 1, tzinfo=timezone.utc))
    assert {r.stream: r.quarantined for r in report.streams}["sap.goods_movements"] == 1
    with engine.connect() as connection:
        [row] = quarantined(connection)
        assert row["record_key"].startswith("5099999999/") and "5088888888" in row["reason"]
        assert connection.execute(select(goods_movements).where(goods_movements.c.document == "5099999999")).first() is None
