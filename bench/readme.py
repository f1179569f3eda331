"""`python -m bench.readme`: the README's "Performance" table, generated from bench/results.json, with the
machine the figures were measured on and the day they were written."""
import json
import os
import platform
import re
import sys
from datetime import datetime, timezone
from pathlib import Path

from bench.harness import RESULTS

README = Path(__file__).parent.parent / "README.md"
BEGIN, END = "<!-- performance table: python -m bench.readme -->", "<!-- end of performance table -->"


def machine() -> str:
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        model = next(line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name"))
    except (OSError, StopIteration):
        model = platform.processor() or platform.machine()
    try:
        memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024 ** 3
    except (ValueError, OSError, AttributeError):
        memory_gb = 0
    return f"{os.cpu_count()} cores ({model}), {memory_gb:.0f} GB, Python {platform.python_version()}, {platform.system()}"


def table(rows: list[dict], measured: datetime) -> str:
    lines = [f"Measured on {measured:%Y-%m-%d} on {machine()}; `make bench` writes every figure to",
             "`bench/results.json`. `ratio` divides what `ratio of` says by the same of the reference (`better`: "
             "which way is good); `peak RSS` is that row's own process, or, on an enterprise `_sync`, `_score` or "
             "`_publish` row, that phase's within its stage's process; `CPU s` the CPU seconds of the service "
             "process and of the whole machine (all cores) meanwhile.", "",
             "| stage | records | seconds | records/s | peak RSS MB | CPU s (service / machine) | ratio | ratio of, better "
             "| reference | target |",
             "|---|---:|---:|---:|---:|---:|---:|---|---|---|"]
    for row in rows:
        rss = "" if row.get("peak_rss_mb") is None else f"{row['peak_rss_mb']:.0f}"
        cpu = "" if row.get("cpu_s") is None else f"{row['cpu_s']:.0f} / {row['machine_cpu_s']:.0f}"
        ratio = "" if row.get("ratio") is None else f"{row['ratio']:.3f}"
        of = f"{row['ratio_of']}, {row['better']}" if row.get("ratio_of") else ""
        calls = f" ({row['calls']} HTTP calls)" if row.get("calls") is not None else ""
        lines.append(f"| `{row['name']}`{calls} | {row['records']:,} | {row['seconds']:.2f} | "
                     f"{row['records_per_s']:,.0f} | {rss} | {cpu} | {ratio} | {of} | {row.get('reference') or ''} | "
                     f"{row.get('target') or ''} |")
    return "\n".join(lines)


def main(results: Path = RESULTS, readme: Path = README) -> None:
    if not results.exists():
        sys.exit(f"{results} does not exist: run make bench first")
    rows = json.loads(results.read_text())
    measured = datetime.fromtimestamp(results.stat().st_mtime, timezone.utc)
    text = readme.read_text()
    if BEGIN not in text or END not in text:
        sys.exit(f"{readme} has no {BEGIN} … {END} section to fill")
    block = f"{BEGIN}\n{table(rows, measured)}\n{END}"
    readme.write_text(re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: block, text, flags=re.S))
    print(f"{readme}: performance table from {results} ({len(rows)} rows)")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else RESULTS)
