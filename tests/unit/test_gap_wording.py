"""A plan's gap in words: short of a target above, over a target below, already met, closed."""
from domain.actions import closed_statement, gap_statement


def test_the_gap_reads_the_right_way_round_for_each_direction():
    assert gap_statement("otd_pct", 82, 90, True) == "otd_pct 82.00 against a target of 90 (8.00 short)"
    assert gap_statement("otd_pct", 100, 99, True) == "otd_pct 100.00 already meets the target of 99 (1.00 above it)"
    assert gap_statement("quality_ppm", 6200, 5000, False) == \
        "quality_ppm 6200.00 against a target of 5000 (1200.00 over)"
    assert gap_statement("quality_ppm", 300, 500, False) == \
        "quality_ppm 300.00 already meets the target of 500 (200.00 below it)"
    assert gap_statement("otd_pct", 90, 90, True) == "otd_pct 90.00 already meets the target of 90"
    assert gap_statement("otd_pct", None, 90, True) == "otd_pct: no measured value yet; target 90"


def test_a_closed_plan_shows_no_shortfall():
    assert closed_statement("otd_pct", 70, ["2026-05", "2026-06"]) == \
        "closed: otd_pct met the target of 70 in 2026-05, 2026-06"
