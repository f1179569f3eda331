"""One scoring run: read what is stored, measure, score, segment, judge risks; store and enqueue what changed."""
import hashlib
import json
import logging
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from sqlalchemy import Connection, Engine

from config import Settings
from domain.performance import collector_paused
from domain.periods import period_of
from domain.suppliers import SupplierProfile
from mapping.explain import (
    RULES,
    explain_actions,
    explain_confirmations,
    explain_lines,
    explain_movements,
    explain_prices,
)
from mapping.kpis import baseline_prices, months_before
from mapping.scorecards import SupplierActivity, activities, measure_window, month_periods, targets, window_periods
from mapping.segments import Segment, category_shares, material_spend, segments_of, supplier_spend
from store.actions import find_actions
from store.db import refresh_statistics_after
from store.measurements import (
    clear_dirty,
    clear_input_changes,
    dirty,
    input_changes_read,
    last_basis,
    last_inputs_hash,
    latest_as_of,
    load_contexts,
    save_basis,
    save_contexts,
    save_inputs_hash,
    save_tallies,
    tallied_months,
    unchanged_since_last_run,
)
from store.ordered import spend_since
from store.records import actions_due, item_histories, supplier_ids, supplier_profiles
from store.risks import signalled_suppliers
from sync.actions import ActionReport
from sync.affected import Slices, context_fingerprint, rescored
from sync.batches import Run, delivery_window, first_day, priced_items, score_batch
from sync.card_changes import CardChanges
from sync.peers import PeerTable, publish_benchmarks

log = logging.getLogger("srm_bridge.sync.scoring")

# Stored tallies were made by the KPI rules of this version; another version tallies everything afresh.
RULES_VERSION = 2
#: a run that tallied and changed this many rows or more (a first or full run) refreshes the statistics of
#: what it writes: the next, incremental, runs read cards and tallies by supplier with index plans
ANALYZE_AFTER_ROWS = 20_000
SCORING_TABLES = ["tallies", "scorecards", "kpi_measurements", "supplier_contexts"]


class ReplayRefused(ValueError):
    """A back-dated run without `replay`: it would rewrite what later runs judged."""


@dataclass
class ScoreReport:
    scorecards: int  # cards the run has: computed, or kept as stored where nothing they read changed
    changed: CardChanges  # new or different since the last run: published; by period, window, supplier
    benchmarks: int  # peer groups' benchmarks whose spread or ranks changed: published
    raised: int
    cleared: int
    actions: ActionReport
    incremental: bool
    tallied: int  # supplier-months tallied afresh (every window is summed from the months' tallies)
    rescored: int = 0  # suppliers scored again; an incremental run keeps the others' cards, signals and plans
    replay: bool = False  # as of a day before the newest run: cards restated, signals and plans left alone
    dry_run: bool = False  # nothing was written
    skipped: bool = False  # nothing scoring reads had changed since the last run: nothing computed, nothing written
    signals: list[str] = field(default_factory=list)  # "raised <key>" / "cleared <key>"
    events: dict[str, int] = field(default_factory=dict)  # event type → events enqueued


def basis_hash(settings: Settings) -> str:
    """What measurements depend on besides the data: a change means a full recompute."""
    basis = {"rules": RULES_VERSION, "delivery": settings.delivery.model_dump(), "months": settings.scoring.months,
             "windows": settings.scoring.windows, "velocity_months": settings.scoring.velocity_months,
             "pchart_months": settings.risks.pchart_months}
    return hashlib.sha256(json.dumps(basis, sort_keys=True).encode()).hexdigest()


def inputs_hash(settings: Settings) -> str:
    """Every setting a scoring run reads (scales, weights, grades, segments, risks, plans): with another one
    an idle run is not skipped, even where the measurements can be kept. How many suppliers are scored at
    a time changes no result, so it is left out."""
    read = {"rules": RULES_VERSION, **{section: getattr(settings, section).model_dump(mode="json")
                                       for section in ("delivery", "scoring", "segmentation", "risks", "actions")}}
    del read["scoring"]["batch_suppliers"]
    return hashlib.sha256(json.dumps(read, sort_keys=True).encode()).hexdigest()


