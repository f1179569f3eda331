"""Worked cases for the rules DESIGN.md settles: movement order, reversals, returns without a line, what
exists as of a date, open lines, nearest ranks, price baselines, allocation and which months get a card."""
from datetime import date
from decimal import Decimal as D

from config import load_settings
from domain.deliveries import ItemHistory, LineOrder, Movement, OrderedItem, sap_number
from mapping.deliveries import line_facts
from mapping.explain import explain_lines
from mapping.kpis import DeliveryWindow, baseline_prices, deliveries, nearest_rank
from mapping.scorecards import build_scorecards, measure

WINDOW = DeliveryWindow(early_days=2, late_days=0, qty_tolerance_pct=2, over_tolerance_pct=5)
PO_DATE = date(2026, 2, 1)
AS_OF = date(2026, 6, 30)


def mv(document: int, kind: str, day: date, qty: str, line: str | None = None, reverses: int | None = None,
       year: int = 2026) -> Movement:
    return Movement((f"{5000000000 + document}", year, 1), kind, day, D(qty), line,
                    None if reverses is None else (f"{5000000000 + reverses}", 2026, 1))


def item_facts(movements, lines, as_of=AS_OF):
    return line_facts("4500000001", "00010", PO_DATE, lines, movements, as_of)


def by_line(movements, lines, as_of=AS_OF):
    return {facts.line_id: facts for facts in item_facts(movements, lines, as_of).lines}


def one_line(due: date, ordered: str = "100") -> tuple[LineOrder, ...]:
    return (LineOrder("0001", due, D(ordered)),)


# Order of movements ---------------------------------------------------------------------------------

def test_a_102_without_reference_cancels_only_earlier_101s_even_on_the_same_day():
    """101 of 100 on 03-05 (…01); 102 of 100 on 03-10 (…02); 101 of 100 on 03-10 (…03); line due 03-10.

    The 102 comes before the second 101 in movement order, so it cancels the first one: 100 arrive on
    03-10 inside [03-08, 03-10]. OTD 100, delay 0, lead time 03-10 − 02-01 = 37 days (all-101s-first
    would cancel the 03-10 receipt instead and give OTD 0, delay −5)."""
    [line] = item_facts([mv(3, "101", date(2026, 3, 10), "100"), mv(2, "102", date(2026, 3, 10), "100"),
                         mv(1, "101", date(2026, 3, 5), "100")], one_line(date(2026, 3, 10))).lines
    assert line.receipts == [(date(2026, 3, 10), D(100))]
    figures = deliveries([line], WINDOW)
    assert (figures.otd_pct, figures.delay_days_mean, figures.lead_time_days_mean) == (100, 0, 37)


def test_movement_order_is_document_year_then_number_numerically():
    assert sap_number("10") > sap_number("9") and sap_number("0000000010") > sap_number("9")
    # on one day: a 2025 document (…09) comes before the 2026 ones, whatever its number; the 102 (2026, …07)
    # therefore follows it and cancels it, and the 2026 receipt (…08) after the 102 keeps its 70
    day = date(2026, 3, 10)
    lines = (LineOrder("0001", day, D(30)), LineOrder("0002", day, D(70)))
    facts = by_line([mv(9, "101", day, "30", "0001", year=2025), mv(8, "101", day, "70", "0002"),
                     mv(7, "102", day, "30")], lines)
    assert (facts["0001"].received, facts["0002"].received) == (0, 70)


# Reversals --------------------------------------------------------------------------------------------

