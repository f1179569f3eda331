"""Hand-computed cases for the KPIs beyond delivery, the control chart, segments, benchmarks and signals."""
from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given, settings as hypothesis_settings, strategies as st

from config import load_settings
from domain.deliveries import ActionDue, ItemHistory, LineOrder, Movement, OrderedItem
from domain.scorecards import card_status
from domain.suppliers import SupplierProfile
from mapping.benchmarks import percentile_ranks, velocity
from mapping.kpis import (
    DeliveryWindow,
    action_closure_pct,
    baseline_prices,
    confirmation_lag,
    price_variance_pct,
)
from mapping.risks import flagged_months, p_chart, statistical_conditions, threshold_conditions
from mapping.scorecards import build_scorecards, evaluation_period, measure, window_periods
from mapping.segments import segment_suppliers

SETTINGS = load_settings()
AS_OF = date(2026, 6, 30)
WINDOW = DeliveryWindow(early_days=2, late_days=0, qty_tolerance_pct=2, over_tolerance_pct=5)


def ordered(item: str, material: str, day: date, net_price: str, price_unit: int = 1, quantity: str = "50",
            confirmed: date | None = None, supplier: str = "0000100001") -> OrderedItem:
    return OrderedItem(supplier, f"45{item}", "00010", material, day, D(quantity), D(net_price), price_unit, confirmed)


def test_price_variance_uses_unit_prices_and_the_first_price_of_the_last_12_months():
    items = [
        ordered("01", "M", date(2025, 12, 1), "1000", price_unit=100),   # baseline 10.00 per piece
        ordered("02", "M", date(2026, 5, 5), "1100", price_unit=100),    # 11.00: +1.00 × 50
        ordered("03", "N", date(2026, 5, 20), "7"),                      # first purchase: no baseline
        ordered("04", "P", date(2025, 4, 1), "5"),                       # more than 12 months before…
        ordered("05", "P", date(2026, 5, 10), "9"),                      # …so this one has no baseline
        ordered("06", "M", date(2026, 5, 25), "9.5", quantity="100"),    # −0.50 × 100 against 10.00
    ]
    baselines = baseline_prices(items)
    may = [i for i in items if i.order_date >= date(2026, 5, 1)]
    # (1.00 × 50 − 0.50 × 100) ÷ (10 × 50 + 10 × 100) = 0
    assert price_variance_pct(may, baselines) == 0
    assert price_variance_pct(may[:1], baselines) == pytest.approx(10.0)
    assert price_variance_pct([items[2], items[4]], baselines) is None


def test_confirmation_lag_median_and_share_within_the_confirm_days():
    items = [ordered("01", "M", date(2026, 5, 4), "1", confirmed=date(2026, 5, 5)),
             ordered("02", "M", date(2026, 5, 4), "1", confirmed=date(2026, 5, 7)),
             ordered("03", "M", date(2026, 5, 4), "1"),
             ordered("04", "M", date(2026, 5, 4), "1", confirmed=date(2026, 7, 2))]  # after as-of: not yet
    lag = confirmation_lag(items, AS_OF, confirm_days=2)
    # lags 1 and 3: the nearest-rank median is the value at rank ⌈0.5 × 2⌉ = 1, not their mean
    assert (lag.confirmation_lag_days_median, lag.confirmed_within_pct) == (1.0, 25.0)
    assert confirmation_lag([], AS_OF, 2).confirmed_within_pct is None


def test_action_closure_counts_closed_by_due_date_and_leaves_cancelled_out():
    due = date(2026, 5, 31)
    actions = [ActionDue("s", 1, due, date(2026, 5, 30)), ActionDue("s", 2, due, date(2026, 6, 2)),
               ActionDue("s", 3, due, None), ActionDue("s", 4, due, None, cancelled=True),
               ActionDue("s", 5, date(2026, 7, 15), None)]  # due after as-of
    assert action_closure_pct(actions, AS_OF) == pytest.approx(100 / 3)
    assert action_closure_pct(actions[3:], AS_OF) is None


def test_p_chart_limits_match_the_worked_example():
    months = [(f"2025-{m:02d}", 45, 50) for m in range(7, 13)] + [(f"2026-{m:02d}", 45, 50) for m in range(1, 6)]
    months.append(("2026-06", 30, 50))
    centre, points = p_chart(months)
    # p̄ = (11 × 45 + 30) ÷ 600 = 0.875; σ = √(0.875 × 0.125 ÷ 50) = 0.0467707; LCL = 0.875 − 3σ = 0.7346878
    assert centre == pytest.approx(0.875)
    assert points[-1].sigma == pytest.approx(0.0467707, abs=1e-7)
    assert points[-1].lower == pytest.approx(0.7346878, abs=1e-7) and points[-1].upper == 1.0
    [signal] = [c for c in statistical_conditions("s", "2026-06", months) if c.kind == "p_chart"]
    assert (signal.severity, signal.observed, signal.limit) == ("critical", 60.0, pytest.approx(73.4688, abs=1e-4))


