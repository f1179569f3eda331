"""Timing, peak memory and the results file.

Every row that reports memory ran alone in a process of its own (`alone`), reference rows too, so
its `peak_rss_mb` is that process's high-water mark and no other row's. A row with a `ratio` says
what it divides (`ratio_of`: time, throughput or peak_rss) and which way is better (`better`); counts that are
not records go in fields of their own (`calls`).
"""
import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from importlib import import_module
from pathlib import Path
from typing import Callable

RESULTS = Path(__file__).with_name("results.json")


class StageFailed(Exception):
    """A stage could not be measured (its service unreachable, its process failed): `make bench` fails."""


@dataclass
class Result:
    name: str
    records: int
    seconds: float
    records_per_s: float
    peak_rss_mb: float | None = None
    reference: str | None = None
    ratio: float | None = None
    ratio_of: str | None = None
    better: str | None = None
    calls: int | None = None
    target: str | None = None
    cpu_s: float | None = None  # CPU time (user + system) of the row's own process
    machine_cpu_s: float | None = None  # CPU time of every process on the machine meanwhile (all cores)


def own_peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM): ru_maxrss of a child would carry its forking parent's peak."""
    try:
        status = Path("/proc/self/status").read_text()
        return round(int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1]) / 1024, 1)
    except (OSError, StopIteration):
        return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def reset_peak_rss() -> None:
    """Start a new high-water mark (Linux `clear_refs`), so the next figure is one stage's, not the process's."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def machine_cpu_s() -> float:
    """CPU seconds every process on the machine has spent since boot (all cores, from /proc/stat): the
    difference over a stage, against the stage's seconds × the cores, says how busy the machine was."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(value) for value in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def timed(name: str, records: int, seconds: float) -> Result:
    return Result(name, records, round(seconds, 3), round(records / seconds, 1) if seconds else 0.0)


def measure(name: str, action: Callable[[], int]) -> Result:
    started = time.perf_counter()
    records = action()
    return timed(name, records, time.perf_counter() - started)


def alone(name: str, target: str, *args: object) -> Result:
    """`module:function(*args)` in a fresh process; the row carries that process's peak RSS. A function
    that returns a count is timed whole; one that returns a `Result` timed itself (its setup excluded)."""
    return alone_rows(name, target, *args)[0]


def alone_rows(name: str, target: str, *args: object) -> list[Result]:
    """As `alone`, for a function that returns rows: the first is the process's whole work and carries its
    peak RSS; the others are parts of that work (stages) and carry none."""
    done = subprocess.run([sys.executable, "-m", "bench.harness", name, target, json.dumps(args)],
                          capture_output=True, text=True)
    if done.returncode:
        raise StageFailed(f"{name}: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else 'failed'}")
    return [Result(**row) for row in json.loads(done.stdout.strip().splitlines()[-1])]


def _run_here(name: str, target: str, args: list) -> list[Result]:
    module, function = target.split(":")
    action = getattr(import_module(module), function)
    started = time.perf_counter()
    outcome = action(*args)
    rows = outcome if isinstance(outcome, list) else \
        [outcome if isinstance(outcome, Result) else timed(name, outcome, time.perf_counter() - started)]
    rows[0].name, rows[0].peak_rss_mb = name, own_peak_rss_mb()
    return rows


def interleaved(runs: int, *stages: Callable[[], Result]) -> list[Result]:
    """Each stage `runs` times, taking turns, keeping each one's fastest run: on a shared, noisy machine
    the fastest run is the one least disturbed by others."""
    best: dict[int, Result] = {}
    for _ in range(runs):
        for number, stage in enumerate(stages):
            result = stage()
            if number not in best or result.seconds < best[number].seconds:
                best[number] = result
    return [best[number] for number in range(len(stages))]


def with_ratio(result: Result, reference: Result, of: str = "throughput") -> Result:
    """`of="throughput"`: records/s ÷ the reference's (higher is better); `of="time"`: seconds ÷ the
    reference's seconds (lower is better)."""
    result.reference, result.ratio_of = reference.name, of
    if of == "throughput":
        result.better = "higher"
        result.ratio = round(result.records_per_s / reference.records_per_s, 3) if reference.records_per_s else None
    else:
        result.better = "lower"
        result.ratio = round(result.seconds / reference.seconds, 4) if reference.seconds else None
    return result


def report(results: list[Result], path: Path = RESULTS) -> None:
    print(f"{'stage':38} {'records':>9} {'seconds':>8} {'rec/s':>10} {'rss MB':>7} {'ratio':>7}  reference")
    for r in results:
        rss = "" if r.peak_rss_mb is None else f"{r.peak_rss_mb:.0f}"
        ratio = "" if r.ratio is None else f"{r.ratio:.3f}"
        of = f" ({r.ratio_of}, {r.better} is better)" if r.ratio_of else ""
        calls = f"  {r.calls} HTTP calls" if r.calls is not None else ""
        print(f"{r.name:38} {r.records:9} {r.seconds:8.2f} {r.records_per_s:10.0f} {rss:>7} {ratio:>7}  "
              f"{r.reference or ''}{of}{calls}")
    path.write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n")
    print(f"\nwritten to {path}")


if __name__ == "__main__":  # the functions' `Result` is bench.harness's, not this __main__'s
    run_here = import_module("bench.harness")._run_here
    print(json.dumps([asdict(row) for row in run_here(sys.argv[1], sys.argv[2], json.loads(sys.argv[3]))]))
