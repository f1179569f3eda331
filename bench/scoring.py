"""KPI engine at scale: OTD, fill rate and PPM per supplier and month for 1,000,000 schedule lines and
1,000,000 movements over 5,000 suppliers and 24 months, against the same aggregation in pandas.

Each side runs in a process of its own with the same synthetic history in memory, so each row's peak
RSS is that side's.
"""
import random
from datetime import date, timedelta
from decimal import Decimal

import pandas as pd

from bench.harness import Result, alone, measure, with_ratio
from domain.deliveries import ItemHistory, LineOrder, Movement
from mapping.kpis import DeliveryWindow
from mapping.scorecards import measure as measure_kpis
from mapping.scorecards import month_periods

AS_OF = date(2026, 6, 30)
WINDOW = DeliveryWindow(early_days=2, late_days=0, qty_tolerance_pct=2, over_tolerance_pct=5)


def synthetic(suppliers: int, months: int, lines: int, seed: int = 1) -> list[ItemHistory]:
    """`lines` schedule lines, one receipt each (some late, some short), 1 in 50 followed by a return."""
    rng = random.Random(seed)
    first = AS_OF - timedelta(days=30 * months)
    items = []
    for n in range(lines // 4):
        supplier = f"{100000 + n % suppliers:010d}"
        po_date = first + timedelta(days=rng.randrange(30 * months - 40))
        orders, moves = [], []
        for k in range(1, 5):
            due = po_date + timedelta(days=14 + 7 * k)
            ordered = Decimal(rng.choice((10, 50, 100)))
            orders.append(LineOrder(f"{k:04d}", due, ordered))
            posted = due + timedelta(days=rng.choice((-3, -1, 0, 0, 0, 2, 6)))
            received = ordered if rng.random() > 0.1 else ordered / 2
            moves.append(Movement((f"5{n:09d}", 2026, k), "101", posted, received, f"{k:04d}"))
        if n % 50 == 0:
            moves[-1] = Movement((f"6{n:09d}", 2026, 1), "122", moves[-1].posting_date, Decimal(1), "0004")
        items.append(ItemHistory(supplier, f"45{n:08d}", "00010", po_date, tuple(orders), tuple(moves)))
    return items


def engine(items: list[ItemHistory], periods: list[str]) -> int:
    return len(measure_kpis(items, [], [], periods, AS_OF, WINDOW, 2))


def pandas_reference(items: list[ItemHistory], periods: list[str]) -> int:
    """OTD, fill rate and PPM per supplier and month with pandas groupbys (named receipts only)."""
    lines = pd.DataFrame([(i.supplier_id, i.po_id, l.line_id, l.due, float(l.ordered))
                          for i in items for l in i.lines], columns=["supplier", "po", "line", "due", "ordered"])
    moves = pd.DataFrame([(i.supplier_id, i.po_id, m.schedule_line, m.posting_date, m.movement_type, float(m.quantity))
                          for i in items for m in i.movements],
                         columns=["supplier", "po", "line", "posted", "type", "qty"])
    moves = moves[moves["posted"] <= AS_OF]
    receipts = moves[moves["type"] == "101"]
    joined = lines.merge(receipts[["po", "line", "posted", "qty"]], on=["po", "line"], how="left")
    joined["in_window"] = (joined["posted"] >= joined["due"] - timedelta(days=2)) & (joined["posted"] <= joined["due"])
    joined["qty"] = joined["qty"].fillna(0)
    joined["qty_in_window"] = joined["qty"].where(joined["in_window"], 0)
    per_line = joined.groupby(["supplier", "po", "line", "due", "ordered"], as_index=False)[["qty", "qty_in_window"]].sum()
    per_line = per_line[per_line["due"] <= AS_OF]
    per_line["period"] = pd.to_datetime(per_line["due"]).dt.strftime("%Y-%m")
    per_line["on_time"] = per_line["qty_in_window"] >= per_line["ordered"] * 0.98
    per_line["filled"] = per_line[["qty", "ordered"]].min(axis=1)
    delivery = per_line.groupby(["supplier", "period"]).agg(otd=("on_time", "mean"), filled=("filled", "sum"),
                                                          ordered=("ordered", "sum"))
    moves = moves.assign(period=pd.to_datetime(moves["posted"]).dt.strftime("%Y-%m"),
                         received=moves["qty"].where(moves["type"] == "101", 0),
                         returned=moves["qty"].where(moves["type"].isin(["122", "161"]), 0))
    quality = moves.groupby(["supplier", "period"])[["received", "returned"]].sum()
    result = delivery.join(quality, how="outer")
    result = result[result.index.get_level_values("period").isin(periods)]
    return len(result)


def scored(side: str, suppliers: int, months: int, lines: int) -> Result:
    """One side (`engine` or `pandas_reference`) timed on the history; building the history is not."""
    items = synthetic(suppliers, months, lines)
    periods = month_periods(AS_OF, months)
    aggregate = engine if side == "engine" else pandas_reference
    return measure(side, lambda: aggregate(items, periods))


def scoring_runs(suppliers: int, months: int, lines: int) -> list[Result]:
    """The KPI engine against the pandas reference; ratio = time ÷ the pandas time, as the target is stated."""
    reference = alone("scoring_pandas_reference", "bench.scoring:scored", "pandas_reference", suppliers, months, lines)
    engine_row = alone("scoring", "bench.scoring:scored", "engine", suppliers, months, lines)
    return [reference, with_ratio(engine_row, reference, of="time")]
