"""Peer benchmarks, hand-computed: group membership, nearest-rank spreads, percentile ranks and group ids."""
import re
from datetime import date

from domain.benchmarks import GROUP_ID_PATTERN, Distribution, group_id
from domain.scorecards import KpiValues, Scorecard
from mapping.benchmarks import peer_benchmarks

AS_OF = date(2026, 6, 30)


def card(supplier: str, score: float | None, otd: float | None, category: str | None, level: str | None,
         period: str = "2026-06", window_months: int = 1) -> Scorecard:
    return Scorecard(supplier_id=supplier, period=period, window_months=window_months, as_of=AS_OF, status="final",
                     kpis=KpiValues(otd_pct=otd), kpi_scores={}, score=score, grade=None, category=category,
                     srm_level=level)


def test_a_group_spreads_its_scores_and_kpis_by_nearest_rank_and_ranks_its_scored_members():
    cards = [card("A", 90.0, 95.0, "Metals", "strategic"), card("B", 80.0, None, "Metals", "strategic"),
             card("C", None, 50.0, "Metals", None), card("D", 70.0, 80.0, "Metals", None),
             card("E", 60.0, 70.0, None, "basic"), card("A", 40.0, 40.0, "Metals", "strategic", window_months=3)]
    found = {(b.group, b.window_months): b for b in peer_benchmarks(cards)}
    assert sorted(found) == [("category:Metals", 1), ("category:Metals", 3), ("srm_level:basic", 1),
                             ("srm_level:strategic", 1), ("srm_level:strategic", 3)]
    metals = found[("category:Metals", 1)]
    assert (metals.dimension, metals.name, metals.period, metals.size) == ("category", "Metals", "2026-06", 4)
    # scores 70, 80, 90: ranks ⌈0.3⌉=1, ⌈0.75⌉=1, ⌈1.5⌉=2, ⌈2.25⌉=3, ⌈2.7⌉=3
    assert metals.score == Distribution(count=3, p10=70.0, p25=70.0, median=80.0, p75=90.0, p90=90.0)
    assert metals.kpis.otd_pct == Distribution(count=3, p10=50.0, p25=50.0, median=80.0, p75=95.0, p90=95.0)
    assert metals.kpis.quality_ppm is None
    # 100 × (below + ½ × level, itself included) ÷ 3 scored members; C has no score, so no rank
    assert metals.percentile_ranks == {"A": 83.3333, "B": 50.0, "D": 16.6667}
    assert found[("srm_level:strategic", 1)].percentile_ranks == {"A": 75.0, "B": 25.0}
    assert found[("srm_level:basic", 1)].percentile_ranks == {"E": 50.0}
    assert found[("category:Metals", 3)].percentile_ranks == {"A": 50.0}


def test_level_scores_share_their_rank_and_a_group_without_scores_has_no_spread():
    found = {b.group: b for b in peer_benchmarks([card("A", 80.0, None, "X", None), card("B", 80.0, None, "X", None),
                                                  card("C", None, None, "Y", None)])}
    assert found["category:X"].percentile_ranks == {"A": 50.0, "B": 50.0}
    assert (found["category:Y"].size, found["category:Y"].score, found["category:Y"].percentile_ranks) == (1, None, {})


def test_group_ids_are_one_routing_key_word_and_tell_names_apart():
    assert group_id("category", "Raw Materials") == "category:Raw%20Materials"
    assert group_id("category", "a.b*#/c") == "category:a%2Eb%2A%23%2Fc"
    assert group_id("srm_level", "performance-managed") == "srm_level:performance-managed"
    long_a, long_b = "Ü" * 60 + "a", "Ü" * 60 + "b"
    ids = {group_id("category", long_a), group_id("category", long_b)}
    assert len(ids) == 2
    for found in ids:
        assert re.fullmatch(GROUP_ID_PATTERN, found) and len(found) <= 96 and "." not in found
        assert re.fullmatch(r"category:(%[0-9A-F]{2})+~[0-9a-f]{16}", found)  # no half escape before the hash


def test_a_benchmark_is_final_once_its_month_has_ended():
    running = card("A", 80.0, None, "X", None).model_copy(update={"as_of": date(2026, 6, 29), "status": "provisional"})
    assert [b.status for b in peer_benchmarks([running])] == ["provisional"]
    assert [b.status for b in peer_benchmarks([card("A", 80.0, None, "X", None)])] == ["final"]