def test_referenced_102s_cancel_their_own_101_before_unreferenced_ones_take_any():
    """101 A (line 1, 03-01), 101 B (line 2, 03-02), unreferenced 102 (03-03), 101 C (line 3, 03-04),
    102 naming B (03-05); 100 each.

    First the 102 naming B cancels B. Then the unreferenced 102 cancels the most recent EARLIER
    uncancelled receipt: A (C is later). C stays: line 3 is on time, lines 1 and 2 got nothing. (Taking
    the 102s by date instead lets the unreferenced one take B, and the named one then cancels C.)"""
    lines = tuple(LineOrder(f"000{n}", date(2026, 3, day), D(100)) for n, day in ((1, 1), (2, 2), (3, 4)))
    facts = by_line([mv(1, "101", date(2026, 3, 1), "100", "0001"), mv(2, "101", date(2026, 3, 2), "100", "0002"),
                     mv(3, "102", date(2026, 3, 3), "100"), mv(4, "101", date(2026, 3, 4), "100", "0003"),
                     mv(5, "102", date(2026, 3, 5), "100", reverses=2)], lines)
    assert {line: facts[line].received for line in facts} == {"0001": 0, "0002": 0, "0003": 100}
    assert deliveries(list(facts.values()), WINDOW).otd_pct == 100 / 3


def test_a_referenced_102_beyond_its_101_cancels_nothing_else_and_is_reported():
    """101 of 100 (03-01), 101 of 50 (03-05), 102 of 80 naming the second: it cancels its 50; the other 30
    cancel nothing (the first receipt keeps its 100) and come back as an anomaly."""
    found = item_facts([mv(1, "101", date(2026, 3, 1), "100"), mv(2, "101", date(2026, 3, 5), "50"),
                        mv(3, "102", date(2026, 3, 6), "80", reverses=2)], one_line(date(2026, 3, 1), "150"))
    assert found.lines[0].receipts == [(date(2026, 3, 1), D(100))]
    [anomaly] = found.anomalies
    assert (anomaly.document, anomaly.quantity) == (("5000000003", 2026, 1), D(30))
    assert "5000000002/2026/1" in anomaly.reason and "only 50" in anomaly.reason


def test_a_102_naming_a_movement_that_is_not_a_receipt_of_the_item_is_reported():
    found = item_facts([mv(1, "101", date(2026, 3, 1), "100"), mv(2, "102", date(2026, 3, 2), "40", reverses=77)],
                       one_line(date(2026, 3, 1)))
    assert found.lines[0].received == 100
    assert [(a.quantity, "not a receipt of this item" in a.reason) for a in found.anomalies] == [(D(40), True)]


def test_an_unreferenced_102_with_nothing_earlier_to_cancel_is_reported():
    found = item_facts([mv(2, "102", date(2026, 3, 1), "10"), mv(3, "101", date(2026, 3, 1), "100")],
                       one_line(date(2026, 3, 1)))
    assert found.lines[0].received == 100 and [a.quantity for a in found.anomalies] == [D(10)]


# Allocation -------------------------------------------------------------------------------------------

def test_receipts_without_a_line_fill_lines_in_due_order_and_the_excess_goes_to_the_last():
    """Lines 1 (due 05-10, 50) and 2 (due 05-20, 50). 30 named for line 2 on 05-01; then 90 naming none on
    05-05: line 1 takes 50 (fully received), line 2 the other 40 (20 of room and 20 of excess)."""
    lines = (LineOrder("0002", date(2026, 5, 20), D(50)), LineOrder("0001", date(2026, 5, 10), D(50)))
    facts = by_line([mv(1, "101", date(2026, 5, 1), "30", "0002"), mv(2, "101", date(2026, 5, 5), "90")], lines)
    assert facts["0001"].receipts == [(date(2026, 5, 5), D(50))]
    assert facts["0002"].receipts == [(date(2026, 5, 1), D(30)), (date(2026, 5, 5), D(40))]


# Returns that name no line ----------------------------------------------------------------------------

TWO_LINES = (LineOrder("0001", date(2026, 5, 10), D(50)), LineOrder("0002", date(2026, 5, 20), D(50)))
RECEIPTS = [mv(1, "101", date(2026, 5, 10), "70"),   # line 1: 50, then line 2: 20 (filled last)
            mv(2, "101", date(2026, 5, 20), "30")]   # line 2: 30


def returned(*returns) -> dict[str, D]:
    facts = by_line(RECEIPTS + list(returns), TWO_LINES)
    return {line: facts[line].returned for line in facts}


