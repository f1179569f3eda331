"""The whole pipeline at demo scale, in a process of its own: a full run, then a run after 1 % of the
purchase orders changed in SAP (both stand-ins in their own processes, serving dataset files), end to
end and stage by stage (sync, score, publish)."""
import json
import random
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path

from bench.harness import Result
from bench.sap import own_peak_rss_mb, stand_in
from config import load_settings
from mapping.kpis import months_before
from sandbox.generator import generate_salesforce, generate_sap
from scheduler.bootstrap import open_app
from scheduler.jobs import publish_job, score_job, sync_job

AS_OF = date(2026, 6, 30)


STAGES = ("sync", "score", "publish")


def run_pipeline(folder: Path, sap_urls: list[str], salesforce: list[str], full: bool) -> dict[str, tuple[int, float]]:
    """Sync, score and publish; per stage, what it handled (records pulled, supplier-months tallied, events sent)
    and its seconds."""
    settings = load_settings(database={"url": f"sqlite:///{folder / 'bench.db'}"}, broker={"folder": folder / "broker"},
                             sap={"purchase_orders": {"url": sap_urls[0]}, "goods_movements": {"url": sap_urls[1]},
                                  "settle_seconds": 0},
                             salesforce={"login_url": salesforce[0], "verify": salesforce[1], "settle_seconds": 0})
    started = time.perf_counter()
    app = open_app(settings=settings)
    report = sync_job(app, ["sap", "salesforce"], full=full)
    synced = time.perf_counter()
    scored = score_job(app, AS_OF)
    measured = time.perf_counter()
    published = publish_job(app)
    done = time.perf_counter()
    app.engine.dispose()
    return {"sync": (sum(stream.pulled for stream in report.streams), synced - started),
            "score": (scored.tallied, measured - synced), "publish": (published.sent, done - measured)}


def touch_one_percent(dataset: dict, since: date | None = None, seed: int = 1) -> dict:
    """1 % of the purchase orders changed now, drawn from all of them or from those ordered `since`: one
    schedule line's quantity raised by one."""
    changed = json.loads(json.dumps(dataset))
    orders = changed["purchase_orders"]
    pool = [order for order in orders if since is None or order["order_date"] >= since.isoformat()]
    stamp = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
    for order in random.Random(seed).sample(pool, max(1, len(orders) // 100)):
        line = order["items"][0]["schedule_lines"][0]
        line["quantity"] = str(int(float(line["quantity"])) + 1)
        order["changed_at"] = stamp
    return changed


def full_then_incremental(dataset: dict, salesforce: list[str], since: date | None) -> tuple[dict, dict]:
    with tempfile.TemporaryDirectory() as workdir:
        folder = Path(workdir)
        (folder / "sap.json").write_text(json.dumps(dataset))
        with stand_in("sap", "--data", str(folder / "sap.json")) as sap_urls:
            full = run_pipeline(folder, sap_urls, salesforce, full=True)
        (folder / "sap-changed.json").write_text(json.dumps(touch_one_percent(dataset, since)))
        with stand_in("sap", "--data", str(folder / "sap-changed.json")) as sap_urls:
            incremental = run_pipeline(folder, sap_urls, salesforce, full=False)
    return full, incremental


def main(suppliers: int, months: int, runs: int = 3) -> list[Result]:
    """The pipeline `runs` times from scratch, keeping each stage's fastest run (the least disturbed on a
    shared machine); end to end and per stage, the incremental run's seconds ÷ the full run's. Changes
    drawn from every order reach back into the rolling windows and velocities of a whole year; changes
    to the orders of the last two months (`_recent`), the usual case, reach less far."""
    dataset = generate_sap(suppliers, months, seed=1, as_of=AS_OF)
    with tempfile.TemporaryDirectory() as workdir:
        accounts = Path(workdir) / "salesforce.json"
        accounts.write_text(json.dumps(generate_salesforce(suppliers, 1, AS_OF)))
        with stand_in("salesforce", "--data", str(accounts)) as salesforce:
            everywhere = [full_then_incremental(dataset, salesforce, None) for _ in range(runs)]
            recent = [full_then_incremental(dataset, salesforce, months_before(AS_OF, 2)) for _ in range(runs)]
    fulls = [full for full, _ in everywhere + recent]
    peak = own_peak_rss_mb()

    def result(name: str, handled: int, seconds: float, reference: str | None = None,
               ratio: float | None = None) -> Result:
        return Result(name, handled, round(seconds, 3), round(handled / seconds, 1), peak, reference, ratio)

    results = []
    for label, stage in (("end_to_end", None), *((stage, stage) for stage in STAGES)):
        full = fastest(fulls, stage)
        results.append(result(f"{label}_full", *full))
        for suffix, runs_of in (("", everywhere), ("_recent", recent)):
            handled, seconds = fastest([run for _, run in runs_of], stage)
            results.append(result(f"{label}_incremental_1pct{suffix}", handled, seconds, f"{label}_full",
                                  round(seconds / full[1], 4)))
    return results


def fastest(runs: list[dict], stage: str | None) -> tuple[int, float]:
    """(what it handled, seconds) of the fastest run of a stage; end to end (None): records pulled, all stages."""
    figures = [run[stage] if stage else (run["sync"][0], sum(seconds for _, seconds in run.values())) for run in runs]
    return min(figures, key=lambda handled_seconds: handled_seconds[1])


if __name__ == "__main__":
    print(json.dumps([result.__dict__ for result in main(int(sys.argv[1]), int(sys.argv[2]))]))
