"""KPI values to 0-100 scores, a weighted supplier score and a grade."""
from config import KpiScale


def kpi_score(value: float, scale: KpiScale) -> float:
    """Linear from `threshold` (0) to `target` (100), clamped; works for either direction."""
    share = (value - scale.threshold) / (scale.target - scale.threshold)
    return 100 * min(1.0, max(0.0, share))


def kpi_scores(values: dict[str, float], scales: dict[str, KpiScale]) -> dict[str, float]:
    return {key: kpi_score(value, scales[key]) for key, value in values.items() if key in scales}


def supplier_score(scores: dict[str, float], scales: dict[str, KpiScale]) -> float | None:
    """Σ weight × score ÷ Σ weight over the KPIs that have a value: weights renormalise."""
    weights = {key: scales[key].weight for key in scores if scales[key].weight > 0}
    total = sum(weights.values())
    if total == 0:
        return None
    return sum(weights[key] * scores[key] for key in weights) / total


def grade(score: float | None, bands: dict[str, float]) -> str | None:
    """Bands map grade to floor, highest first; 100 earns the top grade, every score one grade."""
    if score is None:
        return None
    rounded = round(score, 6)
    return next(name for name, floor in bands.items() if rounded >= floor)
