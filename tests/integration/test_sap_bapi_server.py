"""The bapi profile against the independent BAPI test server (tests/support/bapi_server.py) over real HTTP, in
both naming styles, with only the endpoints, credentials and client set."""
import signal
import subprocess
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from config import load_settings
from domain.records import COUNTED_MOVEMENTS
from scheduler.bootstrap import App
from scheduler.checks import reach_sap
from store.db import create_engine_for, upgrade
from store.sync_state import read_cursor, read_progress, write_cursor
from store.tables import confirmations, goods_movements, po_items, purchase_orders, schedule_lines
from sync.pipeline import run_sync
from tests.support.bapi_faults import BapiFaults
from tests.support.bapi_generator import generate_dataset
from tests.support.bapi_server import GOODSMVT_GETITEMS, PO_GETDETAIL1, PO_GETITEMS, BapiServer
from tests.support.service import COMMAND, clean_environment, wait_until

NOW = datetime(2025, 6, 1, tzinfo=timezone.utc)
BEFORE = datetime(2025, 1, 1, tzinfo=timezone.utc)
SMALL = generate_dataset(orders=12)
SEEN_ON = (NOW - timedelta(seconds=60)).date()  # the plant day of the window's end: when the pull saw them


def bridge(engine, server: BapiServer, bapi: dict | None = None, **sap) -> App:
    """Endpoints, credentials and client; `bapi` adds settings to a function's service."""
    endpoints = {"goods_movements": {"url": server.url(GOODSMVT_GETITEMS)},
                 "purchase_order_list": {"url": server.url(PO_GETITEMS)},
                 "purchase_order_detail": {"url": server.url(PO_GETDETAIL1)}}
    for service, extra in (bapi or {}).items():
        endpoints[service].update(extra)
    settings = load_settings(sap={"profile": "bapi", "bapi": endpoints, "user": server.user,
                                  "password": server.password, "client": server.client, **sap})
    return App(settings=settings, engine=engine)


def rows(engine, table, *columns) -> set[tuple]:
    with engine.connect() as connection:
        return {tuple(row) for row in connection.execute(select(*(table.c[c] for c in columns)))}


def live_items(order):
    return [item for item in order.items if item.delete_ind != "L"]


@pytest.mark.parametrize("style", ["rfc", "mc"])
def test_a_full_pull_equals_the_source(sqlite_engine, style):
    with BapiServer(SMALL, style=style, date_format="2") as server:
        report = run_sync(sqlite_engine, bridge(sqlite_engine, server).streams(["sap"]), NOW)
        assert report.ok, [r.error for r in report.streams]
        orders, documents = server.orders, server.documents
        details = server.calls_to(PO_GETDETAIL1)
    assert {call.imports["PURCHASEORDER"] for call in details} == {o.po_number for o in orders}
    assert all(set(call.tables) >= {"POITEM", "POSCHEDULE", "POCONFIRMATION", "POHISTORY"} for call in details)
    assert rows(sqlite_engine, purchase_orders, "po_id", "vendor_id", "order_date", "currency") == {
        (o.po_number, o.vendor, o.doc_date, o.currency) for o in orders}
    assert rows(sqlite_engine, po_items, "po_id", "item_id", "material", "plant", "quantity", "unit", "net_price",
                "price_unit") == {(o.po_number, i.po_item, i.material, i.plant, i.quantity, i.po_unit, i.net_price,
                                   int(i.price_unit)) for o in orders for i in live_items(o)}
    assert rows(sqlite_engine, schedule_lines, "po_id", "item_id", "line_id", "due_date", "quantity") == {
        (o.po_number, i.po_item, line.sched_line, line.delivery_date, line.quantity)
        for o in orders for i in live_items(o) for line in i.schedules}
    expected = {(o.po_number, i.po_item, c.conf_ser, c.conf_type, c.deliv_date, c.quantity, SEEN_ON)
                for o in orders for i in live_items(o) for c in i.confirmations}
    assert expected and rows(sqlite_engine, confirmations, "po_id", "item_id", "confirmation_id", "processing_type",
                             "due_date", "quantity", "first_seen_on") == expected
    movements = {(d.mat_doc, int(d.doc_year), int(m.matdoc_itm), m.move_type, d.pstng_date, m.entry_qnt, m.entry_uom,
                  m.po_number, m.po_item, (m.ref_doc, int(m.ref_doc_yr), int(m.ref_doc_it)) if m.move_type == "102"
                  else (None, None, None))
                 for d in documents for m in d.items if m.po_number and m.move_type in COUNTED_MOVEMENTS}
    stored = {(*row[:9], tuple(row[9:])) for row in rows(
        sqlite_engine, goods_movements, "document", "year", "line", "movement_type", "posting_date", "quantity", "unit",
        "po_id", "item_id", "reverses_document", "reverses_year", "reverses_line")}
    assert stored == movements
    assert {m[3] for m in movements} == COUNTED_MOVEMENTS and any(m[1] != 2024 for m in movements)