def test_a_return_goes_to_the_most_recent_receipt_on_or_before_it():
    assert returned(mv(3, "122", date(2026, 5, 21), "10")) == {"0001": 0, "0002": 10}
    # posted the same day as the second receipt, with a lower document number: on or before it by date
    assert returned(Movement(("4000000001", 2026, 1), "122", date(2026, 5, 20), D(10))) == {"0001": 0, "0002": 10}


def test_within_a_receipt_the_line_filled_last_is_charged_first_up_to_what_it_got():
    """40 returned on 05-15: only the first receipt is on or before it; line 2 got 20 of it, line 1 50."""
    assert returned(mv(3, "122", date(2026, 5, 15), "40")) == {"0001": 20, "0002": 20}


def test_what_the_receipts_cannot_take_goes_to_the_last_line():
    """200 returned on 05-11: the first receipt takes 20 (line 2) and 50 (line 1); the other 130 go to line 2."""
    assert returned(mv(3, "161", date(2026, 5, 11), "200")) == {"0001": 50, "0002": 150}
    assert returned(mv(3, "122", date(2026, 5, 9), "5")) == {"0001": 0, "0002": 5}  # no receipt before it


def test_a_cancelled_receipt_gave_nothing_to_charge():
    """The second receipt is reversed, so a return after it is charged to the first receipt's lines."""
    assert returned(mv(3, "102", date(2026, 5, 20), "30", reverses=2), mv(4, "122", date(2026, 5, 22), "5")) \
        == {"0001": 0, "0002": 5}
    assert returned(mv(3, "102", date(2026, 5, 20), "30", reverses=2), mv(4, "122", date(2026, 5, 22), "25")) \
        == {"0001": 5, "0002": 20}


def test_a_line_charged_any_return_is_not_in_full():
    """Two lines of 50 due 05-10, one receipt of 100 on 05-10 naming none; 1 returned on 05-12 is charged to
    line 2 (filled last): both on time, only line 1 in full."""
    lines = (LineOrder("0001", date(2026, 5, 10), D(50)), LineOrder("0002", date(2026, 5, 10), D(50)))
    facts = by_line([mv(1, "101", date(2026, 5, 10), "100"), mv(2, "122", date(2026, 5, 12), "1")], lines)
    assert (facts["0001"].returned, facts["0002"].returned) == (0, 1)
    figures = deliveries(list(facts.values()), WINDOW)
    assert (figures.otd_pct, figures.otif_pct) == (100, 50)


# As of ------------------------------------------------------------------------------------------------

def history(po_date: date, lines, movements, po: str = "4500000001") -> ItemHistory:
    return ItemHistory("0000100001", po, "00010", po_date, tuple(lines), tuple(movements))


def test_an_order_dated_after_as_of_does_not_exist_yet():
    ordered_late = history(date(2026, 6, 20), one_line(date(2026, 6, 10)), [])
    assert measure([ordered_late], [], [], ["2026-06"], date(2026, 6, 19), WINDOW, 2) == {}
    assert measure([ordered_late], [], [], ["2026-06"], AS_OF, WINDOW, 2)[
        ("0000100001", "2026-06", 1)].kpis.otd_pct == 0


def test_a_line_whose_window_is_still_open_counts_neither_for_nor_against_otd():
    """late_days 3, as of 06-30. Due 06-27 and nothing received: window closed 06-30, not on time. Due 06-29,
    nothing yet: open until 07-02. Due 06-30, received 06-29: already on time. OTD = 1 ÷ 2 = 50."""
    window = DeliveryWindow(early_days=2, late_days=3, qty_tolerance_pct=2, over_tolerance_pct=5)
    items = [history(PO_DATE, [LineOrder("0001", date(2026, 6, due), D(10))],
                     [mv(n, "101", date(2026, 6, 29), "10", "0001")] if due == 30 else [], po=f"450000000{n}")
             for n, due in enumerate((27, 29, 30))]
    measured = measure(items, [], [], ["2026-06"], AS_OF, window, 2)[("0000100001", "2026-06", 1)]
    assert (measured.kpis.otd_pct, measured.kpis.otif_pct, measured.judged_lines) == (50, 50, 2)
    assert (measured.details["lines_due"], measured.details["lines_open"]) == (3, 1)
    later = measure(items, [], [], ["2026-06"], date(2026, 7, 2), window, 2)[("0000100001", "2026-06", 1)]
    assert (later.kpis.otd_pct, later.details["lines_open"]) == (100 / 3, 0)
    shown = explain_lines([facts for item in items for facts in line_facts(
        item.po_id, item.item_id, item.po_date, item.lines, item.movements, AS_OF).lines], window)
    assert [(row["due"].day, row["state"], row["on_time"]) for row in shown] == [
        (27, "not on time", False), (29, "open", None), (30, "on time", True)]


