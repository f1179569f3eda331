"""One scoring run: read what is stored, measure, score, segment, judge risks; store and enqueue what changed."""
import hashlib
import json
import logging
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Iterable, NamedTuple

from sqlalchemy import Connection, Engine

from config import Settings
from domain.deliveries import ActionDue
from domain.periods import shift_period
from domain.risks import RiskSignal
from domain.scorecards import Scorecard
from domain.suppliers import SupplierProfile
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
    Targets,
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
from mapping.segments import Segment, category_shares, segments_of, spend_by_material, supplier_spend
from store.actions import find_actions
from store.records import (
    actions_due,
    item_histories,
    ordered_items,
    ordered_since,
    supplier_ids,
    supplier_profiles,
)
from store.measurements import (
    Touched,
    clear_dirty,
    dirty,
    last_basis,
    latest_as_of,
    load_tallies,
    save_basis,
    save_tallies,
    tallied_suppliers,
)
from store.risks import open_signals, reconcile_signals, signalled_suppliers
from store.scorecards import save_scorecards
from sync.actions import ActionReport, run_actions
from sync.envelope import enqueue_many
from sync.peers import PeerTable, publish_benchmarks

log = logging.getLogger("srm_bridge.sync.scoring")

# An incremental run reads the items of a batch's touched supplier-months; with more date ranges than this
# it reads the touched suppliers whole (one condition per range is more than a planner handles well).
READ_BY_MONTH_UP_TO = 200
# Stored tallies were made by the KPI rules of this version; another version tallies everything afresh.
RULES_VERSION = 2


class ReplayRefused(ValueError):
    """A back-dated run without `replay`: it would rewrite what later runs judged."""


class CardChange(NamedTuple):
    """What a report says of a card that changed: the cards themselves are stored and published, not kept."""

    supplier_id: str
    period: str
    window_months: int
    status: str
    score: float | None
    grade: str | None

    @classmethod
    def of(cls, card: Scorecard) -> "CardChange":
        return cls(sys.intern(card.supplier_id), sys.intern(card.period), card.window_months, sys.intern(card.status),
                   card.score, card.grade and sys.intern(card.grade))


@dataclass
class ScoreReport:
    scorecards: int  # cards computed
    changed: list[CardChange]  # new or different since the last run: published; by period, window, supplier
    benchmarks: int  # peer groups' benchmarks whose spread or ranks changed: published
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
                              "scorecards": report.scorecards, "changed": len(report.changed),
                              "benchmarks_changed": report.benchmarks,
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
    marks, touched = dirty(connection)
    incremental = not full and last_basis(connection) == (as_of, basis_hash(settings))
    profiles = supplier_profiles(connection)
    actions = actions_due(connection, first_day(months[0]), as_of)
    spend = spend_by_material(ordered_since(connection, months_before(as_of, 12), as_of))
    run = Run(settings, as_of, now, periods, months, targets(periods, scoring.windows, history), profiles, actions,
              segments_of(spend, profiles, settings.segmentation), category_shares(supplier_spend(spend), {s: p.category for s, p in profiles.items()}),
              touched if incremental else None, back_dated)
    del spend
    if not incremental:
        save_tallies(connection, {}, None)
    suppliers = sorted(set(supplier_ids(connection)) | {action.supplier_id for action in actions} | set(profiles)
                       | set(touched) | tallied_suppliers(connection) | signalled_suppliers(connection)
                       | {plan.supplier_id for plan in find_actions(connection, active=True)})
    report = ScoreReport(0, [], 0, 0, 0, ActionReport(), incremental, 0, replay=back_dated)
    peers, raised, cleared = PeerTable(), [], []
    size = scoring.batch_suppliers
    for first in range(0, len(suppliers), size):
        batch = suppliers[first:first + size]
        _score_batch(connection, run, batch, report, peers, (raised, cleared))
    report.benchmarks = publish_benchmarks(connection, settings.broker, peers, periods, as_of, now)
    report.changed.sort(key=lambda card: (card.period, card.window_months, card.supplier_id))
    report.signals = raised + cleared
    clear_dirty(connection, marks)
    save_basis(connection, as_of, basis_hash(settings), now)
    report.events = dict(Counter({"scorecard.published.v1": len(report.changed),
                                  "benchmark.published.v1": report.benchmarks, "risk.raised.v1": report.raised,
                                  "risk.cleared.v1": report.cleared}) + Counter(report.actions.events))
    return report


@dataclass(frozen=True)
class Run:
    """What every batch of suppliers in a run shares: the settings, dates, and the few figures per supplier
    that need the whole population (segments and category shares of spend)."""

    settings: Settings
    as_of: date
    now: datetime
    periods: list[str]
    months: list[str]  # the periods with their history (velocity, control charts)
    wanted: Targets
    profiles: dict[str, SupplierProfile]
    actions: list[ActionDue]
    segments: dict[str, Segment]
    shares: dict[str, float]
    touched: Touched | None  # incremental: the supplier-months to tally again; None: all of them
    back_dated: bool


