"""What was last published per peer group decides what goes out: a change once, then nothing, and a group
left without members once, empty (SQLite and PostgreSQL)."""
from datetime import date, datetime, timezone

from domain.scorecards import KpiValues, Scorecard
from mapping.benchmarks import peer_benchmarks
from store.benchmarks import save_benchmarks
from tests.support.events import random_suppliers

NOW = datetime(2026, 7, 1, tzinfo=timezone.utc)
AS_OF = date(2026, 6, 30)
SLICES = {("2026-05", 1), ("2026-06", 1)}


def card(supplier: str, score: float, category: str) -> Scorecard:
    return Scorecard(supplier_id=supplier, period="2026-06", as_of=AS_OF, status="final", kpis=KpiValues(otd_pct=score),
                     kpi_scores={}, score=score, grade=None, category=category)


def test_a_benchmark_goes_out_when_its_ranks_change_and_once_empty_when_its_group_is_gone(engine):
    first, second = random_suppliers(2)
    category = f"Category {first}"  # a group of this test's own
    cards = [card(first, 80.0, category), card(second, 70.0, category)]
    with engine.begin() as connection:
        [sent] = [b for b in save_benchmarks(connection, peer_benchmarks(cards), SLICES, AS_OF, NOW)
                  if b.name == category]
        assert sent.percentile_ranks == {first: 75.0, second: 25.0}
        assert [b for b in save_benchmarks(connection, peer_benchmarks(cards), SLICES, AS_OF, NOW)
                if b.name == category] == []
        swapped = [card(first, 60.0, category), card(second, 70.0, category)]
        [moved] = [b for b in save_benchmarks(connection, peer_benchmarks(swapped), SLICES, AS_OF, NOW)
                   if b.name == category]
        assert moved.percentile_ranks == {first: 25.0, second: 75.0}
        [gone] = [b for b in save_benchmarks(connection, [], SLICES, AS_OF, NOW) if b.name == category]
        assert (gone.size, gone.score, gone.percentile_ranks, gone.group) == (0, None, {}, moved.group)
        assert [b for b in save_benchmarks(connection, [], SLICES, AS_OF, NOW) if b.name == category] == []


def test_a_running_month_s_benchmark_goes_out_again_once_the_month_has_ended(engine):
    supplier, = random_suppliers(1)
    category = f"Category {supplier}"
    running = card(supplier, 80.0, category).model_copy(update={"as_of": date(2026, 6, 29),
                                                                 "status": "provisional"})
    with engine.begin() as connection:
        [sent] = [b for b in save_benchmarks(connection, peer_benchmarks([running]), SLICES, AS_OF, NOW)
                  if b.name == category]
        [final] = [b for b in save_benchmarks(connection, peer_benchmarks([card(supplier, 80.0, category)]), SLICES,
                                              AS_OF, NOW) if b.name == category]
    assert (sent.status, final.status, final.percentile_ranks) == ("provisional", "final", sent.percentile_ranks)
