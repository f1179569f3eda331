"""Hand-computed KPI cases, one rule or edge per test (DESIGN.md, KPI semantics)."""
from datetime import date
from decimal import Decimal as D

import pytest

from config import load_settings
from domain.deliveries import ItemHistory, LineOrder, Movement
from mapping.deliveries import line_facts
from mapping.kpis import DeliveryWindow, deliveries, fill_rate_pct, on_time_delivery_pct, on_time_in_full_pct, quality_ppm
from mapping.scorecards import build_scorecards, measure
from mapping.scoring import grade, kpi_score, supplier_score

WINDOW = DeliveryWindow(early_days=2, late_days=0, qty_tolerance_pct=2, over_tolerance_pct=5)
PO_DATE = date(2026, 4, 1)
DUE = date(2026, 5, 10)
AS_OF = date(2026, 6, 30)
_doc = iter(range(1, 10_000))


def mv(kind: str, day: date, qty: str, line: str | None = "0001", reverses=None) -> Movement:
    return Movement((f"50{next(_doc):08d}", 2026, 1), kind, day, D(qty), line, reverses)


def facts(movements, lines=(LineOrder("0001", DUE, D(100)),), as_of=AS_OF):
    return line_facts("4500000001", "00010", PO_DATE, lines, movements, as_of).lines


def one(movements, **kwargs):
    [line] = facts(movements, **kwargs)
    return line


def test_split_receipts_that_add_up_are_on_time():
    line = one([mv("101", date(2026, 5, 8), "60"), mv("101", date(2026, 5, 10), "40")])
    assert WINDOW.on_time(line) and WINDOW.in_full(line)
    assert WINDOW.completed_on(line) == date(2026, 5, 10)


def test_tolerance_edge_counts_and_just_below_does_not():
    assert WINDOW.on_time(one([mv("101", DUE, "98")]))          # 100 × (1 − 2 %) exactly
    assert not WINDOW.on_time(one([mv("101", DUE, "97.999")]))


def test_early_inside_window_counts_outside_does_not():
    assert WINDOW.on_time(one([mv("101", date(2026, 5, 8), "100")]))       # due − 2
    assert not WINDOW.on_time(one([mv("101", date(2026, 5, 7), "100")]))   # due − 3
    assert not WINDOW.on_time(one([mv("101", date(2026, 5, 11), "100")]))  # one day late


def test_over_delivery_caps_fill_rate_and_fails_in_full_beyond_tolerance():
    line = one([mv("101", DUE, "110")])
    assert WINDOW.on_time(line) and not WINDOW.in_full(line)
    assert fill_rate_pct([line], WINDOW) == 100
    assert WINDOW.in_full(one([mv("101", DUE, "105")]))


def test_reversal_with_reference_cancels_that_receipt():
    receipt = mv("101", date(2026, 5, 9), "100")
    line = one([receipt, mv("102", date(2026, 5, 9), "100", reverses=receipt.key), mv("101", date(2026, 5, 12), "100")])
    assert line.received == 100 and not WINDOW.on_time(line)
    assert WINDOW.completed_on(line) == date(2026, 5, 12)


def test_reversal_without_reference_cancels_most_recent_earlier_receipts():
    early, later = mv("101", date(2026, 5, 1), "50"), mv("101", date(2026, 5, 9), "50")
    line = one([early, later, mv("102", date(2026, 5, 9), "30", line=None)])
    assert line.receipts == [(date(2026, 5, 1), D(50)), (date(2026, 5, 9), D(20))]


def test_returns_do_not_reduce_received_but_fail_otif_and_count_in_ppm():
    movements = [mv("101", DUE, "100"), mv("122", date(2026, 5, 12), "5")]
    line = one(movements)
    assert line.received == 100 and line.returned == 5
    assert on_time_delivery_pct([line], WINDOW) == 100 and on_time_in_full_pct([line], WINDOW) == 0
    assert quality_ppm(movements) == 50_000


def test_ppm_nets_reversals_and_counts_161():
    movements = [mv("101", DUE, "1000"), mv("102", DUE, "200", line=None), mv("161", DUE, "2")]
    assert quality_ppm(movements) == 2 / 800 * 1_000_000