def test_goods_movements_are_selected_by_posting_date_slices_and_counted_movement_types(sqlite_engine):
    with BapiServer(SMALL) as server:
        app = bridge(sqlite_engine, server, bapi={"goods_movements": {"slice_days": 10, "posting_lookback_days": 5}})
        with sqlite_engine.begin() as connection:
            write_cursor(connection, "sap.goods_movements", BEFORE, NOW)
        [result] = run_sync(sqlite_engine, app.streams(["sap"])[1:], NOW).streams
        calls = server.calls_to(GOODSMVT_GETITEMS)
        documents = server.documents
    assert result.outcome == "succeeded"
    first = calls[0]
    [dates] = first.ranges["PSTNG_DATE_RA"]
    assert (dates.sign, dates.option, str(dates.low), str(dates.high)) == ("I", "BT", "2024-12-26", "2025-01-04")
    assert {(r.sign, r.option, r.low) for r in first.ranges["MOVE_TYPE_RA"]} == {
        ("I", "EQ", kind) for kind in COUNTED_MOVEMENTS}
    assert set(first.tables) >= {"GOODSMVT_HEADER", "GOODSMVT_ITEMS", "RETURN"}
    assert [str(c.ranges["PSTNG_DATE_RA"][0].high) for c in calls][-1] == "2025-05-31"  # settled
    assert any(("E", "M7", "842") in call.returns for call in calls), "an empty slice is M7 842, read as empty"
    read = {(d.mat_doc, int(d.doc_year)): d for d in documents if d.pstng_date >= date(2024, 12, 26)
            and datetime.combine(d.entry_date, d.entry_time, timezone.utc) >= BEFORE - timedelta(minutes=10)
            and any(m.po_number and m.move_type in COUNTED_MOVEMENTS for m in d.items)}
    orphans = {key for key, d in read.items() if any(m.move_type == "102" and (m.ref_doc, int(m.ref_doc_yr)) not in read
                                                     for m in d.items)}
    assert orphans and result.quarantined == len(orphans), "a reversal of a receipt before the window is refused"
    assert {(document, year) for document, year in rows(sqlite_engine, goods_movements, "document", "year")} == \
        set(read) - orphans


@pytest.mark.parametrize("function", [GOODSMVT_GETITEMS, PO_GETITEMS, PO_GETDETAIL1])
def test_a_return_error_fails_the_stream_and_keeps_the_cursor(sqlite_engine, function):
    stream = "sap.goods_movements" if function == GOODSMVT_GETITEMS else "sap.purchase_orders"
    with sqlite_engine.begin() as connection:
        write_cursor(connection, stream, BEFORE, NOW)
    with BapiServer(SMALL, faults=BapiFaults(return_error={function: 2 if function == PO_GETDETAIL1 else 1})) as server:
        streams = [s for s in bridge(sqlite_engine, server).streams(["sap"]) if s.name == stream]
        [result] = run_sync(sqlite_engine, streams, NOW).streams
    assert result.outcome == "failed" and result.error.startswith("BapiFault: ")
    assert ("M7 120" if function == GOODSMVT_GETITEMS else "06 001") in result.error
    with sqlite_engine.connect() as connection:
        assert read_cursor(connection, stream) == BEFORE


