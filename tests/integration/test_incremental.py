"""Incremental scoring gives exactly what a full recompute gives, whatever changed in between."""
import tempfile
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from config import load_settings
from domain.records import GoodsMovement, PurchaseOrder, SupplierAccount
from sandbox.generator import generate_salesforce, generate_sap
from store.actions import find_actions
from store.db import create_engine_for, upgrade
from store.records import store_accounts, store_goods_movements, store_purchase_orders
from store.risks import open_signals
from sync.scoring import score

AS_OF = date(2026, 6, 30)
NOW = datetime(2026, 7, 1, tzinfo=timezone.utc)
SAP = generate_sap(4, 8, seed=21, as_of=AS_OF)
ORDERS = [PurchaseOrder.model_validate({**po, "items": [
    {**item, "confirmations": [{"confirmed_on": c["date"], "due": c.get("due"), "quantity": c["quantity"]}
                               for c in item.get("confirmations", ())]} for item in po["items"]]})
    for po in SAP["purchase_orders"]]
MOVEMENTS = [GoodsMovement.model_validate({**m, "changed_at": m.get("changed_at") or f"{m['posting_date']}T00:00:00Z"})
             for m in SAP["goods_movements"]]
ACCOUNTS = [SupplierAccount.model_validate({
    "id": a["Id"], "name": a["Name"], "vendor_id": a.get("SAP_Vendor_Id__c"), "owner_name": a.get("Owner", {}).get("Name")
    if isinstance(a.get("Owner"), dict) else None, "industry": a.get("Industry"), "tier": a.get("Supplier_Tier__c"),
    "risk_rating": a.get("Risk_Rating__c"), "modstamp": a["SystemModstamp"]})
    for a in generate_salesforce(4, seed=21, as_of=AS_OF)["accounts"]]
SETTINGS = load_settings(scoring={"months": 6})

changes = st.lists(st.one_of(
    st.tuples(st.just("line"), st.integers(0, len(ORDERS) - 1), st.integers(1, 400)),
    st.tuples(st.just("receipt"), st.integers(0, len(ORDERS) - 1), st.integers(-20, 20)),
    st.tuples(st.just("return"), st.integers(0, len(MOVEMENTS) - 1), st.integers(1, 5)),
    st.tuples(st.just("rating"), st.integers(0, len(ACCOUNTS) - 1), st.sampled_from(["High", "Low", None])),
), min_size=1, max_size=4)


def apply(engine, change, serial: int) -> None:
    kind, index, value = change
    with engine.begin() as connection:
        if kind == "line":
            order = ORDERS[index]
            item = order.items[0]
            line = item.schedule_lines[0].model_copy(update={"quantity": Decimal(value)})
            items = (item.model_copy(update={"schedule_lines": (line, *item.schedule_lines[1:])}), *order.items[1:])
            store_purchase_orders(connection, [order.model_copy(update={"items": items})])
        elif kind == "receipt":
            order = ORDERS[index]
            line = order.items[0].schedule_lines[0]
            store_goods_movements(connection, [GoodsMovement(
                document=f"59{serial:08d}", year=2026, line=1, movement_type="101",
                posting_date=min(AS_OF, line.due + timedelta(days=value)), quantity=line.quantity, unit="EA",
                po=order.id, po_item=order.items[0].id, schedule_line=line.id, changed_at=NOW)])
        elif kind == "return":
            receipt = MOVEMENTS[index]
            store_goods_movements(connection, [receipt.model_copy(update={
                "document": f"58{serial:08d}", "movement_type": "122", "quantity": Decimal(value), "reverses": None,
                "posting_date": min(AS_OF, receipt.posting_date + timedelta(days=3))})])
        else:
            store_accounts(connection, [ACCOUNTS[index].model_copy(update={"risk_rating": value})])


def state(engine, report) -> tuple:
    with engine.connect() as connection:
        signals = sorted((s.dedupe_key, s.severity, s.observed) for s in open_signals(connection))
        plans = sorted((a.supplier_id, a.kpi, a.status, a.escalation_level) for a in find_actions(connection))
    cards = sorted(c.model_dump_json() for c in report.cards)
    return cards, signals, plans


def fresh_engine(folder: Path, name: str):
    engine = create_engine_for(f"sqlite:///{folder / name}")
    upgrade(engine)
    with engine.begin() as connection:
        store_purchase_orders(connection, ORDERS)
        store_goods_movements(connection, MOVEMENTS)
        store_accounts(connection, ACCOUNTS)
    return engine


@hypothesis_settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes)
def test_incremental_equals_full_recompute(sequence):
    with tempfile.TemporaryDirectory() as folder:
        incremental, full = fresh_engine(Path(folder), "incremental.db"), fresh_engine(Path(folder), "full.db")
        assert state(incremental, score(incremental, SETTINGS, AS_OF, NOW)) == state(full, score(full, SETTINGS, AS_OF, NOW))
        for serial, change in enumerate(sequence):
            apply(incremental, change, serial)
            apply(full, change, serial)
            now = NOW + timedelta(minutes=serial + 1)
            quick = score(incremental, SETTINGS, AS_OF, now)
            assert quick.incremental
            assert state(incremental, quick) == state(full, score(full, SETTINGS, AS_OF, now, full=True))
        incremental.dispose()
        full.dispose()