# Medians and percentiles ------------------------------------------------------------------------------

def test_p90_and_median_use_the_nearest_rank():
    assert nearest_rank(list(range(1, 71)), 90) == 63  # rank ⌈0.9 × 70⌉ = 63 (0.9 × 70 in floats is 63.000…01)
    assert nearest_rank([1, 2, 3, 4], 50) == 2 and nearest_rank([7], 90) == 7
    lines = tuple(LineOrder(f"000{n}", date(2026, 3, 10), D(10)) for n in range(1, 5))
    facts = by_line([mv(n, "101", date(2026, 3, 8 + n % 3), "10", f"000{n}") for n in range(1, 5)], lines)
    # lead times 02-01 → 03-09, 03-10, 03-08, 03-09: 36, 37, 35, 36 days; sorted 35, 36, 36, 37
    figures = deliveries(list(facts.values()), WINDOW)
    assert (figures.lead_time_days_median, figures.lead_time_days_p90) == (36, 37)


# Price baseline ---------------------------------------------------------------------------------------

def priced(po: str, item: str, day: date, price: str, material: str = "M") -> OrderedItem:
    return OrderedItem("0000100001", po, item, material, day, D(1), D(price), 1)


def test_baseline_is_the_first_price_in_the_12_months_before_exactly_12_months_included():
    later = priced("4500000020", "00010", date(2026, 5, 10), "12")
    assert baseline_prices([priced("4500000001", "00010", date(2025, 5, 10), "10"), later])[
        ("0000100001", "4500000020", "00010")] == 10
    assert ("0000100001", "4500000020", "00010") not in baseline_prices(
        [priced("4500000001", "00010", date(2025, 5, 9), "10"), later])
    same_day = priced("4500000002", "00010", date(2026, 5, 10), "8")
    assert ("0000100001", "4500000020", "00010") not in baseline_prices([same_day, later])  # not before it


def test_baseline_ties_on_one_day_go_to_the_lowest_po_then_the_lowest_item():
    day, later = date(2025, 12, 1), priced("4500000100", "00010", date(2026, 5, 10), "12")
    first_day = [priced("4500000010", "00020", day, "8"), priced("4500000010", "00010", day, "9"),
                 priced("4500000009", "00030", day, "7")]
    assert baseline_prices([*first_day, later])[("0000100001", "4500000100", "00010")] == 7
    assert baseline_prices([*first_day[:2], later])[("0000100001", "4500000100", "00010")] == 9


# Which months have a card -----------------------------------------------------------------------------

def test_a_month_without_any_activity_has_no_card_and_one_with_activity_has_one():
    """May: a line due and received. June: only an item ordered (a first purchase, unconfirmed): activity,
    though no KPI has a value yet. April: nothing at all."""
    settings = load_settings()
    items = [history(date(2026, 4, 20), one_line(date(2026, 5, 10)), [mv(1, "101", date(2026, 5, 10), "100", "0001")])]
    ordered = [priced("4500000002", "00010", date(2026, 6, 3), "5")]
    measured = measure(items, ordered, [], ["2026-04", "2026-05", "2026-06"], AS_OF, WINDOW, 2)
    cards = {card.period: card for card in build_scorecards(measured, ["2026-04", "2026-05", "2026-06"], AS_OF,
                                                            settings.scoring, {}, {})}
    assert sorted(cards) == ["2026-05", "2026-06"]
    assert cards["2026-06"].score is None and cards["2026-06"].kpis.present() == {}
    assert cards["2026-06"].details["confirmed_within_pct"] == 0