def test_details_run_in_a_bounded_pool_and_back_off_when_throttled(sqlite_engine):
    faults = BapiFaults(throttle={PO_GETDETAIL1: {3, 4}}, unavailable={PO_GETDETAIL1: 7}, retry_after=0,
                        latency={PO_GETDETAIL1: 0.01})
    with BapiServer(SMALL, faults=faults) as server:
        app = bridge(sqlite_engine, server, retry_initial_s=0.01, bapi={"purchase_order_detail": {"pool_size": 3}})
        [result] = run_sync(sqlite_engine, app.streams(["sap"])[:1], NOW).streams
        assert result.outcome == "succeeded", result.error
        assert 1 < server.max_in_flight <= 3
        statuses = [call.status for call in server.calls_to(PO_GETDETAIL1)]
        orders = server.orders
    assert statuses.count(429) == 2 and statuses.count(503) == 1
    assert rows(sqlite_engine, purchase_orders, "po_id") == {(o.po_number,) for o in orders}


def test_the_list_reads_orders_dated_on_or_after_the_window_and_applies_its_end(sqlite_engine):
    with BapiServer(SMALL) as server:
        app = bridge(sqlite_engine, server, bapi={"purchase_order_list": {"reread_days": 0}})
        with sqlite_engine.begin() as connection:
            write_cursor(connection, "sap.purchase_orders", datetime(2025, 1, 10, 0, 10, tzinfo=timezone.utc), NOW)
        until = datetime(2025, 2, 1, 0, 1, tzinfo=timezone.utc)
        assert run_sync(sqlite_engine, app.streams(["sap"])[:1], until).ok
        [listed] = server.calls_to(PO_GETITEMS)
        orders = server.orders
    assert (listed.imports["DOC_DATE"], listed.imports["WITH_PO_HEADERS"]) == (date(2025, 1, 10), "X")
    assert rows(sqlite_engine, purchase_orders, "po_id") == {
        (o.po_number,) for o in orders if date(2025, 1, 10) <= o.doc_date <= date(2025, 2, 1)}


