"""The scoring bench measures the engine by supplier batch, as the product runs it: that must be the same
history, and the same result, as the whole list the pandas reference reads."""
from bench.scoring import AS_OF, WINDOW, SyntheticHistory, engine, engine_by_batch
from mapping.scorecards import measure, month_periods

PERIODS = month_periods(AS_OF, 6)


def test_the_supplier_batches_hold_exactly_the_whole_history():
    history = SyntheticHistory(suppliers=7, months=6, lines=400)
    whole = history.whole()
    batched = [item for batch in history.batches(3) for item in batch]
    assert len(batched) == len(whole) == 100
    assert sorted(batched, key=lambda item: item.po_id) == whole
    assert [{item.supplier_id for item in batch} for batch in history.batches(3)] == [
        {f"{100000 + n:010d}" for n in suppliers} for suppliers in ((0, 1, 2), (3, 4, 5), (6,))]


def test_the_engine_over_supplier_batches_gives_what_it_gives_over_the_whole_history():
    history = SyntheticHistory(suppliers=7, months=6, lines=400)
    whole = measure(history.whole(), [], [], PERIODS, AS_OF, WINDOW, 2)
    batched = {}
    for batch in history.batches(3):
        batched.update(measure(batch, [], [], PERIODS, AS_OF, WINDOW, 2))
    assert len(whole) > 7 and batched == whole
    assert engine_by_batch(history, PERIODS, 3).records == engine(history.whole(), PERIODS) == len(whole)
