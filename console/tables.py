"""The suppliers table: filters by category, segment, SRM level and grade, sorted by any column."""
from console.queries import SupplierRow

SORTS = {
    "supplier": lambda row: row.card.supplier_id,
    "name": lambda row: (row.card.supplier_name or "").lower(),
    "category": lambda row: row.card.category or "",
    "segment": lambda row: row.card.segment or "",
    "level": lambda row: row.card.srm_level or "",
    "period": lambda row: row.card.period,
    "score": lambda row: row.card.score if row.card.score is not None else -1.0,
    "grade": lambda row: row.card.grade or "~",
    "otd": lambda row: row.card.kpis.otd_pct if row.card.kpis.otd_pct is not None else -1.0,
    "ppm": lambda row: row.card.kpis.quality_ppm if row.card.kpis.quality_ppm is not None else -1.0,
    "percentile": lambda row: row.percentile_in_category if row.percentile_in_category is not None else -1.0,
}
FIELDS = {"category": "category", "segment": "segment", "level": "srm_level", "grade": "grade"}


def filters_of(rows: list[SupplierRow]) -> dict[str, list[str]]:
    """The values each filter can take: those present."""
    return {key: sorted({value for row in rows if (value := getattr(row.card, field))}) for key, field in FIELDS.items()}


def filter_rows(rows: list[SupplierRow], chosen: dict[str, str | None]) -> list[SupplierRow]:
    return [row for row in rows if all(value is None or getattr(row.card, FIELDS[key]) == value
                                       for key, value in chosen.items())]


def sort_rows(rows: list[SupplierRow], sort: str, descending: bool) -> list[SupplierRow]:
    return sorted(rows, key=lambda row: (SORTS[sort](row), row.card.supplier_id), reverse=descending)
