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
from config.sap_mapping import PurchaseOrderMapping
from connectors.sap_records import PurchaseOrderReader
from lxml import etree
from sandbox.faults import Faults
from sandbox.generator import generate_sap
from sandbox.serve import start_sap
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
    yield dataset, app, server.url
    server.stop()


def snapshot(engine) -> dict[str, list[tuple]]:
    with engine.connect() as connection:
        return {t.name: sorted(tuple(row) for row in connection.execute(select(t))) for t in TABLES}


def sync_command(db: Path, url: str, *args: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SRM_BRIDGE_")}
    env.update({"SRM_BRIDGE_DATABASE__URL": f"sqlite:///{db}", "SRM_BRIDGE_SAP__URL": url,
                "SRM_BRIDGE_SAP__PAGE_SIZE": "5", "SRM_BRIDGE_SAP__SETTLE_SECONDS": "0"})
    return subprocess.Popen([COMMAND, "sync", "--source", "sap", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_a_killed_pull_resumes_to_the_same_database_as_an_uninterrupted_one(stand_in, tmp_path):
    _, app, url = stand_in
    assert sync_command(tmp_path / "straight.db", url).wait(timeout=120) == 0

    app.faults.latency_ms = 100
    killed_db = tmp_path / "killed.db"
    victim = sync_command(killed_db, url)
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
        assert read_cursor(connection, "sap.purchase_orders") is not None  # the committed pages' cursor

    app.faults.latency_ms = 0
    resumed = sync_command(killed_db, url)
    assert resumed.wait(timeout=120) == 0, resumed.stderr.read()
    assert snapshot(engine) == snapshot(create_engine_for(f"sqlite:///{tmp_path / 'straight.db'}"))
    with engine.connect() as connection:
        outcomes = [(r["stream"], r["outcome"]) for r in recent_runs(connection)]
    assert ("sap.purchase_orders", "running") in outcomes  # the killed run, left as it was when it died
    assert outcomes[:2] == [("sap.goods_movements", "succeeded"), ("sap.purchase_orders", "succeeded")]


def app_for(engine, url: str, **sap) -> App:
    return App(settings=load_settings(sap={"url": url, "page_size": 5, "retry_initial_s": 0, "settle_seconds": 0,
                                           **sap}), engine=engine)


def test_an_incremental_pull_picks_up_exactly_the_changes(stand_in, engine):
    dataset, app, url = stand_in
    bridge = app_for(engine, url, overlap_minutes=10)
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


def test_a_fault_after_n_pages_leaves_the_cursor_at_page_n_and_the_next_run_finishes(stand_in, engine):
    dataset, app, url = stand_in
    bridge = app_for(engine, url, max_attempts=1)
    now = datetime(2026, 7, 1, tzinfo=timezone.utc)
    app.faults = Faults(fault_on_page=4)
    report = run_sync(engine, bridge.streams(["sap"])[:1], now)
    [result] = report.streams
    assert (result.outcome, result.pages) == ("failed", 3) and "injected fault on request 4" in result.error
    ordered = sorted(dataset["purchase_orders"], key=lambda po: (po["changed_at"], po["id"]))
    with engine.connect() as connection:
        cursor = read_cursor(connection, "sap.purchase_orders")
        stored = connection.execute(select(purchase_orders.c.po_id)).scalars().all()
    assert sorted(stored) == sorted(po["id"] for po in ordered[:15])
    assert cursor == datetime.fromisoformat(ordered[14]["changed_at"].replace("Z", "+00:00"))

    app.faults = Faults()
    assert run_sync(engine, bridge.streams(["sap"]), now).ok
    with engine.connect() as connection:
        assert connection.execute(select(purchase_orders.c.po_id)).scalars().all().__len__() == len(ordered)


def test_a_reversal_of_an_unknown_document_is_quarantined(stand_in, engine):
    dataset, app, url = stand_in
    receipt = next(m for m in dataset["goods_movements"] if m["movement_type"] == "101")
    orphan = dict(receipt, document="5099999999", line=1, movement_type="102",
                  reverses={"document": "5088888888", "year": receipt["year"], "line": 1})
    app.load({**dataset, "goods_movements": dataset["goods_movements"] + [orphan]})
    report = run_sync(engine, app_for(engine, url).streams(["sap"]), datetime(2026, 7, 1, tzinfo=timezone.utc))
    assert {r.stream: r.quarantined for r in report.streams}["sap.goods_movements"] == 1
    with engine.connect() as connection:
        [row] = quarantined(connection)
        assert row["record_key"].startswith("5099999999/") and "5088888888" in row["reason"]
        assert connection.execute(select(goods_movements).where(goods_movements.c.document == "5099999999")).first() is None


def test_element_names_come_from_the_mapping():
    """A customer's wrapper: other names, namespace-qualified elements, the vendor in an attribute."""
    mapping = PurchaseOrderMapping(id="Number", changed_at="ChangedAt", order_date="Header/Date", vendor="Header/Supplier@id",
                                   currency="Header/Currency", item="Position", item_id="No", material="Material",
                                   plant="Plant", quantity="Qty", unit="Qty@uom", net_price="Price",
                                   price_currency="Price@cur", price_unit="PriceUnit", schedule_line="Delivery",
                                   line_id="No", line_due="Date", line_quantity="Qty")
    xml = """<c:Order xmlns:c="urn:customer"><c:Number>4711</c:Number><c:ChangedAt>2026-04-01T08:00:00</c:ChangedAt>
      <c:Header><c:Date>2026-04-01</c:Date><c:Supplier id="4242"/><c:Currency>USD</c:Currency></c:Header>
      <c:Position><c:No>10</c:No><c:Material>M-9</c:Material><c:Plant>P1</c:Plant><c:Qty uom="KGM">12.5</c:Qty>
      <c:Price cur="USD">3.25</c:Price><c:PriceUnit>100</c:PriceUnit>
      <c:Delivery><c:No>1</c:No><c:Date>2026-05-02</c:Date><c:Qty uom="KGM">12.5</c:Qty></c:Delivery></c:Position></c:Order>"""
    order = PurchaseOrderReader(mapping, ["KGM"], 255)(etree.fromstring(xml))
    assert (order.id, order.vendor, order.currency, str(order.changed_at)) == (
        "4711", "0000004242", "USD", "2026-04-01 08:00:00+00:00")
    [item] = order.items
    assert (item.id, item.unit, str(item.quantity), str(item.net_price), item.price_unit) == ("10", "KGM", "12.5", "3.25", 100)
    assert [(line.id, str(line.due)) for line in item.schedule_lines] == [("1", "2026-05-02")]
