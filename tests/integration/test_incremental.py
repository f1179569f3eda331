"""Incremental scoring gives exactly what a full recompute gives, whatever changed in between, and
whatever other writers commit while a run is scoring."""
import json
import tempfile
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from unittest import mock

import pytest
from sqlalchemy import select
from hypothesis import HealthCheck, assume, given, settings as hypothesis_settings, strategies as st

from config import load_settings
from domain.records import GoodsMovement, MovementRef, SupplierAccount
from sandbox.generator import generate_salesforce, generate_sap
from store import records
from store.actions import find_actions
from store.records import store_accounts, store_goods_movements, store_purchase_orders, supplier_known
from store.risks import open_signals
from store.measurements import tallied_months
from store.tables import scorecards
from sync import scoring
from sync.actions import operator_open, operator_update
from sync.affected import Slices
from sync.scoring import score
from tests.support.databases import scratch_engine
from tests.support.records import changed_line, sap_records
from tests.support.stored import stored

AS_OF = date(2026, 6, 30)
NOW = datetime(2026, 7, 1, tzinfo=timezone.utc)
SAP = generate_sap(4, 8, seed=21, as_of=AS_OF)
ORDERS, MOVEMENTS = sap_records(SAP)
ACCOUNTS = [SupplierAccount.model_validate({
    "id": a["Id"], "name": a["Name"], "vendor_id": a.get("SAP_Vendor_Id__c"), "owner_name": a.get("Owner", {}).get("Name")
    if isinstance(a.get("Owner"), dict) else None, "industry": a.get("Industry"), "tier": a.get("Supplier_Tier__c"),
    "risk_rating": a.get("Risk_Rating__c"), "modstamp": a["SystemModstamp"]})
    for a in generate_salesforce(4, seed=21, as_of=AS_OF)["accounts"]]
SETTINGS = load_settings(scoring={"months": 6})
VENDORS = sorted({order.vendor for order in ORDERS} | {"0000100099"})  # the last one is new

change = st.one_of(
    st.tuples(st.just("line"), st.integers(0, len(ORDERS) - 1), st.integers(1, 400)),
    st.tuples(st.just("receipt"), st.integers(0, len(ORDERS) - 1), st.integers(-20, 20)),
    st.tuples(st.just("return"), st.integers(0, len(MOVEMENTS) - 1), st.integers(1, 5)),
    st.tuples(st.just("rating"), st.integers(0, len(ACCOUNTS) - 1), st.sampled_from(["High", "Low", None])),
    st.tuples(st.just("due"), st.integers(0, len(ORDERS) - 1), st.integers(-75, 75)),
    st.tuples(st.just("price"), st.integers(0, len(ORDERS) - 1), st.integers(-300, 300)),
    st.tuples(st.just("vendor"), st.integers(0, len(ORDERS) - 1), st.sampled_from(VENDORS)),
    st.tuples(st.just("reversal"), st.integers(0, len(MOVEMENTS) - 1), st.integers(0, 40)),
    st.tuples(st.just("category"), st.integers(0, len(ACCOUNTS) - 1), st.sampled_from(["Electronics", "Metals", None])),
    st.tuples(st.just("tier"), st.integers(0, len(ACCOUNTS) - 1), st.sampled_from(["Strategic", "Tier 3", None])),
    st.tuples(st.just("vanish"), st.integers(0, len(VENDORS) - 2), st.sampled_from(VENDORS)),
    st.tuples(st.just("plan"), st.integers(0, len(VENDORS) - 2), st.sampled_from(["otd_pct", "quality_ppm"])),
)
# each step: a change committed before the run, and maybe one committed by another writer while it scores
steps = st.lists(st.tuples(change, st.none() | change), min_size=1, max_size=3)


def apply(engine, change, serial: int) -> None:
    with engine.begin() as connection:
        apply_in(connection, change, serial)