def test_run_rules_on_the_low_side():
    months = [(f"2025-{m:02d}", 95, 100) for m in range(7, 11)] + \
             [(p, 85, 100) for p in window_periods("2026-06", 8)]
    # p̄ = (4 × 95 + 8 × 85) ÷ 1200 = 0.88333; σ = 0.032101; 0.85 is −1.04σ: below 1σ, not below 2σ or the LCL
    found = {c.evidence.get("rule") or c.kind for c in statistical_conditions("s", "2026-06", months)}
    assert found == {"8_in_a_row_below_centre", "4_of_5_beyond_1_sigma"}
    assert statistical_conditions("s", "2026-05", months) == []  # the chart must end at the judged month


def test_the_chart_flags_each_month_a_rule_fired_in():
    months = [(f"2025-{m:02d}", 95, 100) for m in range(7, 11)] + \
             [(p, 85, 100) for p in window_periods("2026-06", 8)] + [("2026-07", 70, 100)]
    centre, points = p_chart(months)
    # p̄ = (4 × 95 + 8 × 85 + 70) ÷ 1300 = 0.86923; σ = 0.03372: 0.85 is −0.57σ, 0.70 is −5.02σ (LCL 0.768);
    # the eighth month in a row below the centre is 2026-06, and 2026-07 is the ninth
    assert flagged_months(centre, points) == {"2026-06": ["8_in_a_row_below_centre"],
                                              "2026-07": ["below_lower_limit", "8_in_a_row_below_centre"]}


def test_threshold_breach_is_critical_only_for_kpis_that_weigh_in():
    scales = SETTINGS.scoring.kpis
    weights = {key: scale.weight for key, scale in scales.items()}
    found = {c.kpi: c.severity for c in threshold_conditions("s", "2026-06", {
        "otd_pct": 65.0, "lead_time_days_mean": 70.0, "quality_ppm": 400.0}, scales, weights)}
    assert found == {"otd_pct": "critical", "lead_time_days_mean": "warning"}


def test_segments_spend_class_supply_risk_and_tier_override():
    items = [ordered("01", "X", date(2026, 3, 1), "700", quantity="1", supplier="A"),
             ordered("02", "Y", date(2026, 3, 1), "200", quantity="1", supplier="B"),
             ordered("03", "Y", date(2026, 3, 1), "100", quantity="1", supplier="C")]
    profiles = {"C": SupplierProfile("C", risk_rating="High"), "B": SupplierProfile("B", tier="Strategic")}
    segments = segment_suppliers(items, profiles, SETTINGS.segmentation)
    assert {s: (seg.quadrant, seg.srm_level) for s, seg in segments.items()} == {
        "A": ("strategic", "strategic"),              # 70 % of spend, sole source of X
        "B": ("leverage", "strategic"),               # high spend, low risk — but the Account says strategic
        "C": ("bottleneck", "performance-managed"),   # small spend, CRM risk high: (0 + 1) ÷ 2
    }
    assert segments["A"].spend_share == pytest.approx(0.7) and segments["B"].tier_override


def test_percentile_ranks_and_velocity():
    assert percentile_ranks({"a": 90, "b": 80, "c": 80, "d": 70}, {}) == {"a": 87.5, "b": 50.0, "c": 50.0, "d": 12.5}
    assert percentile_ranks({"a": 90, "b": 10}, {"a": "x", "b": "y"}) == {"a": 50.0, "b": 50.0}
    assert velocity([50, 52, 54, None, 58, 60]) == pytest.approx(2.0)
    assert velocity([None, 70, None]) is None


def test_evaluation_period_waits_for_the_month_to_end():
    assert evaluation_period(date(2026, 6, 30)) == "2026-06"
    assert evaluation_period(date(2026, 6, 29)) == "2026-05"
    assert evaluation_period(date(2026, 1, 15)) == "2025-12"


