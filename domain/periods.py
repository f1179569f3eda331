"""Calendar months as `YYYY-MM` periods: what KPIs are bucketed by and what incremental scoring marks."""
from calendar import monthrange
from datetime import date
from functools import lru_cache


@lru_cache(maxsize=4096)
def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def shift_period(period: str, months: int) -> str:
    """`2026-06` shifted by −7 months is `2025-11`."""
    index = int(period[:4]) * 12 + int(period[5:7]) - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def period_end(period: str) -> date:
    """The last day of the month."""
    year, month = int(period[:4]), int(period[5:7])
    return date(year, month, monthrange(year, month)[1])
