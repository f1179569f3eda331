"""One scoring run: read what is stored, measure, score, segment, judge risks; store and enqueue what changed."""
import hashlib
import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Iterable

from sqlalchemy import Connection, Engine

from config import Settings
from domain.benchmarks import Benchmark
from domain.deliveries import ActionDue, OrderedItem
from domain.periods import shift_period
from domain.risks import RiskSignal
from domain.scorecards import Scorecard
from mapping.benchmarks import group_sizes, peer_benchmarks
from mapping.explain import (
    RULES,
    explain_actions,
    explain_confirmations,
    explain_lines,
    explain_movements,
    explain_prices,
)
from mapping.kpis import DeliveryWindow, baseline_prices, months_before
from mapping.risks import Condition, supplier_conditions
from mapping.scorecards import (
    SupplierActivity,
    Tallies,
    activities,
    build_scorecards,
    evaluation_period,
    measure_window,
    measure_windows,
    month_periods,
    supplier_scales,
    tally_months,
    targets,
    window_periods,
)
from mapping.segments import category_shares, segment_suppliers, spend_by_supplier
from store.benchmarks import published_sizes, save_benchmarks
from store.records import actions_due, item_histories, ordered_items, supplier_ids, supplier_profiles
from store.measurements import (
    Touched,
    clear_dirty,
    dirty,
    last_basis,
    latest_as_of,
    load_tallies,
    save_basis,
    save_tallies,
)
from store.risks import open_signals, reconcile_signals
from store.scorecards import save_scorecards
from sync.actions import ActionReport, run_actions
from sync.envelope import enqueue_many

log = logging.getLogger("srm_bridge.sync.scoring")

# An incremental run reads the items of the touched supplier-months; with more date ranges than this it
# reads the touched suppliers whole (one condition per range is more than a planner handles well), and
# with more suppliers than this everyone's (an IN list that long meets bind-parameter limits).
READ_BY_MONTH_UP_TO = 200
READ_BY_SUPPLIER_UP_TO = 5000
# Stored tallies were made by the KPI rules of this version; another version tallies everything afresh.
RULES_VERSION = 2


class ReplayRefused(ValueError):
    """A back-dated run without `replay`: it would rewrite what later runs judged."""


@dataclass
class ScoreReport:
    cards: list[Scorecard]
    changed: list[Scorecard]  # new or different since the last run: published
    benchmarks: list[Benchmark]  # peer groups whose spread or ranks changed: published
    raised: int
    cleared: int
    actions: ActionReport
    incremental: bool
    tallied: int  # supplier-months tallied afresh (every window is summed from the months' tallies)
    replay: bool = False  # as of a day before the newest run: cards restated, signals and plans left alone
    dry_run: bool = False  # nothing was written
    signals: list[str] = field(default_factory=list)  # "raised <key>" / "cleared <key>"
    events: dict[str, int] = field(default_factory=dict)  # event type → events enqueued


def delivery_window(settings: Settings) -> DeliveryWindow:
    d = settings.delivery
    return DeliveryWindow(d.early_days, d.late_days, d.qty_tolerance_pct, d.over_tolerance_pct)


def first_day(period: str) -> date:
    return date.fromisoformat(f"{period}-01")


def month_spans(months: Iterable[str]) -> list[tuple[date, date]]:
    """Date ranges covering the months, consecutive months in one range."""
    spans: list[tuple[date, date]] = []
    for period in sorted(months):
        first, after = first_day(period), first_day(shift_period(period, 1))
        if spans and spans[-1][1] + timedelta(days=1) == first:
            spans[-1] = (spans[-1][0], after - timedelta(days=1))
        else:
            spans.append((first, after - timedelta(days=1)))
    return spans


def basis_hash(settings: Settings) -> str:
    """What measurements depend on besides the data: a change means a full recompute."""
    basis = {"rules": RULES_VERSION, "delivery": settings.delivery.model_dump(), "months": settings.scoring.months,
             "windows": settings.scoring.windows, "velocity_months": settings.scoring.velocity_months,
             "pchart_months": settings.risks.pchart_months}
    return hashlib.sha256(json.dumps(basis, sort_keys=True).encode()).hexdigest()


