"""Words and number formats for people: KPI names and units, what a grade means, Jinja filters."""
from jinja2 import Environment

from config import KPI_KEYS, KpiScale

KPI_LABELS: dict[str, tuple[str, str]] = {  # key -> (name, unit)
    "otd_pct": ("On-time delivery", "%"),
    "otif_pct": ("On time in full", "%"),
    "fill_rate_pct": ("Fill rate", "%"),
    "lead_time_days_mean": ("Lead time", "days"),
    "delay_days_mean": ("Delay", "days"),
    "quality_ppm": ("Quality", "ppm"),
    "price_variance_pct": ("Price variance", "%"),
    "confirmation_lag_days_median": ("Confirmation lag", "days"),
    "action_closure_pct": ("Actions closed on time", "%"),
}

DIGITS = {"quality_ppm": 0}
GRADE_MEANINGS = {
    "A": "Preferred: meets or beats the targets; a partner for new business.",
    "B": "Approved: performs well with minor gaps to close.",
    "C": "Conditional: noticeable gaps; improvement is expected and followed up.",
    "D": "At risk: below the thresholds; an improvement plan is required.",
}


def number(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def kpi_value(value: float | None, kpi: str) -> str:
    return number(value, DIGITS.get(kpi, 1))


def assessment(value: float | None, scale: KpiScale) -> tuple[str, str]:
    """(words, css class) for a value against its scale, the right way round for its direction."""
    if value is None:
        return "no activity", "none"

    def reaches(goal: float) -> bool:
        return value >= goal if scale.higher_is_better else value <= goal
    if reaches(scale.target):
        return "meets target", "ok"
    if reaches(scale.threshold):
        return "between threshold and target", "mid"
    return "worse than threshold", "low"


def grade_bands(grades: dict[str, float]) -> list[tuple[str, str, str]]:
    """(grade, score range, meaning), best first."""
    bands, ceiling = [], None
    for grade, floor in grades.items():
        span = f"{floor:g} and above" if ceiling is None else f"{floor:g} to below {ceiling:g}"
        bands.append((grade, span, GRADE_MEANINGS.get(grade, f"score {span}")))
        ceiling = floor
    return bands


def install_filters(environment: Environment) -> None:
    environment.filters.update(number=number, kpi_value=kpi_value)
    environment.globals.update(assessment=assessment)
    environment.globals.update(KPI_LABELS=KPI_LABELS, KPI_KEYS=KPI_KEYS)
