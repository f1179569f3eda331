"""Scoring a batch of suppliers: read, tally, measure, build, store and publish their cards, judge their
risks and plans. A run goes through its suppliers a batch at a time, so its memory does not grow with them;
what needs every supplier (segments, category shares) is worked out before the first batch and shared."""
import logging
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Iterable, NamedTuple

from sqlalchemy import Connection

from config import Settings
from domain.deliveries import ActionDue, OrderedItem
from domain.periods import shift_period
from domain.risks import RiskSignal
from domain.scorecards import Scorecard
from domain.suppliers import SupplierProfile
from mapping.benchmarks import groups_of
from mapping.kpis import DeliveryWindow, months_before
from mapping.risks import Condition, supplier_conditions
from mapping.scorecards import (
    Tallies,
    Targets,
    build_scorecards,
    evaluation_period,
    measure_windows,
    supplier_scales,
    tally_months,
    window_periods,
)
from mapping.segments import Segment
from store.benchmarks import Slice
from store.measurements import Touched, load_tallies, save_tallies
from store.ordered import ordered_items, price_history
from store.records import item_histories
from store.risks import open_signals, reconcile_signals
from store.scorecards import save_scorecards
from sync.actions import ActionReport, run_actions
from sync.affected import Slices
from sync.envelope import enqueue_many
from sync.peers import PeerTable

log = logging.getLogger("srm_bridge.sync.scoring")  # the name operators filter scoring's warnings by

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
    # Keeping suppliers: besides those whose tallies change, the ones to score again; None: every supplier
    rescore: set[str] | None = None
    tallied: dict[str, set[str]] = field(default_factory=dict)  # supplier → the months it has a tally of
    slices: Slices | None = None  # the run's slices and the months their cards read, when keeping suppliers


@dataclass
class Batch:
    """What scoring a batch of suppliers did."""

    scorecards: int = 0
    changed: list[CardChange] = field(default_factory=list)
    tallied: int = 0
    raised: list[RiskSignal] = field(default_factory=list)
    cleared: list[RiskSignal] = field(default_factory=list)
    actions: ActionReport = field(default_factory=ActionReport)
    scored: list[str] = field(default_factory=list)  # the suppliers scored again; the others' cards stand


def score_batch(connection: Connection, run: Run, batch: list[str], peers: PeerTable) -> Batch:
    """Tally, measure, build, store and publish the cards of a batch of suppliers, then judge their risks
    and plans: each supplier's events come in the order a run over everyone gives them. `peers` takes
    the cards' numbers for the benchmarks taken after the last batch.

    When the run keeps suppliers (`run.rescore`), only those whose tallies changed or that are to be scored
    again are; the others' cards, signals and plans stand as stored (`sync.affected` says why that is what
    scoring them would give), and `peers` learns where their cards count."""
    settings, done = run.settings, Batch()
    tallies, retallied = _batch_tallies(connection, run, batch, done)
    done.scored, reach = batch, {}
    if run.rescore is not None:
        done.scored = [supplier for supplier in batch if supplier in retallied or supplier in run.rescore]
        done.scorecards = _keep(run, {supplier: set() for supplier in batch if supplier not in set(done.scored)}, peers)
        reach = {supplier: run.slices.reached(months) for supplier, months in retallied.items()
                 if supplier not in run.rescore}
        done.scorecards += _keep(run, reach, peers)
    scored = done.scored
    if tallies is None:
        tallies = load_tallies(connection, scored)
    measured = measure_windows(tallies, run.wanted, reach)
    cards = build_scorecards(measured, run.periods, run.as_of, settings.scoring, run.segments, run.profiles)
    current = [card for card in cards if card.supplier_id not in reach
               or (card.period, card.window_months) in reach[card.supplier_id]]
    changed = save_scorecards(connection, current, run.now)
    enqueue_many(connection, settings.broker, [("scorecard.published.v1", card.supplier_id, card) for card in changed],
                 run.now)
    peers.add(current, changed)
    done.scorecards, done.changed = done.scorecards + len(current), [CardChange.of(card) for card in changed]
    if not run.back_dated and scored:
        conditions = _conditions(settings, run.as_of, cards, measured, run.segments, run.profiles, run.shares,
                                 set(scored))
        done.raised, done.cleared = _signal_changes(connection, settings, conditions, run.now, scored)
        done.actions = run_actions(connection, settings, run.as_of, run.now, cards,
                                   open_signals(connection, suppliers=scored), run.profiles, set(scored))
    return done


