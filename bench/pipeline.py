"""The whole pipeline at demo scale: a full run, then a run after 1 % of the purchase orders changed in
SAP (both stand-ins in their own processes, serving dataset files), each run in a process of its own;
end to end (with that process's peak RSS) and stage by stage (sync, score, publish)."""
import json
import random
import tempfile
import time
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Iterator

from bench.harness import Result, alone_rows, timed, with_ratio
from bench.sap import stand_in
from config import load_settings
from mapping.kpis import months_before
from sandbox.generator import generate_salesforce, generate_sap
from scheduler.bootstrap import open_app
from scheduler.jobs import publish_job, score_job, sync_job

AS_OF = date(2026, 6, 30)


STAGES = ("sync", "score", "publish")


def run_pipeline(folder: str, sap_urls: list[str], salesforce: list[str], full: bool, suffix: str) -> list[Result]:
    """Sync, score and publish: end to end (records pulled), then per stage what it handled (records pulled,
    supplier-months tallied, events sent)."""
    settings = load_settings(database={"url": f"sqlite:///{Path(folder) / 'bench.db'}"},
                             broker={"folder": Path(folder) / "broker"},
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
    pulled = sum(stream.pulled for stream in report.streams)
    return [timed(f"end_to_end{suffix}", pulled, done - started), timed(f"sync{suffix}", pulled, synced - started),
            timed(f"score{suffix}", scored.tallied, measured - synced),
            timed(f"publish{suffix}", published.sent, done - measured)]


def touch_one_percent(dataset: dict, since: date | None = None, seed: int = 1) -> dict:
    """A copy of the dataset with 1 % of its orders changed (`change_one_percent`)."""
    changed = json.loads(json.dumps(dataset))
    with change_one_percent(changed, since, seed=seed):
        return changed


@contextmanager
def change_one_percent(dataset: dict, since: date | None = None, receipts: bool = False,
                       seed: int = 1) -> Iterator[None]:
    """Within the block, 1 % of the purchase orders changed now, drawn from all of them or from those
    ordered `since`: one schedule line's quantity raised by one, and with `receipts` that one more unit
    received (a goods receipt posted on the line's due date, at the latest on AS_OF). Undone after it."""
    orders, movements = dataset["purchase_orders"], dataset["goods_movements"]
    pool = [order for order in orders if since is None or order["order_date"] >= since.isoformat()]
    stamp = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
    changed = random.Random(seed).sample(pool, max(1, len(orders) // 100))
    undo = [(order, order["changed_at"], order["items"][0]["schedule_lines"][0]["quantity"]) for order in changed]
    received = len(movements)
    for number, order in enumerate(changed):
        item = order["items"][0]
        line = item["schedule_lines"][0]
        line["quantity"] = str(int(float(line["quantity"])) + 1)
        order["changed_at"] = stamp
        if receipts:
            posted = min(line["due"], AS_OF.isoformat())
            movements.append({"document": f"59{number:08d}", "year": int(posted[:4]), "line": 1,
                              "movement_type": "101", "posting_date": posted, "quantity": "1", "unit": item["unit"],
                              "po": order["id"], "po_item": item["id"], "changed_at": stamp,
                              "schedule_line": line["id"]})
    try:
        yield
    finally:
        del movements[received:]
        for order, changed_at, quantity in undo:
            order["changed_at"] = changed_at
            order["items"][0]["schedule_lines"][0]["quantity"] = quantity


def full_then_incremental(dataset: dict, salesforce: list[str], since: date | None,
                          suffix: str) -> list[Result]:
    with tempfile.TemporaryDirectory() as workdir:
        folder = Path(workdir)
        (folder / "sap.json").write_text(json.dumps(dataset))
        with stand_in("sap", "--data", str(folder / "sap.json")) as sap_urls:
            full = alone_rows("end_to_end_full", "bench.pipeline:run_pipeline", workdir, sap_urls, salesforce, True,
                              "_full")
        (folder / "sap-changed.json").write_text(json.dumps(touch_one_percent(dataset, since)))
        with stand_in("sap", "--data", str(folder / "sap-changed.json")) as sap_urls:
            incremental = alone_rows(f"end_to_end_incremental_1pct{suffix}", "bench.pipeline:run_pipeline", workdir,
                                     sap_urls, salesforce, False, f"_incremental_1pct{suffix}")
    return full + incremental


def pipeline_runs(suppliers: int, months: int, runs: int = 3) -> list[Result]:
    """The pipeline `runs` times from scratch, keeping each row's fastest run (the least disturbed on a
    shared machine); end to end and per stage, ratio = the incremental run's seconds ÷ the full run's.
    Changes drawn from every order reach back into the rolling windows and velocities of a whole year;
    changes to the orders of the last two months (`_recent`), the usual case, reach less far."""
    dataset = generate_sap(suppliers, months, seed=1, as_of=AS_OF)
    fastest: dict[str, Result] = {}
    with tempfile.TemporaryDirectory() as workdir:
        accounts = Path(workdir) / "salesforce.json"
        accounts.write_text(json.dumps(generate_salesforce(suppliers, 1, AS_OF)))
        with stand_in("salesforce", "--data", str(accounts)) as salesforce:
            for since, suffix in ((None, ""), (months_before(AS_OF, 2), "_recent")):
                for _ in range(runs):
                    for row in full_then_incremental(dataset, salesforce, since, suffix):
                        if row.name not in fastest or row.seconds < fastest[row.name].seconds:
                            fastest[row.name] = row
    results = []
    for stage in ("end_to_end", *STAGES):
        full = fastest[f"{stage}_full"]
        results.append(full)
        results += [with_ratio(fastest[f"{stage}_incremental_1pct{suffix}"], full, of="time")
                    for suffix in ("", "_recent")]
    return results