def apply_in(connection, change, serial: int) -> None:
    kind, index, value = change
    if kind == "line":
        store_purchase_orders(connection, [changed_line(ORDERS[index], quantity=Decimal(value))])
    elif kind == "due":
        line = ORDERS[index].items[0].schedule_lines[0]
        store_purchase_orders(connection, [changed_line(ORDERS[index], due=line.due + timedelta(days=value))])
    elif kind == "price":
        order = ORDERS[index]
        item = order.items[0]
        price = max(Decimal("0.01"), item.net_price + Decimal(value) / 100)
        store_purchase_orders(connection, [order.model_copy(update={
            "items": (item.model_copy(update={"net_price": price}), *order.items[1:])})])
    elif kind == "vendor":
        store_purchase_orders(connection, [ORDERS[index].model_copy(update={"vendor": value})])
    elif kind == "reversal":
        receipt = MOVEMENTS[index]
        store_goods_movements(connection, [receipt.model_copy(update={
            "document": f"57{serial:08d}", "movement_type": "102", "posting_date": min(
                AS_OF, receipt.posting_date + timedelta(days=value)),
            "reverses": MovementRef(document=receipt.document, year=receipt.year, line=receipt.line)})])
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
    elif kind == "vanish":  # every order of a supplier moves to another one
        store_purchase_orders(connection, [o.model_copy(update={"vendor": value}) for o in ORDERS
                                           if o.vendor == VENDORS[index]])
    elif kind == "plan":  # an operator opens a plan, or cancels the one that is open
        supplier = VENDORS[index]
        active = [a for a in find_actions(connection, supplier_id=supplier, active=True) if a.kpi == value]
        if active:
            operator_update(connection, SETTINGS, active[0].action_id, "maria.buyer", NOW, status="cancelled")
        elif supplier_known(connection, supplier):
            target = 99.5 if value == "otd_pct" else 10.0
            operator_open(connection, SETTINGS, supplier, value, target, date(2026, 12, 31), "maria.buyer", None,
                          None, AS_OF, NOW, None)
    else:
        field = {"rating": "risk_rating", "category": "industry", "tier": "tier"}[kind]
        store_accounts(connection, [ACCOUNTS[index].model_copy(update={field: value})])


def state(engine, report, whole: bool = True) -> tuple:
    """The run's count of cards and what is stored after it: cards, open signals, plans; and, `whole`, every
    row scoring writes (events in each subject's order, benchmarks, trails, cleared signals, tallies).

    Not `whole`, only the cards of windows with activity, and no plans. A window whose activity went keeps
    its last card, and a run that saw another writer's commit half-way may have rebuilt it from half of the
    change. That run judged plans on what it read: months stored before the change, months read after it;
    a plan's state follows every judgement made, which no full run over the end state repeats."""
    with engine.connect() as connection:
        signals = sorted((s.dedupe_key, s.severity, s.observed) for s in open_signals(connection))
        plans = sorted((a.supplier_id, a.kpi, a.status, a.escalation_level) for a in find_actions(connection)
                       if whole)
        tallied = tallied_months(connection)
        cards = sorted(json.dumps(card, sort_keys=True)
                       for card in connection.execute(select(scorecards.c.card)).scalars()
                       if whole or Slices([card["period"]], [card["window_months"]], 1).live(
                           tallied.get(card["supplier_id"], set())))
    rows = stored(engine) if whole else {}
    rows.pop("scoring_state", None)  # when it was scored: a run skipped as idle leaves the last run's time
    return report.scorecards, cards, signals, plans, rows


ORDER_CHANGES = {"line", "due", "price", "vendor"}
ACCOUNT_CHANGES = {"rating", "category", "tier"}


def seeded(engine):
    with engine.begin() as connection:
        store_purchase_orders(connection, ORDERS)
        store_goods_movements(connection, MOVEMENTS)
        store_accounts(connection, ACCOUNTS)
    return engine


def clash(one, other) -> bool:
    """Both write the same order, Account or supplier's plans: on PostgreSQL the second would wait for the
    first's commit."""
    def rows(change):
        kind, index, value = change
        if kind in ORDER_CHANGES:
            return {("order", ORDERS[index].id)}
        if kind == "vanish":
            return {("order", order.id) for order in ORDERS if order.vendor == VENDORS[index]}
        if kind in ACCOUNT_CHANGES:
            return {("account", index)}
        return {("plans", VENDORS[index])} if kind == "plan" else set()
    return other is not None and not rows(one).isdisjoint(rows(other))


@contextmanager
def committing_after_the_marks_are_read(writer):
    """The writer's open transaction commits while the run scores, right after the run read the marks; or
    after the run, when it was skipped as idle (it read no marks)."""
    if writer is None:
        yield
        return
    read_marks = scoring.dirty

    def read_then_commit(connection, **reading):
        found = read_marks(connection, **reading)
        writer.commit()
        writer.close()
        return found

    with mock.patch.object(scoring, "dirty", read_then_commit):
        yield
    if not writer.closed:
        writer.commit()
        writer.close()