def _score_batch(connection: Connection, run: Run, batch: list[str], report: ScoreReport, peers: PeerTable,
                 signals: tuple[list[str], list[str]]) -> None:
    """Tally, measure, build, store and publish the cards of a batch of suppliers, then judge their risks
    and plans: a supplier's events keep the order a run over everyone gives them."""
    settings = run.settings
    tallies = _batch_tallies(connection, run, batch, report)
    measured = measure_windows(tallies, run.wanted)
    del tallies
    cards = build_scorecards(measured, run.periods, run.as_of, settings.scoring, run.segments, run.profiles)
    changed = save_scorecards(connection, cards, run.now)
    enqueue_many(connection, settings.broker, [("scorecard.published.v1", card.supplier_id, card) for card in changed],
                 run.now)
    peers.add(cards, changed)
    report.scorecards += len(cards)
    report.changed += [CardChange.of(card) for card in changed]
    if run.back_dated:
        return
    conditions = _conditions(settings, run.as_of, cards, measured, run.segments, run.profiles, run.shares, set(batch))
    raised, cleared = _signal_changes(connection, settings, conditions, run.now, batch)
    report.raised, report.cleared = report.raised + len(raised), report.cleared + len(cleared)
    signals[0].extend(f"raised {s.dedupe_key}" for s in raised)
    signals[1].extend(f"cleared {s.dedupe_key}" for s in cleared)
    report.actions.absorb(run_actions(connection, settings, run.as_of, run.now, cards,
                                      open_signals(connection, suppliers=batch), run.profiles, set(batch)))


def _batch_tallies(connection: Connection, run: Run, batch: list[str], report: ScoreReport) -> Tallies:
    """The batch's tallies: all made afresh, or, in an incremental run, the touched supplier-months made
    afresh (read within their months when few) and the others as stored."""
    months = run.months
    ordered_from = months_before(first_day(months[0]), 12)
    if run.touched is None:
        fresh = _tally_batch(connection, run, ordered_from, months, set(batch), None, None)
        save_tallies(connection, fresh, set())
        report.tallied += len(fresh)
        return fresh
    touched = {supplier: run.touched[supplier] for supplier in batch if supplier in run.touched}
    changed_months = sorted({p for chosen in touched.values() for p in (chosen or months)} & set(months))
    fresh = {}
    if changed_months:
        spans = {supplier: month_spans(set(chosen or months) & set(months)) for supplier, chosen in touched.items()}
        fresh = _tally_batch(connection, run, ordered_from, changed_months, set(touched),
                             spans if sum(map(len, spans.values())) <= READ_BY_MONTH_UP_TO else None, touched)
    save_tallies(connection, fresh, {(supplier, p) for supplier, chosen in touched.items() for p in (chosen or months)})
    report.tallied += len(fresh)
    return load_tallies(connection, batch)


def _tally_batch(connection: Connection, run: Run, ordered_from: date, months: list[str], suppliers: set[str],
                 spans: dict | None, touched: Touched | None) -> Tallies:
    """The tallies of `months` of some suppliers: their histories read (within `spans`, when given), their
    items ordered since `ordered_from` (price baselines reach 12 months back) and their actions due."""
    settings, as_of = run.settings, run.as_of
    tallied = tally_months(item_histories(connection, first_day(months[0]), as_of, suppliers, spans),
                           ordered_items(connection, ordered_from, as_of, suppliers=suppliers),
                           [a for a in run.actions if a.supplier_id in suppliers],
                           months, as_of, delivery_window(settings), settings.delivery.confirm_days, touched)
    for anomaly in tallied.anomalies:
        log.warning("goods movement applied only in part", extra={
            "document": "/".join(map(str, anomaly.document)), "movement_type": anomaly.movement_type,
            "po": anomaly.po_id, "item": anomaly.item_id, "quantity_without_effect": str(anomaly.quantity),
            "reason": anomaly.reason})
    return tallied.tallies


def _conditions(settings: Settings, as_of: date, cards: list[Scorecard], measured: dict, segments: dict,
                profiles: dict, shares: dict[str, float], batch: set[str]) -> list[Condition]:
    """The risk conditions of the suppliers in `batch` (`cards` and `measured` theirs)."""
    period = evaluation_period(as_of)
    monthly = {card.supplier_id: card for card in cards if card.period == period and card.window_months == 1}
    chart = window_periods(period, settings.risks.pchart_months)
    found = []
    for supplier in sorted((set(monthly) | set(segments) | set(profiles)) & batch):
        card, segment = monthly.get(supplier), segments.get(supplier)
        scales = supplier_scales(settings.scoring, segment)
        months = [(p, m.on_time_lines, m.judged_lines) for p in chart if (m := measured.get((supplier, p, 1)))]
        found += supplier_conditions(
            supplier, period, card.kpis.present() if card else {}, {k: s.weight for k, s in scales.items()},
            card.velocity_points_per_month if card else None, months, scales, segment, shares.get(supplier),
            profiles.get(supplier), settings.risks)
    return found


def _signal_changes(connection: Connection, settings: Settings, conditions: list[Condition], now: datetime,
                    batch: list[str]) -> tuple[list[RiskSignal], list[RiskSignal]]:
    raised, cleared = reconcile_signals(connection, conditions, now, batch)
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
