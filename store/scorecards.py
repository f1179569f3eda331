"""Scorecards and KPI measurements: saved only when their content changed."""
import hashlib
import json
from datetime import datetime
from typing import Iterator

from sqlalchemy import Connection, select

from domain.scorecards import KpiValues, Scorecard
from store.records import STREAMED_ROWS
from store.tables import kpi_measurements, scorecards
from store.upsert import upsert

MONTHLY = 1
FINAL = "final"


def _content(card: Scorecard) -> tuple[dict, str]:
    """The card as stored (JSON), and the fingerprint of its content: all of it but the as-of date."""
    stored = card.model_dump(mode="json")
    content = {key: value for key, value in stored.items() if key != "as_of"}
    return stored, hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def save_scorecards(connection: Connection, cards: list[Scorecard], now: datetime) -> list[Scorecard]:
    """Store the cards; return those that are new or whose content changed (they get published)."""
    if not cards:
        return []
    rows = connection.execute(
        select(scorecards.c.supplier_id, scorecards.c.period, scorecards.c.window_months, scorecards.c.fingerprint)
        .where(scorecards.c.supplier_id.in_({c.supplier_id for c in cards})))
    known = {(row.supplier_id, row.period, row.window_months): row.fingerprint for row in rows}
    changed = [(card, *content) for card in cards
               if known.get((card.supplier_id, card.period, card.window_months)) != (content := _content(card))[1]]
    upsert(connection, scorecards, [
        {"supplier_id": c.supplier_id, "period": c.period, "window_months": c.window_months,
         "supplier_name": c.supplier_name, "score": c.score, "grade": c.grade, "kpis": c.kpis.model_dump(),
         "kpi_scores": c.kpi_scores, "as_of": c.as_of, "fingerprint": mark, "computed_at": now,
         "srm_level": c.srm_level, "status": c.status, "card": stored} for c, stored, mark in changed],
        ["supplier_id", "period", "window_months"])
    upsert(connection, kpi_measurements, [
        {"supplier_id": c.supplier_id, "period": c.period, "kpi": key, "value": value, "as_of": c.as_of}
        for c, *_ in changed if c.window_months == MONTHLY for key, value in c.kpis.model_dump().items()],
        ["supplier_id", "period", "kpi"])
    return [card for card, *_ in changed]


def stored_numbers(connection: Connection, slices: set[tuple[str, int]]) -> Iterator[tuple[str, str, int, float | None,
                                                                                        dict]]:
    """Supplier, period, window, score and KPI values of the stored cards in `slices`, streamed."""
    s = scorecards.c
    rows = connection.execute(select(s.supplier_id, s.period, s.window_months, s.score, s.kpis)
                              .where(s.period.in_(sorted({period for period, _ in slices})))
                              .execution_options(yield_per=STREAMED_ROWS))
    return (tuple(row) for row in rows if (row.period, row.window_months) in slices)


def load_scorecards(connection: Connection, period: str | None = None, supplier: str | None = None,
                    window_months: int = MONTHLY, final_only: bool = False) -> list[Scorecard]:
    """Stored cards by period, then supplier; `final_only`: only months that had ended when scored."""
    query = select(scorecards).where(scorecards.c.window_months == window_months)
    if period:
        query = query.where(scorecards.c.period == period)
    if supplier:
        query = query.where(scorecards.c.supplier_id == supplier)
    if final_only:
        query = query.where(scorecards.c.status == FINAL)
    rows = connection.execute(query.order_by(scorecards.c.period, scorecards.c.supplier_id)).mappings()
    return [Scorecard.model_validate({**r["card"], "status": r["status"]}) if r["card"] else Scorecard(
        supplier_id=r["supplier_id"], supplier_name=r["supplier_name"], period=r["period"], as_of=r["as_of"],
        status=r["status"], kpis=KpiValues(**r["kpis"]), kpi_scores=r["kpi_scores"], score=r["score"],
        grade=r["grade"]) for r in rows]


def latest_final(cards: list[Scorecard], up_to: str | None = None) -> dict[str, Scorecard]:
    """Each supplier's latest final card (of `cards`, ordered by period), of a month no later than `up_to`."""
    return {card.supplier_id: card for card in cards
            if card.status == FINAL and (up_to is None or card.period <= up_to)}