def incremental_and_full(kind: str, folder: str, steps) -> list:
    """Apply each step's changes to two stores, scoring one incrementally and the other in full after each;
    the incremental reports, each checked against its full twin.

    A step is (change, concurrent change or None). The concurrent change comes from another writer that
    commits while the incremental run scores; the run after it must score it. On PostgreSQL that writer
    starts first, so its mark takes a lower id than the step's change but commits after the run read the
    marks; SQLite has one writer at a time, so there it starts after the step's change.
    """
    with scratch_engine(kind, Path(folder)) as incremental, scratch_engine(kind, Path(folder)) as full:
        seeded(incremental), seeded(full)
        scored = score(incremental, SETTINGS, AS_OF, NOW)  # the cards of the newest run that was not skipped
        assert state(incremental, scored) == state(full, score(full, SETTINGS, AS_OF, NOW))
        reports, whole = [], True
        for n, (change, concurrent) in enumerate(steps):
            serial = 2 * n
            writer = incremental.connect() if concurrent else None
            if writer is not None and kind == "postgres":
                apply_in(writer, concurrent, serial + 1)
            apply(incremental, change, serial)
            if writer is not None and kind == "sqlite":
                apply_in(writer, concurrent, serial + 1)
            for made, number in ((change, serial), (concurrent, serial + 1)):
                if made is not None:
                    apply(full, made, number)
            now = NOW + timedelta(minutes=n + 1)
            with committing_after_the_marks_are_read(writer):
                quick = score(incremental, SETTINGS, AS_OF, now)
                scored = scored if quick.skipped else quick
            if writer is not None:
                quick = score(incremental, SETTINGS, AS_OF, now)
                scored = scored if quick.skipped else quick
            assert quick.incremental
            whole = whole and writer is None  # a run that saw another writer's change half-way publishes it twice
            assert state(incremental, scored, whole) == state(full, score(full, SETTINGS, AS_OF, now, full=True), whole)
            reports.append(quick)
    return reports


def quietly(sequence) -> list:
    return [(change, None) for change in sequence]


def check_incremental_equals_full(kind: str, steps) -> None:
    assume(kind == "sqlite" or not any(clash(change, concurrent) for change, concurrent in steps))
    with tempfile.TemporaryDirectory() as folder:
        incremental_and_full(kind, folder, steps)


@hypothesis_settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps)
def test_incremental_equals_full_recompute_with_writers_committing_meanwhile(steps):
    check_incremental_equals_full("sqlite", steps)


def test_a_plan_judged_on_a_stored_month_stays_judged_when_another_writer_moves_the_orders_meanwhile():
    """The run scoring an operator's new plan reads the marks, then another writer moves the supplier's
    orders away. The run judges the plan on the month stored before the move, at target: `verifying`.
    The next run scores the move, has no month to judge the plan on, and leaves it there, as full runs
    before and after the move would (one full run after both leaves it `open`)."""
    supplier = VENDORS[0]
    with tempfile.TemporaryDirectory() as folder, scratch_engine("sqlite", Path(folder)) as engine:
        seeded(engine)
        score(engine, SETTINGS, AS_OF, NOW)
        apply(engine, ("plan", 0, "otd_pct"), 0)
        writer = engine.connect()
        apply_in(writer, ("vanish", 0, VENDORS[1]), 1)
        with committing_after_the_marks_are_read(writer):
            first = score(engine, SETTINGS, AS_OF, NOW + timedelta(minutes=1))
        second = score(engine, SETTINGS, AS_OF, NOW + timedelta(minutes=2))
        with engine.connect() as connection:
            plan = next(a for a in find_actions(connection, supplier_id=supplier) if a.kpi == "otd_pct")
    assert first.actions.steps == [f"plan {plan.action_id} {supplier} otd_pct: open -> verifying: otd_pct 100.00 "
                                   "meets the target 99.5 in 2026-06: verifying"]
    assert second.rescored and plan.status == "verifying"
    assert not [step for step in second.actions.steps if step.startswith(f"plan {plan.action_id} ")]


@hypothesis_settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps)
def test_incremental_equals_full_recompute_with_writers_committing_meanwhile_on_postgresql(steps):
    check_incremental_equals_full("postgres", steps)


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_a_mark_with_a_lower_id_committed_during_a_run_is_scored_by_the_next(kind):
    with tempfile.TemporaryDirectory() as folder:
        incremental_and_full(kind, folder, [(("line", 5, 3), ("due", 9, 30))])