def test_receipt_without_schedule_line_fills_open_lines_in_due_order():
    lines = (LineOrder("0002", date(2026, 5, 20), D(50)), LineOrder("0001", DUE, D(50)))
    first, second = facts([mv("101", date(2026, 5, 10), "70", line=None), mv("101", date(2026, 5, 20), "30", line=None)],
                          lines=lines)
    assert (first.line_id, first.receipts) == ("0001", [(date(2026, 5, 10), D(50))])
    assert second.receipts == [(date(2026, 5, 10), D(20)), (date(2026, 5, 20), D(30))]
    assert WINDOW.on_time(first)
    assert not WINDOW.on_time(second)  # only 30 of 50 inside [05-18, 05-20]; the 20 came 10 days early


def test_overdue_line_with_nothing_received_is_not_on_time():
    line = one([])
    assert on_time_delivery_pct([line], WINDOW) == 0
    assert fill_rate_pct([line], WINDOW) == 0
    assert deliveries([line], WINDOW).lead_time_days_mean is None


def test_postings_after_as_of_do_not_exist_yet():
    line = one([mv("101", date(2026, 5, 10), "100")], as_of=date(2026, 5, 9))
    assert line.received == 0


def test_lead_time_and_delay_over_complete_lines():
    lines = (LineOrder("0001", DUE, D(10)), LineOrder("0002", date(2026, 5, 20), D(10)))
    first, second = facts([mv("101", date(2026, 5, 11), "10", "0001"), mv("101", date(2026, 5, 18), "10", "0002")], lines=lines)
    times = deliveries([first, second], WINDOW)
    assert times.lead_time_days_mean == (40 + 47) / 2
    assert times.delay_days_mean == (1 + -2) / 2


def item(movements, lines=(LineOrder("0001", DUE, D(100)),)) -> ItemHistory:
    return ItemHistory("0000100001", "4500000001", "00010", PO_DATE, tuple(lines), tuple(movements))


def test_empty_period_gives_no_value_never_zero_or_hundred():
    values = measure([item([mv("101", DUE, "100")])], [], [], ["2026-05", "2026-06"], AS_OF, WINDOW, 2)
    empty = values[("0000100001", "2026-06", 1)].kpis
    assert empty.present() == {}
    assert values[("0000100001", "2026-05", 1)].kpis.otd_pct == 100


def test_line_due_after_as_of_is_not_counted():
    values = measure([item([])], [], [], ["2026-05"], date(2026, 5, 9), WINDOW, 2)
    assert values == {}  # as of the 9th the line is not due: the supplier has nothing to measure yet
    values = measure([item([])], [], [], ["2026-05"], AS_OF, WINDOW, 2)
    assert values[("0000100001", "2026-05", 1)].kpis.otd_pct == 0


SETTINGS = load_settings()
SCALES, BANDS = SETTINGS.scoring.kpis, SETTINGS.scoring.grades


def test_kpi_score_is_linear_and_clamped_in_both_directions():
    otd, ppm = SCALES["otd_pct"], SCALES["quality_ppm"]
    assert kpi_score(84, otd) == pytest.approx(50)
    assert kpi_score(100, otd) == 100 and kpi_score(10, otd) == 0
    assert kpi_score(2750, ppm) == pytest.approx(50)
    assert kpi_score(0, ppm) == 100 and kpi_score(9000, ppm) == 0


def test_weights_renormalise_over_kpis_with_a_value():
    assert supplier_score({"otd_pct": 100.0, "quality_ppm": 0.0}, SCALES) == pytest.approx(100 * 30 / 50)
    assert supplier_score({}, SCALES) is None


def test_score_of_exactly_100_is_an_a_and_every_score_has_a_grade():
    assert grade(100, BANDS) == "A"
    assert [grade(s, BANDS) for s in (90, 89.99, 75, 60, 59.9, 0)] == ["A", "B", "B", "C", "D", "D"]
    assert grade(None, BANDS) is None


def test_perfect_month_builds_an_a_scorecard():
    values = measure([item([mv("101", DUE, "100")])], [], [], ["2026-05"], AS_OF, WINDOW, 2)
    [card] = build_scorecards(values, ["2026-05"], AS_OF, SETTINGS.scoring, {}, {})
    assert (card.score, card.grade) == (100, "A")