def _keep(run: Run, kept: dict[str, set[Slice]], peers: PeerTable) -> int:
    """Tell `peers` where the cards of suppliers stand as stored: every slice they have a card in, but those
    `kept` names (scored again). Returns how many such cards there are."""
    cards = 0
    for supplier, scored in sorted(kept.items()):
        profile, segment = run.profiles.get(supplier), run.segments.get(supplier)
        slices = [at for at in run.slices.live(run.tallied.get(supplier, set())) if at not in scored]
        peers.keep(supplier, groups_of(profile and profile.category, segment and segment.srm_level), slices)
        cards += len(slices)
    return cards


def _batch_tallies(connection: Connection, run: Run, batch: list[str],
                   done: Batch) -> tuple[Tallies | None, dict[str, set[str]]]:
    """All the batch's tallies made afresh; or, in an incremental run, the touched supplier-months made
    afresh (read within their months) and stored where they differ from what was stored (the batch's
    tallies are then read by the caller: None). Either way, per supplier, the months whose tally changed."""
    months = run.months
    if run.touched is None:
        fresh = _tally_batch(connection, run, months, set(batch), None, None)
        save_tallies(connection, fresh, set())
        done.tallied = len(fresh)
        return fresh, {supplier: set(months) for supplier in batch}
    touched = {supplier: run.touched[supplier] for supplier in batch if supplier in run.touched}
    changed_months = sorted({p for chosen in touched.values() for p in (chosen or months)} & set(months))
    if not changed_months:
        return None, {}
    spans = {supplier: month_spans(set(chosen or months) & set(months)) for supplier, chosen in touched.items()}
    fresh = _tally_batch(connection, run, changed_months, set(touched), spans, touched)
    done.tallied = len(fresh)
    retallied = {(supplier, p) for supplier, chosen in touched.items() for p in set(chosen or months) & set(months)}
    stored = load_tallies(connection, touched, changed_months)
    differ = {key for key in retallied if fresh.get(key) != stored.get(key)}
    save_tallies(connection, {key: fresh[key] for key in differ if key in fresh}, differ)
    changed: dict[str, set[str]] = {}
    for supplier, period in differ:
        changed.setdefault(supplier, set()).add(period)
    return None, changed


def _tally_batch(connection: Connection, run: Run, months: list[str], suppliers: set[str], spans: dict | None,
                 touched: Touched | None) -> Tallies:
    """The tallies of `months` of some suppliers: their histories read (within `spans`, when given), their
    items ordered in the months with what prices them, and their actions due."""
    settings, as_of = run.settings, run.as_of
    tallied = tally_months(item_histories(connection, first_day(months[0]), as_of, suppliers, spans),
                           priced_items(connection, suppliers, first_day(months[0]), as_of),
                           [a for a in run.actions if a.supplier_id in suppliers],
                           months, as_of, delivery_window(settings), settings.delivery.confirm_days, touched)
    for anomaly in tallied.anomalies:
        log.warning("goods movement applied only in part", extra={
            "document": "/".join(map(str, anomaly.document)), "movement_type": anomaly.movement_type,
            "po": anomaly.po_id, "item": anomaly.item_id, "quantity_without_effect": str(anomaly.quantity),
            "reason": anomaly.reason})
    return tallied.tallies


def priced_items(connection: Connection, suppliers: Iterable[str], priced_from: date, as_of: date) -> list[OrderedItem]:
    """The suppliers' items ordered in `[priced_from, as_of]` with their confirmations, and the earlier ones that
    can be their price baselines (12 months back)."""
    suppliers = list(suppliers)
    return ordered_items(connection, priced_from, as_of, suppliers) + price_history(
        connection, suppliers, (months_before(priced_from, 12), months_before(as_of, 12)), priced_from)


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