def score(engine: Engine, settings: Settings, as_of: date, now: datetime, full: bool = False, replay: bool = False,
          dry_run: bool = False) -> ScoreReport:
    """Scorecards over the configured months and windows, risk signals and the action loop.

    Each supplier-month is tallied once (what it gives every KPI) and each window summed from its
    months' tallies. Only the supplier-months that changed records feed are tallied again, when the
    last run had the same as-of date and measurement settings; otherwise (or with `full`) all are.
    Windows, scores, segments, peer benchmarks and signals are always rebuilt from all tallies, so an
    incremental run gives what a full one would. A card is published when its supplier's own numbers
    changed, a peer group's benchmark when its spread or ranks did.

    As of a day before the newest run's, the run is a replay and needs `replay` (else `ReplayRefused`):
    it restates the cards but leaves risk signals and corrective actions as the newest run judged them,
    since no plan may be opened, escalated, closed or otherwise touched from data older than its own
    judgement. `dry_run` does all of it in a transaction that is rolled back: the report says what would
    change; a back-dated dry run shows what the replay would do.
    """
    with engine.connect() as connection:
        with connection.begin() as transaction:
            newest = latest_as_of(connection)
            back_dated = newest is not None and as_of < newest
            if back_dated and not (replay or dry_run):
                raise ReplayRefused(f"as of {as_of} is before the newest scoring run (as of {newest}): that would "
                                    "rewrite what later runs judged; add --replay to restate the cards (signals and "
                                    "corrective actions stay as they are) or --dry-run to see what would change")
            report = _score_in(connection, settings, as_of, now, full, back_dated)
            report.dry_run = dry_run
            if dry_run:
                transaction.rollback()
    log.info("scored", extra={"as_of": as_of.isoformat(), "mode": "incremental" if report.incremental else "full",
                              "replay": back_dated, "dry_run": dry_run, "months_tallied": report.tallied,
                              "scorecards": len(report.cards), "changed": len(report.changed),
                              "benchmarks_changed": len(report.benchmarks),
                              "signals_raised": report.raised, "signals_cleared": report.cleared,
                              "actions_opened": report.actions.opened, "actions_escalated": report.actions.escalated,
                              "actions_closed": report.actions.closed})
    return report


def _score_in(connection: Connection, settings: Settings, as_of: date, now: datetime, full: bool,
              back_dated: bool) -> ScoreReport:
    scoring = settings.scoring
    periods = month_periods(as_of, scoring.months)
    reach = max(max(scoring.windows), scoring.velocity_months, settings.risks.pchart_months)
    history = window_periods(periods[0], reach)[:-1]
    months = history + periods
    wanted = targets(periods, scoring.windows, history)
    marks, touched = dirty(connection)
    incremental = not full and last_basis(connection) == (as_of, basis_hash(settings))
    ordered = ordered_items(connection, months_before(first_day(months[0]), 12), as_of)
    profiles = supplier_profiles(connection)
    last_year = [item for item in ordered if item.order_date > months_before(as_of, 12)]
    segments = segment_suppliers(last_year, profiles, settings.segmentation)
    if incremental:
        changed_months = sorted({p for chosen in touched.values() for p in (chosen or months)} & set(months))
        fresh = _tally(connection, settings, as_of, ordered, changed_months, touched) if changed_months else {}
        save_tallies(connection, fresh, {(supplier, p) for supplier, chosen in touched.items()
                                         for p in (chosen or months)})
        tallies = load_tallies(connection)
    else:
        fresh = tallies = _tally(connection, settings, as_of, ordered, months)
        save_tallies(connection, tallies, None)
    measured = measure_windows(tallies, wanted)
    cards = build_scorecards(measured, periods, as_of, scoring, segments, profiles)
    changed = save_scorecards(connection, cards, now)
    benchmarks = _benchmark_changes(connection, cards, changed, periods, as_of, now)
    enqueue_many(connection, settings.broker,
                 [("scorecard.published.v1", card.supplier_id, card) for card in changed]
                 + [("benchmark.published.v1", benchmark.group, benchmark) for benchmark in benchmarks], now)
    report = ScoreReport(cards, changed, benchmarks, 0, 0, ActionReport(), incremental, len(fresh),
                         replay=back_dated)
    if not back_dated:
        conditions = _conditions(settings, as_of, cards, measured, segments, profiles,
                                 category_shares(spend_by_supplier(last_year),
                                                 {s: p.category for s, p in profiles.items()}))
        raised, cleared = _signal_changes(connection, settings, conditions, now)
        report.raised, report.cleared = len(raised), len(cleared)
        report.signals = [f"raised {s.dedupe_key}" for s in raised] + [f"cleared {s.dedupe_key}" for s in cleared]
        report.actions = run_actions(connection, settings, as_of, now, cards, open_signals(connection), profiles)
    clear_dirty(connection, marks)
    save_basis(connection, as_of, basis_hash(settings), now)
    report.events = dict(Counter({"scorecard.published.v1": len(changed), "benchmark.published.v1": len(benchmarks),
                                  "risk.raised.v1": report.raised,
                                  "risk.cleared.v1": report.cleared}) + Counter(report.actions.events))
    return report


