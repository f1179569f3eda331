"""A run's changed cards kept as numbers read back as the sorted list of tuples they replace."""
import random

from sync.batches import CardChange
from sync.card_changes import CardChanges


def changes(seed: int) -> list[CardChange]:
    draw = random.Random(seed)
    suppliers = [f"{100000 + n:010d}" for n in draw.sample(range(500), 40)]
    periods = [f"2026-{month:02d}" for month in range(1, 7)]
    return [CardChange(supplier, period, window, draw.choice(["final", "provisional"]),
                       draw.choice([None, 0.0, 100.0, draw.uniform(0, 100)]), draw.choice([None, "A", "B", "C", "D"]))
            for supplier in suppliers for period in periods for window in (1, 3, 12) if draw.random() < 0.8]


def test_changes_added_a_batch_at_a_time_in_any_order_read_back_as_the_sorted_list():
    for seed in range(5):
        found = changes(seed)
        random.Random(seed).shuffle(found)
        kept = CardChanges()
        for start in range(0, len(found), 37):
            kept.extend(found[start:start + 37])
        listed = sorted(found, key=lambda card: (card.period, card.window_months, card.supplier_id))
        assert list(kept) == listed and len(kept) == len(listed) and kept == listed and kept == CardChanges(listed)
        assert [card.score for card in kept] == [card.score for card in listed]  # None stays None, 0.0 stays 0.0


def test_no_changes_equal_an_empty_list_and_are_false():
    assert CardChanges() == [] and not CardChanges() and len(CardChanges()) == 0
    assert CardChanges(changes(1)) != [] and CardChanges(changes(1)) != CardChanges(changes(2))
