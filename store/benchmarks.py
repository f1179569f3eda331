"""Peer benchmarks: what was last published per group, period and window, so only a change goes out."""
import hashlib
import json
from datetime import date, datetime
from typing import Iterable, Iterator

from sqlalchemy import Connection, select

from domain.benchmarks import Benchmark
from domain.scorecards import card_status
from store.tables import benchmarks
from store.upsert import upsert


def fingerprint(benchmark: Benchmark) -> str:
    content = benchmark.model_dump(mode="json", exclude={"as_of"})
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


Slice = tuple[str, int]  # a period and a window length: the cards one set of benchmarks is taken over
GroupKey = tuple[str, str, str, int]  # dimension, name, period, window months
SAVED_AT_ONCE = 100  # benchmarks stored, and enqueued, in one statement


def published_sizes(connection: Connection, periods: list[str]) -> dict[GroupKey, int]:
    """The size of each group's benchmark last published in `periods`."""
    b = benchmarks.c
    return {(row.dimension, row.name, row.period, row.window_months): row.size for row in connection.execute(
        select(b.dimension, b.name, b.period, b.window_months, b.size).where(b.period.in_(periods)))}


def save_benchmarks(connection: Connection, found: list[Benchmark], slices: set[Slice], as_of: date,
                    now: datetime) -> list[Benchmark]:
    """Remember the benchmarks found over `slices`; return those to publish: new, changed, or of a group
    that no longer has members in a slice it had them in (published once, empty)."""
    return list(benchmark_changes(connection, found, slices, as_of, now))


def benchmark_changes(connection: Connection, found: Iterable[Benchmark], slices: set[Slice], as_of: date,
                      now: datetime) -> Iterator[Benchmark]:
    """`save_benchmarks` as a stream: each one to publish is handed out as it is found and stored with the
    next ones, SAVED_AT_ONCE in a statement (the last once the stream ends), so neither the benchmarks found
    nor those changed need to be held together."""
    waiting: list[Benchmark] = []
    for benchmark in _changes(connection, found, slices, as_of):
        yield benchmark
        waiting.append(benchmark)
        if len(waiting) == SAVED_AT_ONCE:
            _save(connection, waiting, now)
            waiting = []
    _save(connection, waiting, now)


def _changes(connection: Connection, found: Iterable[Benchmark], slices: set[Slice],
             as_of: date) -> Iterator[Benchmark]:
    b = benchmarks.c
    known = {(row.group_id, row.period, row.window_months): row for row in connection.execute(
        select(b.group_id, b.period, b.window_months, b.dimension, b.name, b.size, b.fingerprint)
        .where(b.period.in_({period for period, _ in slices}))) if (row.period, row.window_months) in slices}
    current = set()
    for benchmark in found:
        current.add((benchmark.group, benchmark.period, benchmark.window_months))
        if _changed(benchmark, known):
            yield benchmark
    for key, row in sorted(known.items()):
        if key not in current and row.size > 0:
            gone = Benchmark(group=row.group_id, dimension=row.dimension, name=row.name, period=row.period,
                             window_months=row.window_months, as_of=as_of, status=card_status(row.period, as_of),
                             size=0)
            if _changed(gone, known):
                yield gone


def _changed(benchmark: Benchmark, known: dict) -> bool:
    row = known.get((benchmark.group, benchmark.period, benchmark.window_months))
    return row is None or row.fingerprint != fingerprint(benchmark)


def _save(connection: Connection, found: list[Benchmark], now: datetime) -> None:
    upsert(connection, benchmarks, [
        {"group_id": x.group, "period": x.period, "window_months": x.window_months, "dimension": x.dimension,
         "name": x.name, "size": x.size, "fingerprint": fingerprint(x), "published_at": now} for x in found],
        ["group_id", "period", "window_months"])