def _benchmark_changes(connection: Connection, cards: list[Scorecard], changed: list[Scorecard], periods: list[str],
                       as_of: date, now: datetime) -> list[Benchmark]:
    """Benchmarks are taken again only over the slices (period, window) where a card changed or a group's
    size is not the size last published (a card gone, or nothing published yet): elsewhere nothing moved."""
    current, published = group_sizes(cards), published_sizes(connection, periods)
    resized = [key for key in current.keys() | published.keys() if current.get(key, 0) != published.get(key, 0)]
    slices = {(card.period, card.window_months) for card in changed} | {(period, months)
                                                                         for _, _, period, months in resized}
    found = peer_benchmarks([card for card in cards if (card.period, card.window_months) in slices])
    return save_benchmarks(connection, found, slices, as_of, now)


def _tally(connection: Connection, settings: Settings, as_of: date, ordered: list[OrderedItem], months: list[str],
           touched: Touched | None = None) -> Tallies:
    """Tally `months` from what is stored: every supplier's, or only the `touched` supplier-months; the
    histories are read `scoring.batch_suppliers` suppliers at a time."""
    start = first_day(months[0])
    actions = actions_due(connection, start, as_of)
    if touched is not None and len(touched) <= READ_BY_SUPPLIER_UP_TO:
        spans = {supplier: month_spans(set(chosen or months) & set(months)) for supplier, chosen in touched.items()}
        if sum(map(len, spans.values())) <= READ_BY_MONTH_UP_TO:
            return _tally_batch(connection, settings, as_of, (ordered, actions), months, set(touched), spans, touched)
        suppliers = sorted(touched)
    else:
        suppliers = sorted(set(supplier_ids(connection)) | {action.supplier_id for action in actions})
    tallies: Tallies = {}
    size = settings.scoring.batch_suppliers
    for first in range(0, len(suppliers), size):
        batch = set(suppliers[first:first + size])
        tallies.update(_tally_batch(connection, settings, as_of, (ordered, actions), months, batch, None, touched))
    return tallies