def test_a_pull_killed_between_details_resumes_to_the_same_database(sqlite_engine, tmp_path):
    """`srm-bridge sync` is SIGKILLed once a few orders are committed; the next sync reads only the others, in
    the killed pull's window, and the database equals that of a pull never interrupted."""
    database = tmp_path / "killed.db"
    with BapiServer(SMALL, faults=BapiFaults(latency={PO_GETDETAIL1: 0.05})) as server:
        settings = bridge(sqlite_engine, server, bapi={"purchase_order_detail": {"pool_size": 1}}).settings
        killed = create_engine_for(f"sqlite:///{database}")
        upgrade(killed)
        env = clean_environment(SRM_BRIDGE_DATABASE__URL=f"sqlite:///{database}", **{
            f"SRM_BRIDGE_SAP__{key.upper()}": str(value) for key, value in flat(settings.sap.model_dump(
                include={"profile", "user", "client", "bapi"}, mode="json")).items() if value is not None},
            SRM_BRIDGE_SAP__PASSWORD=server.password)
        process = subprocess.Popen([COMMAND, "sync", "--source", "sap"], cwd=tmp_path, env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_until(lambda: progress(killed) >= 3, 30, 0.01, "three orders committed")
            process.send_signal(signal.SIGKILL)
        finally:
            process.wait(timeout=10)
        with killed.connect() as connection:
            (window_start, window_end), finished = read_progress(connection, "sap.purchase_orders")
        calls_before = len(server.calls_to(PO_GETDETAIL1))
        assert 3 <= len(finished) < len(server.orders)
        app = App(settings=settings, engine=killed)
        assert run_sync(killed, app.streams(["sap"])[:1], datetime.now(timezone.utc)).ok
        resumed = {call.imports["PURCHASEORDER"] for call in server.calls_to(PO_GETDETAIL1)[calls_before:]}
        assert not resumed & finished and resumed | finished == {o.po_number for o in server.orders}
        reference = run_sync(sqlite_engine, App(settings=settings, engine=sqlite_engine).streams(["sap"])[:1],
                             window_end + timedelta(seconds=settings.sap.settle_seconds))
        assert reference.ok
    for table, columns in ((purchase_orders, ("po_id", "vendor_id", "order_date", "changed_at")),
                           (po_items, ("po_id", "item_id", "quantity", "net_price")),
                           (schedule_lines, ("po_id", "item_id", "line_id", "due_date", "quantity")),
                           (confirmations, ("po_id", "item_id", "confirmation_id", "quantity", "first_seen_on"))):
        assert rows(killed, table, *columns) == rows(sqlite_engine, table, *columns), table.name
    with killed.connect() as connection:
        assert read_progress(connection, "sap.purchase_orders") is None
        assert read_cursor(connection, "sap.purchase_orders") == window_end
    killed.dispose()


def flat(settings: dict, prefix: str = "") -> dict:
    """Nested settings as the keys of their environment variables (`bapi__goods_movements__url`)."""
    found = {}
    for key, value in settings.items():
        if isinstance(value, dict):
            found.update(flat(value, f"{prefix}{key}__"))
        elif not isinstance(value, list):
            found[f"{prefix}{key}"] = value
    return found


def progress(engine) -> int:
    with engine.connect() as connection:
        return len((read_progress(connection, "sap.purchase_orders") or ((), ()))[1])


def test_config_check_reaches_each_function_module_and_names_what_is_missing(sqlite_engine):
    with BapiServer(SMALL, style="mc") as server:
        settings = bridge(sqlite_engine, server).settings
        reached = {line.system: line for line in reach_sap(settings)}
        wrong = bridge(sqlite_engine, server, bapi={"purchase_order_list": {"function": "Z_SRM_PO_CHANGED"}}).settings
        failed = {line.system: line for line in reach_sap(wrong)}
    assert list(reached) == [f"sap.bapi.{service}" for service in (
        "goods_movements", "purchase_order_list", "purchase_order_detail")]
    assert all(line.ok for line in reached.values()) and server.password not in str(reached)
    assert not failed["sap.bapi.purchase_order_list"].ok and failed["sap.bapi.goods_movements"].ok
    assert "no operation Z_SRM_PO_CHANGED" in failed["sap.bapi.purchase_order_list"].detail
    assert "BapiPoGetitems" in failed["sap.bapi.purchase_order_list"].detail


def test_a_slice_too_large_for_one_answer_is_read_again_in_halves(sqlite_engine, tmp_path):
    with BapiServer(SMALL) as server:
        wsdl = server.write_wsdl(GOODSMVT_GETITEMS, tmp_path)  # a shipped WSDL: the bound is on the answers
        app = bridge(sqlite_engine, server, max_response_mb=0.012,
                     bapi={"goods_movements": {"slice_days": 8, "wsdl": str(wsdl)}})
        [result] = run_sync(sqlite_engine, app.streams(["sap"])[1:], NOW).streams
        spans = [(c.ranges["PSTNG_DATE_RA"][0].high - c.ranges["PSTNG_DATE_RA"][0].low).days + 1
                 for c in server.calls_to(GOODSMVT_GETITEMS)]
        documents = server.documents
    assert result.outcome == "succeeded", result.error
    assert {4, 2} & set(spans), spans
    assert {(document, year) for document, year in rows(sqlite_engine, goods_movements, "document", "year")} == {
        (d.mat_doc, int(d.doc_year)) for d in documents
        if any(m.po_number and m.move_type in COUNTED_MOVEMENTS for m in d.items)}
