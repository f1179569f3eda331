"""Where a supplier stands among its peers, and which way it is heading."""
from collections import defaultdict
from typing import Hashable


def percentile_ranks(scores: dict[str, float], groups: dict[str, Hashable]) -> dict[str, float]:
    """Percentile rank within each group: 100 × (peers below + ½ × peers level, itself included) ÷ group size.

    A lone supplier ranks 50; the best of two 75, the worst 25. Suppliers without a score have none.
    """
    members: dict[Hashable, list[float]] = defaultdict(list)
    for supplier, score in scores.items():
        members[groups.get(supplier)].append(score)
    ranks = {}
    for supplier, score in scores.items():
        peers = members[groups.get(supplier)]
        below = sum(other < score for other in peers)
        level = sum(other == score for other in peers)
        ranks[supplier] = round(100 * (below + 0.5 * level) / len(peers), 4)
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