def _tally_batch(connection: Connection, settings: Settings, as_of: date,
                 known: tuple[list[OrderedItem], list[ActionDue]], months: list[str], suppliers: set[str],
                 spans: dict | None, touched: Touched | None) -> Tallies:
    """The tallies of some suppliers: their histories read (within `spans`, when given), their ordered items
    and actions taken from `known`."""
    ordered, actions = known
    tallied = tally_months(item_histories(connection, first_day(months[0]), as_of, suppliers, spans),
                           [i for i in ordered if i.supplier_id in suppliers],
                           [a for a in actions if a.supplier_id in suppliers],
                           months, as_of, delivery_window(settings), settings.delivery.confirm_days, touched)
    for anomaly in tallied.anomalies:
        log.warning("goods movement applied only in part", extra={
            "document": "/".join(map(str, anomaly.document)), "movement_type": anomaly.movement_type,
            "po": anomaly.po_id, "item": anomaly.item_id, "quantity_without_effect": str(anomaly.quantity),
            "reason": anomaly.reason})
    return tallied.tallies


def _conditions(settings: Settings, as_of: date, cards: list[Scorecard], measured: dict, segments: dict,
                profiles: dict, shares: dict[str, float]) -> list[Condition]:
    period = evaluation_period(as_of)
    monthly = {card.supplier_id: card for card in cards if card.period == period and card.window_months == 1}
    chart = window_periods(period, settings.risks.pchart_months)
    found = []
    for supplier in sorted(set(monthly) | set(segments) | set(profiles)):
        card, segment = monthly.get(supplier), segments.get(supplier)
        scales = supplier_scales(settings.scoring, segment)
        months = [(p, m.on_time_lines, m.judged_lines) for p in chart if (m := measured.get((supplier, p, 1)))]
        found += supplier_conditions(
            supplier, period, card.kpis.present() if card else {}, {k: s.weight for k, s in scales.items()},
            card.velocity_points_per_month if card else None, months, scales, segment, shares.get(supplier),
            profiles.get(supplier), settings.risks)
    return found


def _signal_changes(connection: Connection, settings: Settings, conditions: list[Condition],
                    now: datetime) -> tuple[list[RiskSignal], list[RiskSignal]]:
    raised, cleared = reconcile_signals(connection, conditions, now)
    enqueue_many(connection, settings.broker, [("risk.raised.v1", s.supplier_id, s) for s in raised]
                 + [("risk.cleared.v1", s.supplier_id, s) for s in cleared], now)
    return raised, cleared


def explain(engine: Engine, settings: Settings, supplier_id: str, period: str, kpi: str, window_months: int,
            as_of: date) -> dict:
    """The value of one KPI for one supplier and period, and every record behind it."""
    span = window_periods(period, window_months)
    start = first_day(span[0])
    with engine.connect() as connection:
        items = item_histories(connection, start, as_of, [supplier_id])
        ordered = ordered_items(connection, months_before(start, 12), as_of, supplier_id)
        actions = actions_due(connection, start, as_of, supplier_id)
    activity = activities(items, ordered, actions, as_of).get(supplier_id, SupplierActivity())
    baselines = baseline_prices(ordered)
    window = delivery_window(settings)
    measured = measure_window(activity, span, as_of, window, settings.delivery.confirm_days, baselines)
    lines = [line for p in span for line in activity.lines.get(p, ())]
    in_span = [item for p in span for item in activity.ordered.get(p, ())]
    rows = {
        "quality_ppm": lambda: explain_movements([m for p in span for m in activity.movements.get(p, ())]),
        "price_variance_pct": lambda: explain_prices(in_span, baselines),
        "confirmation_lag_days_median": lambda: explain_confirmations(in_span, as_of, settings.delivery.confirm_days),
        "action_closure_pct": lambda: explain_actions([a for p in span for a in activity.actions.get(p, ())], as_of),
    }.get(kpi, lambda: explain_lines(lines, window))()
    return {"supplier_id": supplier_id, "period": period, "window_months": window_months, "as_of": as_of,
            "kpi": kpi, "value": getattr(measured.kpis, kpi), "rule": RULES[kpi],
            "settings": settings.delivery.model_dump(), "rows": rows,
            "warnings": [f"{'/'.join(map(str, a.document))} ({a.movement_type}, PO {a.po_id} item {a.item_id}): "
                         f"{a.quantity} without effect: {a.reason}" for a in activity.anomalies]}
