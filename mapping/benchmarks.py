"""Where a supplier stands among its peers, and which way it is heading."""
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from operator import attrgetter
from typing import Hashable, Iterable

from config import KPI_KEYS
from domain.benchmarks import Benchmark, Distribution, KpiDistributions, group_id
from domain.scorecards import Scorecard, card_status
from mapping.kpis import nearest_rank


def percentile_ranks(scores: dict[str, float], groups: dict[str, Hashable]) -> dict[str, float]:
    """Percentile rank within each group: 100 × (peers below + ½ × peers level, itself included) ÷ group size.

    A lone supplier ranks 50; the best of two 75, the worst 25. Suppliers without a score have none.
    """
    members: dict[Hashable, list[float]] = defaultdict(list)
    for supplier, score in scores.items():
        members[groups.get(supplier)].append(score)
    for peers in members.values():
        peers.sort()
    ranks = {}
    for supplier, score in scores.items():
        peers = members[groups.get(supplier)]
        below, up_to = bisect_left(peers, score), bisect_right(peers, score)
        ranks[supplier] = round(100 * (below + 0.5 * (up_to - below)) / len(peers), 4)
    return ranks


def velocity(monthly_scores: list[float | None]) -> float | None:
    """Least-squares slope, in points per month, of the scores over consecutive months (oldest first).

    Months without a score are left out (their position still counts); fewer than two scores → None.
    """
    points = [(x, y) for x, y in enumerate(monthly_scores) if y is not None]
    if len(points) < 2:
        return None
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    return round(sum((x - mean_x) * (y - mean_y) for x, y in points) / spread, 4)


def distribution(values: list[float]) -> Distribution | None:
    """p10, quartiles and p90 by nearest rank (as every median and p90 here); None without values."""
    if not values:
        return None
    ordered = sorted(values)
    return Distribution(count=len(ordered), p10=nearest_rank(ordered, 10), p25=nearest_rank(ordered, 25),
                        median=nearest_rank(ordered, 50), p75=nearest_rank(ordered, 75), p90=nearest_rank(ordered, 90))


GroupKey = tuple[str, str, str, int]  # dimension, name, period, window months


@dataclass(frozen=True)
class Peer:
    """What a benchmark reads of a member's card."""

    supplier_id: str
    score: float | None
    kpis: tuple[float | None, ...]  # in the order of KPI_KEYS


def peer_benchmarks(cards: Iterable[Scorecard]) -> list[Benchmark]:
    """One benchmark per category and per SRM level in each period and window, over the cards of its
    members; a supplier without a category (or an SRM level) belongs to no group of that kind."""
    groups: dict[GroupKey, list[Scorecard]] = defaultdict(list)
    for card in cards:
        for key in memberships(card):
            groups[key].append(card)
    return [group_benchmark(key, max(card.as_of for card in members), [peer_of(card) for card in members])
            for key, members in sorted(groups.items())]


def peer_of(card: Scorecard) -> Peer:
    return Peer(card.supplier_id, card.score, KPI_VALUES(card.kpis))


def group_benchmark(key: GroupKey, as_of: date, members: list[Peer]) -> Benchmark:
    """The benchmark of one group in one period and window, over its members' scores and KPI values."""
    dimension, name, period, window_months = key
    scores = {peer.supplier_id: peer.score for peer in members if peer.score is not None}
    columns = zip(*(peer.kpis for peer in members))  # one column of values per KPI
    return Benchmark(
        group=group_id(dimension, name), dimension=dimension, name=name, period=period,
        window_months=window_months, as_of=as_of, status=card_status(period, as_of), size=len(members),
        score=distribution(list(scores.values())),
        kpis=KpiDistributions(**{key: distribution([v for v in column if v is not None])
                                 for key, column in zip(KPI_KEYS, columns)}),
        percentile_ranks=dict(sorted(percentile_ranks(scores, {}).items())))


KPI_VALUES = attrgetter(*KPI_KEYS)


def memberships(card: Scorecard) -> list[GroupKey]:
    """The groups a card counts in: (dimension, name, period, window months)."""
    return [(dimension, name, card.period, card.window_months)
            for dimension, name in groups_of(card.category, card.srm_level)]


def groups_of(category: str | None, srm_level: str | None) -> list[tuple[str, str]]:
    """The groups (dimension, name) of a supplier's cards: its category and its SRM level, when it has them."""
    return [(dimension, name) for dimension, name in (("category", category), ("srm_level", srm_level)) if name]


def group_sizes(cards: Iterable[Scorecard]) -> Counter:
    """(dimension, name, period, window months) → the group's members among `cards`."""
    return Counter(key for card in cards for key in memberships(card))
