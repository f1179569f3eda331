"""What the console pages and the report show, read through `store/` and judged by `mapping/`.

Read only. Which months count as final and where a supplier stands among its peers are each decided
in one function here (`is_final`, `peer_standing`), so the pages and the report agree.
"""
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection

from config import Settings
from domain.actions import CorrectiveAction
from domain.risks import RiskSignal
from domain.scorecards import Scorecard
from mapping.benchmarks import percentile_ranks
from mapping.risks import ChartPoint, flagged_months, p_chart
from mapping.scorecards import window_periods
from store.actions import audit_trail, find_actions
from store.outbox import backlog, dead_letters
from store.risks import open_signals
from store.scorecards import FINAL, load_scorecards
from store.sync_state import quarantine_count, recent_runs, stream_health

TREND_MONTHS = 12


def is_final(card: Scorecard) -> bool:
    """Whether the card is final, as scored and stored (its month had ended by its as-of)."""
    return card.status == FINAL


@dataclass
class Standing:
    """Where a supplier stands among the suppliers of its category in one month, peers unnamed."""

    category: str | None
    rank: int | None  # 1 = best score in the category
    group_size: int
    percentile_in_category: float | None
    percentile_in_segment: float | None


def peer_standing(card: Scorecard, peers: list[Scorecard]) -> Standing:
    """`peers`: the month's monthly cards of every supplier (the supplier's own included). Percentiles are
    those of the month's peer benchmarks; suppliers without a category are ranked among themselves."""
    group = [p.score for p in peers if p.category == card.category and p.score is not None]
    rank = None if card.score is None else 1 + sum(score > card.score for score in group)
    return Standing(card.category, rank, len(group), category_percentiles(peers).get(card.supplier_id),
                    percentile_ranks(_scores(peers), {p.supplier_id: p.srm_level for p in peers}).get(card.supplier_id))


def category_percentiles(cards: list[Scorecard]) -> dict[str, float]:
    """Supplier → percentile rank of its score among the cards of its category (one period and window)."""
    return percentile_ranks(_scores(cards), {card.supplier_id: card.category for card in cards})


def _scores(cards: list[Scorecard]) -> dict[str, float]:
    return {card.supplier_id: card.score for card in cards if card.score is not None}


@dataclass
class SupplierRow:
    card: Scorecard  # the latest final month
    scores: list[tuple[str, float | None]]  # the final months up to it, oldest first (at most TREND_MONTHS)
    percentile_in_category: float | None = None  # in the card's month


def supplier_rows(connection: Connection) -> list[SupplierRow]:
    """Every supplier with a final month: its latest final card and its monthly scores up to it."""
    by_supplier: dict[str, list[Scorecard]] = {}
    by_period: dict[str, list[Scorecard]] = {}
    for card in load_scorecards(connection):
        by_period.setdefault(card.period, []).append(card)
        if is_final(card):
            by_supplier.setdefault(card.supplier_id, []).append(card)
    percentiles = {period: category_percentiles(by_period[period])
                   for period in {cards[-1].period for cards in by_supplier.values()}}
    return [SupplierRow(cards[-1], _trend(cards, cards[-1].period),
                        percentiles[cards[-1].period].get(cards[-1].supplier_id)) for cards in by_supplier.values()]


def _trend(cards: list[Scorecard], last: str) -> list[tuple[str, float | None]]:
    months = set(window_periods(last, TREND_MONTHS))
    return [(card.period, card.score) for card in cards if card.period in months]


@dataclass
class ControlChart:
    centre: float
    points: list[ChartPoint]
    flags: dict[str, list[str]]


def otd_control_chart(cards: list[Scorecard], last: str, months: int) -> ControlChart | None:
    """The OTD p-chart over `months` ending with `last`, from the lines counted in each monthly card."""
    span = set(window_periods(last, months))
    counts = [(c.period, int(c.details.get("lines_on_time") or 0), int(c.details.get("lines_due") or 0))
              for c in cards if c.period in span]
    chart = p_chart(counts)
    if chart is None:
        return None
    centre, points = chart
    return ControlChart(centre, points, flagged_months(centre, points))


@dataclass
class Plan:
    action: CorrectiveAction
    trail: list[dict]


@dataclass
class SupplierView:
    supplier_id: str
    card: Scorecard | None  # the month shown: the latest final one, or the one asked for
    months: list[Scorecard]  # monthly cards of the trend, oldest first, ending with `card`
    windows: dict[int, Scorecard]  # rolling windows ending with the card's month, by months
    chart: ControlChart | None
    standing: Standing | None
    signals: list[RiskSignal]
    plans: list[Plan]
    later: list[Scorecard] = field(default_factory=list)  # months after the card's (provisional, still running)

    @property
    def name(self) -> str | None:
        return self.card.supplier_name if self.card else None

    @property
    def final(self) -> bool:
        return self.card is not None and is_final(self.card)


def supplier_view(connection: Connection, settings: Settings, supplier_id: str,
                  period: str | None = None) -> SupplierView | None:
    """One supplier in its latest final month, or in `period` (final or not); None when nothing is stored."""
    cards = load_scorecards(connection, supplier=supplier_id)
    plans = [Plan(a, audit_trail(connection, a.action_id)) for a in find_actions(connection, supplier_id=supplier_id)]
    signals = open_signals(connection, supplier_id)
    if not cards and not plans and not signals:
        return None
    if period is None:
        shown = [c for c in cards if is_final(c)]
    else:
        shown = [c for c in cards if c.period < period and is_final(c) or c.period == period]
    card = shown[-1] if shown and (period is None or shown[-1].period == period) else None
    if card is None:
        return SupplierView(supplier_id, None, [], {}, None, None, signals, plans, cards)
    months = set(window_periods(card.period, TREND_MONTHS))
    windows = {}
    for length in settings.scoring.windows[1:]:
        if found := load_scorecards(connection, card.period, supplier_id, length):
            windows[length] = found[0]
    return SupplierView(
        supplier_id, card, [c for c in shown if c.period in months], windows,
        otd_control_chart(shown, card.period, settings.risks.pchart_months),
        peer_standing(card, load_scorecards(connection, card.period)), signals, plans,
        [c for c in cards if c.period > card.period])


def kpi_series(months: list[Scorecard], kpi: str) -> list[float | None]:
    return [getattr(card.kpis, kpi) for card in months]


@dataclass
class Overview:
    streams: list[dict]
    cycles: list[dict]  # sync runs grouped by run id, oldest first: {"run_id", "started_at", "pulled": {stream: n}, …}
    outbox: dict
    dead_letters: list[dict]
    quarantined: int


def overview(connection: Connection, now: datetime, cycles: int = 30) -> Overview:
    runs = recent_runs(connection, cycles * 8)
    grouped: dict[str, dict] = {}
    for run in reversed(runs):
        cycle = grouped.setdefault(run["run_id"], {"run_id": run["run_id"], "started_at": run["started_at"],
                                                   "pulled": {}, "failed": []})
        cycle["pulled"][run["stream"]] = run["pulled"]
        if run["outcome"] in ("failed", "stopped"):
            cycle["failed"].append(run["stream"])
    streams = stream_health(connection)
    for stream in streams:
        stream["pulled_per_cycle"] = [c["pulled"][stream["stream"]] for c in grouped.values()
                                      if stream["stream"] in c["pulled"]][-cycles:]
    return Overview(streams, list(grouped.values())[-cycles:], backlog(connection, now), dead_letters(connection, 50),
                    quarantine_count(connection))

