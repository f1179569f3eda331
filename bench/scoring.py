"""KPI engine at scale: OTD, fill rate and PPM per supplier and month for 1,000,000 schedule lines and
1,000,000 movements over 5,000 suppliers and 24 months, against the same aggregation in pandas.

Both sides read the same synthetic history (`SyntheticHistory`: the same items, whether taken whole or
by supplier batch) and each runs in a process of its own, so each row's peak RSS is that side's alone.

- `scoring_pandas_reference` builds its frames from the whole history in memory and is timed from
  the frames' building to the grouped result (the reference as the target states it).
- `scoring` measures the engine as the product drives it (sync/scoring.py reads histories
  `scoring.batch_suppliers` suppliers at a time): the history is produced one batch of suppliers at a
  time, the engine measures each batch, and the batch is dropped before the next one is produced. Its
  seconds are the sum of the engine's time over the batches; producing a batch is not timed, as
  reading it from the database is not the engine's work. Its peak RSS is that of a process holding one
  batch's history and its result at a time, plus the compact draws every batch is built from.
"""
import random
import time
from array import array
from datetime import date, timedelta
from decimal import Decimal
from typing import Iterator

from bench.harness import Result, alone, measure, timed, with_ratio
from config.settings import ScoringSettings
from domain.deliveries import ItemHistory, LineOrder, Movement
from mapping.kpis import DeliveryWindow
from mapping.scorecards import measure as measure_kpis
from mapping.scorecards import month_periods

AS_OF = date(2026, 6, 30)
WINDOW = DeliveryWindow(early_days=2, late_days=0, qty_tolerance_pct=2, over_tolerance_pct=5)
LINES_PER_ITEM = 4
ORDERED = (10, 50, 100)
LATENESS_DAYS = (-3, -1, 0, 0, 0, 2, 6)


class SyntheticHistory:
    """`lines` schedule lines in PO items of 4 lines, one receipt each (some late, some short), 1 item in 50
    ending with a return; item n belongs to supplier n mod `suppliers`.

    The random draws are made once, item by item, and kept in compact arrays: any item is rebuilt from
    them, so the whole history and the supplier batches hold exactly the same data.
    """

    def __init__(self, suppliers: int, months: int, lines: int, seed: int = 1):
        rng = random.Random(seed)
        self.suppliers, self.items = suppliers, lines // LINES_PER_ITEM
        self.first = AS_OF - timedelta(days=30 * months)
        self.po_days, self.ordered, self.lateness, self.short = array("H"), array("B"), array("b"), array("B")
        for _ in range(self.items):
            self.po_days.append(rng.randrange(30 * months - 40))
            for _ in range(LINES_PER_ITEM):
                self.ordered.append(rng.choice(ORDERED))
                self.lateness.append(rng.choice(LATENESS_DAYS))
                self.short.append(rng.random() <= 0.1)

    def item(self, n: int) -> ItemHistory:
        po_date = self.first + timedelta(days=self.po_days[n])
        orders, moves = [], []
        for k in range(1, LINES_PER_ITEM + 1):
            draw = n * LINES_PER_ITEM + k - 1
            due = po_date + timedelta(days=14 + 7 * k)
            ordered = Decimal(self.ordered[draw])
            orders.append(LineOrder(f"{k:04d}", due, ordered))
            posted = due + timedelta(days=self.lateness[draw])
            received = ordered / 2 if self.short[draw] else ordered
            moves.append(Movement((f"5{n:09d}", 2026, k), "101", posted, received, f"{k:04d}"))
        if n % 50 == 0:
            moves[-1] = Movement((f"6{n:09d}", 2026, 1), "122", moves[-1].posting_date, Decimal(1), "0004")
        return ItemHistory(f"{100000 + n % self.suppliers:010d}", f"45{n:08d}", "00010", po_date, tuple(orders),
                           tuple(moves))

    def whole(self) -> list[ItemHistory]:
        return [self.item(n) for n in range(self.items)]

    def batches(self, size: int) -> Iterator[list[ItemHistory]]:
        """The items of `size` suppliers at a time, in supplier order; each supplier's items in item order."""
        for first in range(0, self.suppliers, size):
            yield [self.item(n) for supplier in range(first, min(first + size, self.suppliers))
                   for n in range(supplier, self.items, self.suppliers)]


def engine(items: list[ItemHistory], periods: list[str]) -> int:
    return len(measure_kpis(items, [], [], periods, AS_OF, WINDOW, 2))


def engine_by_batch(history: SyntheticHistory, periods: list[str], batch_suppliers: int) -> Result:
    """The engine over each supplier batch in turn: its time summed, producing the batches left out."""
    seconds, groups = 0.0, 0
    for batch in history.batches(batch_suppliers):
        started = time.perf_counter()
        groups += engine(batch, periods)
        seconds += time.perf_counter() - started
        del batch  # before the next batch is produced: one batch in memory at a time
    return timed("engine", groups, seconds)


def pandas_reference(items: list[ItemHistory], periods: list[str]) -> int:
    """OTD, fill rate and PPM per supplier and month with pandas groupbys (named receipts only)."""
    import pandas as pd  # the bench extra only: the tests import this module without it

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
    """One side (`engine` or `pandas_reference`) timed on the history; producing the history is not."""
    history = SyntheticHistory(suppliers, months, lines)
    periods = month_periods(AS_OF, months)
    if side == "engine":
        return engine_by_batch(history, periods, ScoringSettings().batch_suppliers)
    items = history.whole()
    return measure(side, lambda: pandas_reference(items, periods))


def scoring_runs(suppliers: int, months: int, lines: int) -> list[Result]:
    """The KPI engine against the pandas reference; ratio = time ÷ the pandas time, as the target is stated."""
    reference = alone("scoring_pandas_reference", "bench.scoring:scored", "pandas_reference", suppliers, months, lines)
    engine_row = alone("scoring", "bench.scoring:scored", "engine", suppliers, months, lines)
    return [reference, with_ratio(engine_row, reference, of="time")]