def test_a_card_is_final_from_its_month_s_last_day_and_a_window_follows_its_last_month():
    assert [card_status(period, as_of) for period, as_of in (
        ("2026-06", date(2026, 6, 29)), ("2026-06", date(2026, 6, 30)), ("2026-02", date(2026, 2, 28)),
        ("2024-02", date(2024, 2, 28)), ("2024-02", date(2024, 2, 29)), ("2026-05", date(2026, 6, 1)),
    )] == ["provisional", "final", "final", "provisional", "final", "final"]
    item = ItemHistory("0000100001", "4501", "00010", date(2026, 4, 1), (LineOrder("0001", date(2026, 5, 4), D("10")),
                       LineOrder("0002", date(2026, 6, 2), D("10"))),
                       (Movement(("5001", 2026, 1), "101", date(2026, 5, 4), D("20"), None),))
    for as_of, june in ((date(2026, 6, 15), "provisional"), (date(2026, 6, 30), "final")):
        measured = measure([item], [], [], ["2026-05", "2026-06"], as_of, WINDOW, 2, windows=(1, 3))
        cards = build_scorecards(measured, ["2026-05", "2026-06"], as_of, SETTINGS.scoring, {}, {})
        assert {(c.period, c.window_months): c.status for c in cards} == {
            ("2026-05", 1): "final", ("2026-05", 3): "final", ("2026-06", 1): june, ("2026-06", 3): june}


def test_rolling_window_pools_the_lines_instead_of_averaging_months():
    def item(po: str, due: date, received: date | None) -> ItemHistory:
        moves = () if received is None else (Movement((f"50{po}", 2026, 1), "101", received, D("10"), "0001"),)
        return ItemHistory("0000100001", po, "00010", date(2026, 1, 2), (LineOrder("0001", due, D("10")),), moves)

    items = [item("01", date(2026, 4, 10), date(2026, 4, 10))] + \
            [item(f"1{n}", date(2026, 6, 10), None) for n in range(3)]  # April 1/1 on time, June 0/3
    measured = measure(items, [], [], ["2026-06"], AS_OF, WINDOW, 2, windows=(1, 3))
    assert measured[("0000100001", "2026-06", 1)].kpis.otd_pct == 0
    assert measured[("0000100001", "2026-06", 3)].kpis.otd_pct == 25  # 1 of 4 lines, not (100 + 0) ÷ 2
    cards = build_scorecards(measured, ["2026-06"], AS_OF, SETTINGS.scoring, {}, {})
    assert sorted(c.window_months for c in cards) == [1, 3]


def test_segment_weights_change_the_score():
    scoring = SETTINGS.scoring.model_copy(update={"segment_weights": {"strategic": {"otd_pct": 0, "otif_pct": 0, "quality_ppm": 100}}})
    items = [ItemHistory("S", "4501", "00010", date(2026, 5, 1), (LineOrder("0001", date(2026, 6, 10), D("10")),),
                         (Movement(("5001", 2026, 1), "101", date(2026, 6, 20), D("10"), "0001"),))]
    measured = measure(items, [], [], ["2026-06"], AS_OF, WINDOW, 2)
    segments = segment_suppliers([ordered("01", "X", date(2026, 5, 1), "1", supplier="S")], {}, SETTINGS.segmentation)
    [plain] = build_scorecards(measured, ["2026-06"], AS_OF, SETTINGS.scoring, segments, {})
    [weighted] = build_scorecards(measured, ["2026-06"], AS_OF, scoring, segments, {})
    assert plain.srm_level == "strategic" and plain.score < 100  # late: OTD 0 weighs in
    assert weighted.score == 100 and weighted.grade == "A"      # OTD and OTIF weigh nothing for strategic suppliers


quantity = st.integers(min_value=1, max_value=500).map(D)
day = st.dates(min_value=date(2026, 3, 1), max_value=date(2026, 7, 31))


@st.composite
def histories(draw) -> list[ItemHistory]:
    items = []
    for n in range(draw(st.integers(1, 6))):
        lines = tuple(LineOrder(f"000{k}", draw(day), draw(quantity)) for k in range(1, draw(st.integers(1, 3)) + 1))
        moves = []
        for m in range(draw(st.integers(0, 6))):
            kind = draw(st.sampled_from(["101", "101", "102", "122", "161"]))
            target = draw(st.sampled_from([None, *[line.line_id for line in lines]]))
            moves.append(Movement((f"50{n}{m}", 2026, 1), kind, draw(day), draw(quantity), target))
        items.append(ItemHistory("0000100001", f"45{n}", "00010", date(2026, 2, 1), lines, tuple(moves)))
    return items


@hypothesis_settings(max_examples=150, deadline=None)
@given(histories())
def test_kpis_stay_within_their_ranges(items):
    for (_, _, _), values in measure(items, [], [], ["2026-04", "2026-05", "2026-06"], AS_OF, WINDOW, 2,
                                     windows=(1, 3)).items():
        k = values.kpis
        for pct in (k.otd_pct, k.otif_pct, k.fill_rate_pct):
            assert pct is None or 0 <= pct <= 100
        assert k.otif_pct is None or k.otif_pct <= k.otd_pct
        assert k.quality_ppm is None or k.quality_ppm >= 0
        assert (k.otd_pct is None) == (values.judged_lines == 0) == (k.fill_rate_pct is None)
