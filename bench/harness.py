"""Timing, peak memory and the results file; every stage is compared with a reference run in the same process."""
import json
import resource
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

RESULTS = Path(__file__).with_name("results.json")


@dataclass
class Result:
    name: str
    records: int
    seconds: float
    records_per_s: float
    peak_rss_mb: float
    reference: str | None = None
    ratio: float | None = None


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(name: str, action: Callable[[], int], reference: str | None = None) -> Result:
    started = time.perf_counter()
    records = action()
    seconds = time.perf_counter() - started
    return Result(name, records, round(seconds, 3), round(records / seconds, 1) if seconds else 0.0,
                  round(peak_rss_mb(), 1), reference)


def interleaved(runs: int, *stages: tuple[str, Callable[[], int]]) -> list[Result]:
    """Each stage `runs` times, taking turns, keeping each one's fastest run: on a shared, noisy machine
    the fastest run is the one least disturbed by others."""
    best: dict[str, Result] = {}
    for _ in range(runs):
        for name, action in stages:
            result = measure(name, action)
            if name not in best or result.seconds < best[name].seconds:
                best[name] = result
    return [best[name] for name, _ in stages]


def with_ratio(result: Result, reference: Result) -> Result:
    """ratio = this stage's throughput ÷ the reference's throughput."""
    result.reference = reference.name
    result.ratio = round(result.records_per_s / reference.records_per_s, 3) if reference.records_per_s else None
    return result


def report(results: list[Result]) -> None:
    print(f"{'stage':36} {'records':>9} {'seconds':>8} {'rec/s':>10} {'rss MB':>7} {'ratio':>6}  reference")
    for r in results:
        ratio = "" if r.ratio is None else f"{r.ratio:.2f}"
        print(f"{r.name:36} {r.records:9} {r.seconds:8.2f} {r.records_per_s:10.0f} {r.peak_rss_mb:7.0f} {ratio:>6}  {r.reference or ''}")
    RESULTS.write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n")
    print(f"\nwritten to {RESULTS}")
