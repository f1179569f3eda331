"""Peer benchmarks of a scoring run whose cards are built a batch of suppliers at a time.

Benchmarks need every member's score and KPI values per group, period and window, but not the cards:
those are kept here as floats in arrays (a few MB at thousands of suppliers, where the cards would
take hundreds), and the benchmarks are then taken, stored and enqueued one group at a time, in the
order a run over all cards at once would publish them. Suppliers an incremental run did not score
again count in their groups' sizes, and their numbers come from their stored cards in the slices
taken again.
"""
import math
from array import array
from collections import Counter, defaultdict
from datetime import date, datetime
from typing import Iterable, Iterator

from sqlalchemy import Connection

from config import KPI_KEYS
from config.settings import BrokerSettings
from domain.benchmarks import Benchmark
from domain.scorecards import Scorecard
from mapping.benchmarks import KPI_VALUES, GroupKey, Peer, group_benchmark, memberships
from store.benchmarks import SAVED_AT_ONCE, Slice, benchmark_changes, published_sizes
from store.scorecards import stored_numbers
from sync.envelope import enqueue_many

NO_VALUE = math.nan  # a KPI without a value, or a card without a score: real values are never NaN
ROW = 2 + len(KPI_KEYS)  # floats per card: supplier index, score, KPI values


class PeerTable:
    """Each card's supplier, score and KPI values, one row of floats per card and slice (period, window).

    A supplier an incremental run leaves alone is *kept*: its groups and the slices it has cards in are
    known, its numbers are read from its stored cards only for the slices whose benchmarks are taken again."""

    def __init__(self) -> None:
        self._index: dict[str, int] = {}  # supplier → its number in the rows
        self.rows: dict[Slice, array] = {}  # slice → rows of [supplier index, score, *KPI values]
        self.members: dict[GroupKey, array] = defaultdict(lambda: array("l"))  # group → its cards' row numbers
        self.changed: set[Slice] = set()  # slices where a card changed
        self.kept: dict[str, tuple[list[tuple[str, str]], set[Slice]]] = {}  # supplier → its groups, its slices

    def add(self, cards: list[Scorecard], changed: list[Scorecard]) -> None:
        self.changed |= {(card.period, card.window_months) for card in changed}
        for card in cards:
            keys = memberships(card)
            if keys:
                self._add(card.supplier_id, (card.period, card.window_months), card.score, KPI_VALUES(card.kpis),
                          keys)

    def keep(self, supplier: str, groups: list[tuple[str, str]], slices: list[Slice]) -> None:
        """A supplier whose cards stand as stored: its groups (dimension, name) and the slices it has cards in."""
        if groups and slices:
            self.kept[supplier] = (groups, set(slices))

    def add_stored(self, cards: Iterable[tuple[str, str, int, float | None, dict]]) -> None:
        """The numbers of kept suppliers' stored cards (supplier, period, window, score, KPI values) in slices
        where they have a card now; others are passed over."""
        for supplier, period, months, score, kpis in cards:
            groups, slices = self.kept.get(supplier, ((), ()))
            if (period, months) in slices:
                self._add(supplier, (period, months), score, [kpis.get(key) for key in KPI_KEYS],
                          [(dimension, name, period, months) for dimension, name in groups])

    def _add(self, supplier: str, at: Slice, score: float | None, kpis: Iterable[float | None],
             keys: list[GroupKey]) -> None:
        rows = self.rows.setdefault(at, array("d"))
        number = len(rows) // ROW
        rows.append(self._index.setdefault(supplier, len(self._index)))
        rows.append(NO_VALUE if score is None else score)
        rows.extend(NO_VALUE if value is None else value for value in kpis)
        for key in keys:
            self.members[key].append(number)

    def sizes(self) -> Counter:
        """(dimension, name, period, window months) → the group's members, kept suppliers' included (before
        their numbers are read)."""
        sizes = Counter({key: len(numbers) for key, numbers in self.members.items()})
        sizes.update((dimension, name, period, months) for groups, slices in self.kept.values()
                     for period, months in slices for dimension, name in groups)
        return sizes

    def peers(self, key: GroupKey) -> list[Peer]:
        rows, suppliers = self.rows[key[2:]], list(self._index)
        return [Peer(suppliers[int(rows[start])], _value(rows[start + 1]),
                     tuple(map(_value, rows[start + 2:start + ROW])))
                for start in (number * ROW for number in self.members[key])]


def _value(stored: float) -> float | None:
    return None if math.isnan(stored) else stored


def publish_benchmarks(connection: Connection, broker: BrokerSettings, table: PeerTable, periods: list[str],
                       as_of: date, now: datetime) -> int:
    """Benchmarks are taken again only over the slices (period, window) where a card changed or a group's
    size is not the size last published (a card gone, or nothing published yet): elsewhere nothing moved.
    Each one that changed is stored and enqueued; returns how many."""
    current, published = table.sizes(), published_sizes(connection, periods)
    resized = [key for key in current.keys() | published.keys() if current.get(key, 0) != published.get(key, 0)]
    slices = table.changed | {(period, months) for _, _, period, months in resized}
    if table.kept and slices:
        table.add_stored(stored_numbers(connection, slices))
    sent, waiting = 0, []
    for benchmark in benchmark_changes(connection, _found(table, slices, as_of), slices, as_of, now):
        waiting.append(("benchmark.published.v1", benchmark.group, benchmark))
        if len(waiting) == SAVED_AT_ONCE:
            enqueue_many(connection, broker, waiting, now)
            sent, waiting = sent + len(waiting), []
    enqueue_many(connection, broker, waiting, now)
    return sent + len(waiting)


def _found(table: PeerTable, slices: set[Slice], as_of: date) -> Iterator[Benchmark]:
    for key in sorted(key for key in table.members if key[2:] in slices):
        yield group_benchmark(key, as_of, table.peers(key))
