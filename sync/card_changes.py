"""The cards a scoring run changed, as its report lists them: by period, window and supplier.

A full run changes every card (thousands of suppliers × periods × windows), and a list of one tuple per
card grows by kilobytes per supplier across the run's batches; here a card is four numbers in arrays
kept per period and window, and read back as `CardChange`s.
"""
import math
from array import array
from typing import Iterable, Iterator

from sync.batches import CardChange

NONE = -1  # the number of a missing grade


class CardChanges:
    """Changed cards, added a batch at a time in any order, iterated in the report's order."""

    def __init__(self, changes: Iterable[CardChange] = ()) -> None:
        self._names: dict[str, int] = {}  # supplier id, status or grade → its number
        self._slices: dict[tuple[str, int], tuple[array, array, array, array]] = {}  # supplier, status, grade, score
        self._count = 0
        self.extend(changes)

    def extend(self, changes: Iterable[CardChange]) -> None:
        for change in changes:
            suppliers, statuses, grades, scores = self._slices.setdefault(
                (change.period, change.window_months), (array("i"), array("i"), array("i"), array("d")))
            suppliers.append(self._number(change.supplier_id))
            statuses.append(self._number(change.status))
            grades.append(NONE if change.grade is None else self._number(change.grade))
            scores.append(math.nan if change.score is None else change.score)
            self._count += 1

    def _number(self, name: str) -> int:
        return self._names.setdefault(name, len(self._names))

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[CardChange]:
        names = list(self._names)
        for (period, window_months), (suppliers, statuses, grades, scores) in sorted(self._slices.items()):
            for row in sorted(range(len(suppliers)), key=lambda row: names[suppliers[row]]):
                yield CardChange(names[suppliers[row]], period, window_months, names[statuses[row]],
                                 None if math.isnan(scores[row]) else scores[row],
                                 None if grades[row] == NONE else names[grades[row]])

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (CardChanges, list, tuple)):
            return list(self) == list(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"CardChanges({list(self)!r})"
