"""Peer benchmarks: what was last published per group, period and window, so only a change goes out."""
import hashlib
import json
from datetime import date, datetime

from sqlalchemy import Connection, select

from domain.benchmarks import Benchmark
from store.tables import benchmarks
from store.upsert import upsert


def fingerprint(benchmark: Benchmark) -> str:
    content = benchmark.model_dump(mode="json", exclude={"as_of"})
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def save_benchmarks(connection: Connection, found: list[Benchmark], periods: list[str], as_of: date,
                    now: datetime) -> list[Benchmark]:
    """Remember the benchmarks of `periods`; return those to publish: new, changed, or of a group that no
    longer has members in a period and window it had them in (published once, empty)."""
    b = benchmarks.c
    known = {(row.group_id, row.period, row.window_months): row for row in connection.execute(
        select(b.group_id, b.period, b.window_months, b.dimension, b.name, b.size, b.fingerprint)
        .where(b.period.in_(periods)))}
    current = {(benchmark.group, benchmark.period, benchmark.window_months) for benchmark in found}
    gone = [Benchmark(group=row.group_id, dimension=row.dimension, name=row.name, period=row.period,
                      window_months=row.window_months, as_of=as_of, size=0)
            for key, row in sorted(known.items()) if key not in current and row.size > 0]
    changed = [benchmark for benchmark in found + gone
               if (row := known.get((benchmark.group, benchmark.period, benchmark.window_months))) is None
               or row.fingerprint != fingerprint(benchmark)]
    upsert(connection, benchmarks, [
        {"group_id": x.group, "period": x.period, "window_months": x.window_months, "dimension": x.dimension,
         "name": x.name, "size": x.size, "fingerprint": fingerprint(x), "published_at": now} for x in changed],
        ["group_id", "period", "window_months"])
    return changed