def score(engine: Engine, settings: Settings, as_of: date, now: datetime, full: bool = False, replay: bool = False,
          dry_run: bool = False) -> ScoreReport:
    """Scorecards over the configured months and windows, risk signals and the action loop.

    Each supplier-month is tallied once (what it gives every KPI) and each window summed from its
    months' tallies. Only the supplier-months that changed records feed are tallied again, when the
    last run had the same as-of date and measurement settings; otherwise (or with `full`) all are. When
    nothing it reads changed since the last run (same as-of and settings, no record marked dirty, no
    Account profile or operator's plan change marked), the run is skipped: it would write nothing.
    With the same settings as well, only the suppliers whose tallies, plans, Account or context changed
    are scored again, and of those whose tallies alone changed only the cards reading a changed month;
    the others stand as stored and count in the peer benchmarks taken again with their stored numbers
    (`sync.affected` says why that is what a full run gives). A card is published when its supplier's
    own numbers changed, a peer group's benchmark when its spread or ranks did. A run reads committed data
    as it goes, not one snapshot: when another writer commits records while it scores, the run may read
    some of that writer's months before the change and some after. The next run scores the change (its
    marks), and the cards then are what a full run gives; a plan judged meanwhile stays as it was judged.

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
            if not full and unchanged_since_last_run(connection, (as_of, basis_hash(settings), inputs_hash(settings)),
                                                     _read_months(settings, as_of)):
                log.info("scoring skipped: nothing changed since the last run (same as-of and settings, no record, "
                         "Account or plan changed); --full scores anyway", extra={"as_of": as_of.isoformat()})
                return ScoreReport(0, CardChanges(), 0, 0, 0, ActionReport(), True, 0, replay=back_dated,
                                   dry_run=dry_run, skipped=True)
            changes, changed_inputs = input_changes_read(connection)
            report = _score_in(connection, settings, as_of, now, full, back_dated, changed_inputs)
            clear_input_changes(connection, changes)
            save_inputs_hash(connection, inputs_hash(settings))
            report.dry_run = dry_run
            if dry_run:
                transaction.rollback()
    if not dry_run and report.tallied + len(report.changed) >= ANALYZE_AFTER_ROWS:
        refresh_statistics_after(engine, SCORING_TABLES, log, "a large scoring run", months_tallied=report.tallied,
                                 changed=len(report.changed))
    log.info("scored", extra={"as_of": as_of.isoformat(), "mode": "incremental" if report.incremental else "full",
                              "replay": back_dated, "dry_run": dry_run, "months_tallied": report.tallied,
                              "suppliers_scored": report.rescored,
                              "scorecards": report.scorecards, "changed": len(report.changed),
                              "benchmarks_changed": report.benchmarks,
                              "signals_raised": report.raised, "signals_cleared": report.cleared,
                              "actions_opened": report.actions.opened, "actions_escalated": report.actions.escalated,
                              "actions_closed": report.actions.closed})
    return report


def scored_months(settings: Settings, as_of: date) -> tuple[list[str], list[str]]:
    """The months a run as of `as_of` scores, and the earlier ones its windows, velocities and charts read."""
    scoring = settings.scoring
    periods = month_periods(as_of, scoring.months)
    reach = max(max(scoring.windows), scoring.velocity_months, settings.risks.pchart_months)
    return periods, window_periods(periods[0], reach)[:-1]


def _read_months(settings: Settings, as_of: date) -> tuple[str, str]:
    """The first and last month whose records a run as of `as_of` reads: from the items ordered a year
    before its first month (price baselines, last year's spend) to the as-of."""
    periods, history = scored_months(settings, as_of)
    return period_of(months_before(first_day((history + periods)[0]), 12)), periods[-1]


def _score_in(connection: Connection, settings: Settings, as_of: date, now: datetime, full: bool,
              back_dated: bool, changed_inputs: set[str]) -> ScoreReport:
    scoring = settings.scoring
    periods, history = scored_months(settings, as_of)
    months = history + periods
    incremental = not full and last_basis(connection) == (as_of, basis_hash(settings))
    marks, touched = dirty(connection, by_month=incremental)
    profiles = supplier_profiles(connection)
    actions = actions_due(connection, first_day(months[0]), as_of)
    run = Run(settings, as_of, now, periods, months, targets(periods, scoring.windows, history), profiles, actions,
              *_segments_and_shares(connection, settings, as_of, profiles), touched if incremental else None,
              back_dated)
    if not incremental:
        save_tallies(connection, {}, None)
    tallied = tallied_months(connection)
    suppliers = sorted(set(supplier_ids(connection)) | {action.supplier_id for action in actions} | set(profiles)
                       | set(touched) | set(tallied) | signalled_suppliers(connection)
                       | {plan.supplier_id for plan in find_actions(connection, active=True)})
    contexts = {supplier: context_fingerprint(settings, supplier, profiles.get(supplier), run.segments.get(supplier),
                                              run.shares.get(supplier)) for supplier in suppliers}
    if incremental and last_inputs_hash(connection) == inputs_hash(settings):
        run = replace(run, rescore=rescored(suppliers, changed_inputs, contexts, load_contexts(connection)),
                      tallied=tallied, slices=Slices(periods, scoring.windows, scoring.velocity_months))
    report = ScoreReport(0, CardChanges(), 0, 0, 0, ActionReport(), incremental, 0, replay=back_dated)
    peers, raised, cleared, scored = PeerTable(), [], [], []
    for first in range(0, len(suppliers), scoring.batch_suppliers):
        with collector_paused():  # a batch builds many objects and few cycles: those wait for its end
            done = score_batch(connection, run, suppliers[first:first + scoring.batch_suppliers], peers)
        report.scorecards, report.tallied = report.scorecards + done.scorecards, report.tallied + done.tallied
        report.changed.extend(done.changed)
        raised += [f"raised {signal.dedupe_key}" for signal in done.raised]
        cleared += [f"cleared {signal.dedupe_key}" for signal in done.cleared]
        report.actions.absorb(done.actions)
        scored += done.scored
    report.rescored = len(scored)
    save_contexts(connection, {supplier: contexts[supplier] for supplier in scored}, suppliers)
    report.raised, report.cleared = len(raised), len(cleared)
    report.benchmarks = publish_benchmarks(connection, settings.broker, peers, periods, as_of, now)
    report.signals = raised + cleared  # all raised first, as one run over everyone lists them
    clear_dirty(connection, marks)
    save_basis(connection, as_of, basis_hash(settings), now)
    report.events = dict(Counter({"scorecard.published.v1": len(report.changed),
                                  "benchmark.published.v1": report.benchmarks, "risk.raised.v1": report.raised,
                                  "risk.cleared.v1": report.cleared}) + Counter(report.actions.events))
    return report


def _segments_and_shares(connection: Connection, settings: Settings, as_of: date,
                         profiles: dict[str, SupplierProfile]) -> tuple[dict[str, Segment], dict[str, float]]:
    """Each supplier's segment and share of its category's spend: the spend per supplier and material they
    are worked out from is not kept through the batches."""
    with collector_paused():
        spend = material_spend(spend_since(connection, months_before(as_of, 12), as_of))
    shares = category_shares(supplier_spend(spend), {s: p.category for s, p in profiles.items()})
    return segments_of(spend, profiles, settings.segmentation), shares


def explain(engine: Engine, settings: Settings, supplier_id: str, period: str, kpi: str, window_months: int,
            as_of: date) -> dict:
    """The value of one KPI for one supplier and period, and every record behind it."""
    span = window_periods(period, window_months)
    start = first_day(span[0])
    with engine.connect() as connection:
        items = item_histories(connection, start, as_of, [supplier_id])
        ordered = priced_items(connection, [supplier_id], start, as_of)
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