RECENT = next(n for n, order in enumerate(ORDERS) if order.order_date >= date(2026, 5, 1))
OLDEST = min(range(len(ORDERS)), key=lambda n: (ORDERS[n].order_date, ORDERS[n].id))
# a receipt in a recent month, an old order's line, an Account moving its supplier to another SRM level, a
# plan opened and cancelled, a category, a supplier whose orders all move to a new one
HISTORY = [("receipt", RECENT, 0), ("line", OLDEST, 7), ("tier", 0, "Tier 3"), ("plan", 1, "otd_pct"),
           ("category", 1, "Electronics"), ("plan", 1, "otd_pct"), ("vanish", 2, VENDORS[-1]), ("receipt", 3, 5)]


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_a_history_of_changes_scored_incrementally_gives_what_full_runs_give(kind):
    with tempfile.TemporaryDirectory() as folder:
        reports = incremental_and_full(kind, folder, quietly(HISTORY))
    assert reports[0].rescored == 1  # the others' cards, signals and plans are kept
    assert all(report.rescored < len(VENDORS) for report in reports)


def test_many_touched_suppliers_or_months_are_read_whole_with_the_same_result(monkeypatch):
    monkeypatch.setattr(records, "READ_BY_MONTH_UP_TO", 0)
    with tempfile.TemporaryDirectory() as folder:
        incremental_and_full("sqlite", folder, quietly([("line", 5, 1), ("due", 9, 40)]))
    with tempfile.TemporaryDirectory() as folder:
        incremental_and_full("sqlite", folder, quietly([("return", 3, 2), ("price", 11, 90)]))


def test_a_changed_first_price_reaches_the_later_orders_it_is_the_baseline_of():
    first = min(range(len(ORDERS)), key=lambda n: (ORDERS[n].order_date, ORDERS[n].id))
    with tempfile.TemporaryDirectory() as folder:
        (report,) = incremental_and_full("sqlite", folder, quietly([("price", first, 250)]))
    order_month = f"{ORDERS[first].order_date:%Y-%m}"
    assert any(card.period > order_month and card.supplier_id == ORDERS[first].vendor for card in report.changed)


def test_one_changed_line_tallies_again_only_the_months_its_order_feeds():
    order = ORDERS[5]
    with tempfile.TemporaryDirectory() as folder:
        (report,) = incremental_and_full("sqlite", folder, quietly([("line", 5, 1)]))
    fed = {f"{order.order_date:%Y-%m}"} | {f"{line.due:%Y-%m}" for item in order.items for line in item.schedule_lines} \
        | {f"{m.posting_date:%Y-%m}" for m in MOVEMENTS if m.po == order.id}
    assert report.tallied == len(fed)


def test_scoring_suppliers_in_batches_gives_what_one_batch_gives(monkeypatch):
    """Full runs and incremental ones that read touched suppliers whole, a batch of two suppliers at a time."""
    monkeypatch.setattr(records, "READ_BY_MONTH_UP_TO", 0)
    batched = load_settings(scoring={"months": 6, "batch_suppliers": 2})
    with tempfile.TemporaryDirectory() as folder, scratch_engine("sqlite", Path(folder)) as whole, \
            scratch_engine("sqlite", Path(folder)) as batches:
        seeded(whole), seeded(batches)
        assert state(batches, score(batches, batched, AS_OF, NOW)) == state(whole, score(whole, SETTINGS, AS_OF, NOW))
        for n, change in enumerate([("line", 5, 1), ("due", 9, 40), ("return", 3, 2)]):
            apply(whole, change, n), apply(batches, change, n)
            quick = score(batches, batched, AS_OF, NOW + timedelta(minutes=n + 1))
            assert quick.incremental
            assert state(batches, quick) == state(whole, score(whole, SETTINGS, AS_OF, NOW + timedelta(minutes=n + 1)))


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_a_plan_closed_while_its_critical_signal_holds_is_followed_by_a_new_one_as_a_full_run_opens(kind):
    """An operator's plan with a target any month meets closes after two months at target while the KPI
    stays below its threshold: the next run (same as-of) opens a new plan for the signal, as a full run does."""
    may_end, supplier = date(2026, 5, 31), VENDORS[1]
    with tempfile.TemporaryDirectory() as folder, scratch_engine(kind, Path(folder)) as incremental, \
            scratch_engine(kind, Path(folder)) as full:
        for engine in (incremental, full):
            seeded(engine)
            with engine.begin() as connection:
                operator_open(connection, SETTINGS, supplier, "otd_pct", 1.0, date(2026, 12, 31), "maria.buyer",
                              None, None, may_end, NOW, None)
            score(engine, SETTINGS, may_end, NOW)
            assert score(engine, SETTINGS, AS_OF, NOW + timedelta(minutes=1)).actions.closed == 1
        later = NOW + timedelta(minutes=2)
        quick = score(incremental, SETTINGS, AS_OF, later)
        assert quick.actions.opened == 1 and quick.rescored == 1
        assert state(incremental, quick) == state(full, score(full, SETTINGS, AS_OF, later, full=True))
