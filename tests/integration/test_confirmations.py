"""Confirmations without a date SAP sent: stored, dated from the first time they were seen, on SQLite and PostgreSQL."""
import uuid
from datetime import date, datetime, timezone

from sqlalchemy import select

from config import load_settings
from domain.records import Confirmation, PurchaseOrder
from mapping.explain import explain_confirmations
from sandbox.generator import generate_sap
from sandbox.sap_render import last_change
from sandbox.serve import sap_endpoints, start_sap
from scheduler.bootstrap import App
from store.ordered import ordered_items
from store.records import store_purchase_orders
from store.tables import confirmations
from sync.pipeline import run_sync


def an_order(po_id: str, changed: str, *confirmed: Confirmation) -> PurchaseOrder:
    return PurchaseOrder.model_validate({
        "id": po_id, "vendor": "100001", "order_date": "2026-04-01", "currency": "EUR", "changed_at": changed,
        "items": [{"id": "00010", "material": "M-1", "plant": "1000", "quantity": "100", "unit": "EA",
                   "net_price": "10", "schedule_lines": [{"id": "0001", "due": "2026-05-10", "quantity": "100"}],
                   "confirmations": [c.model_dump() for c in confirmed]}]})


def seen(confirmation_id: str, on: str, sent: str | None = None) -> Confirmation:
    return Confirmation(id=confirmation_id, quantity=100, seen_on=date.fromisoformat(on),
                        confirmed_on=date.fromisoformat(sent) if sent else None)


def first_confirmed(engine, po_id: str) -> tuple:
    with engine.connect() as connection:
        [item] = [i for i in ordered_items(connection, date(2026, 1, 1), date(2026, 12, 31)) if i.po_id == po_id]
    return item.first_confirmed_on, item.confirmed_date_from


def test_a_confirmation_keeps_the_day_it_was_first_seen_when_its_order_is_stored_again(engine):
    po_id = f"45{uuid.uuid4().int % 10**8:08d}"
    with engine.begin() as connection:
        store_purchase_orders(connection, [an_order(po_id, "2026-04-03T09:00:00Z", seen("0001", "2026-04-03"))])
    with engine.begin() as connection:  # changed again later, and a second confirmation arrives
        store_purchase_orders(connection, [an_order(po_id, "2026-04-09T09:00:00Z", seen("0001", "2026-04-09"),
                                                    seen("0002", "2026-04-09"))])
    with engine.connect() as connection:
        rows = connection.execute(select(confirmations.c.confirmation_id, confirmations.c.first_seen_on,
                                         confirmations.c.confirmed_on).where(confirmations.c.po_id == po_id)
                                  .order_by(confirmations.c.seq)).all()
    assert [tuple(row) for row in rows] == [("0001", date(2026, 4, 3), None), ("0002", date(2026, 4, 9), None)]
    assert first_confirmed(engine, po_id) == (date(2026, 4, 3), "first seen")


def test_a_date_sap_sends_wins_over_the_day_first_seen(engine):
    po_id = f"45{uuid.uuid4().int % 10**8:08d}"
    with engine.begin() as connection:
        store_purchase_orders(connection, [an_order(po_id, "2026-04-05T09:00:00Z",
                                                    seen("0001", "2026-04-05", sent="2026-04-02"))])
    assert first_confirmed(engine, po_id) == (date(2026, 4, 2), "SAP")
    with engine.connect() as connection:
        [item] = [i for i in ordered_items(connection, date(2026, 1, 1), date(2026, 12, 31)) if i.po_id == po_id]
    [row] = explain_confirmations([item], date(2026, 6, 30), confirm_days=2)
    assert (row["first_confirmed"], row["date_from"], row["lag_days"]) == (date(2026, 4, 2), "SAP", 1)


def test_confirmations_from_the_stand_in_are_stored_with_the_day_their_order_last_changed(sqlite_engine):
    dataset = generate_sap(3, 3, seed=4, as_of=date(2026, 6, 30))
    server, app = start_sap(dataset)
    try:
        settings = load_settings(sap={**sap_endpoints(server, app), "settle_seconds": 0, "retry_initial_s": 0})
        assert run_sync(sqlite_engine, App(settings=settings, engine=sqlite_engine).streams(["sap"])[:1],
                        datetime(2026, 7, 1, tzinfo=timezone.utc)).ok
    finally:
        server.stop()
    with sqlite_engine.connect() as connection:
        stored = {(row.po_id, row.item_id): row.first_seen_on for row in connection.execute(select(confirmations))}
    expected = {(po["id"], item["id"]): last_change(po).date()
                for po in dataset["purchase_orders"] for item in po["items"] if item["confirmations"]}
    assert stored == expected and stored
    assert all(day == date.fromisoformat(c["date"]) for po in dataset["purchase_orders"] for item in po["items"]
               for c in item["confirmations"] for day in [stored[(po["id"], item["id"])]])
