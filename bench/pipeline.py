"""The whole pipeline at demo scale, in a process of its own: a full run, then a run after 1 % of the
purchase orders changed in SAP (both stand-ins in their own processes, serving dataset files)."""
import json
import random
import sys
import tempfile
from datetime import date, datetime, timezone
from pathlib import Path

from bench.harness import Result, measure
from bench.sap import own_peak_rss_mb, stand_in
from config import load_settings
from sandbox.generator import generate_salesforce, generate_sap
from scheduler.bootstrap import open_app
from scheduler.jobs import publish_job, score_job, sync_job

AS_OF = date(2026, 6, 30)


def run_pipeline(folder: Path, sap_url: str, salesforce: list[str], full: bool) -> int:
    """Sync, score and publish; the number of records pulled."""
    settings = load_settings(database={"url": f"sqlite:///{folder / 'bench.db'}"}, broker={"folder": folder / "broker"},
                             sap={"url": sap_url, "settle_seconds": 0},
                             salesforce={"login_url": salesforce[0], "verify": salesforce[1], "settle_seconds": 0})
    app = open_app(settings=settings)
    report = sync_job(app, ["sap", "salesforce"], full=full)
    score_job(app, AS_OF)
    publish_job(app)
    app.engine.dispose()
    return sum(stream.pulled for stream in report.streams)


def touch_one_percent(dataset: dict, seed: int = 1) -> dict:
    """1 % of the purchase orders changed now: one schedule line's quantity raised by one."""
    changed = json.loads(json.dumps(dataset))
    orders = changed["purchase_orders"]
    stamp = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
    for order in random.Random(seed).sample(orders, max(1, len(orders) // 100)):
        line = order["items"][0]["schedule_lines"][0]
        line["quantity"] = str(int(float(line["quantity"])) + 1)
        order["changed_at"] = stamp
    return changed


def main(suppliers: int, months: int) -> list[Result]:
    with tempfile.TemporaryDirectory() as workdir:
        folder = Path(workdir)
        dataset = generate_sap(suppliers, months, seed=1, as_of=AS_OF)
        (folder / "sap.json").write_text(json.dumps(dataset))
        (folder / "salesforce.json").write_text(json.dumps(generate_salesforce(suppliers, 1, AS_OF)))
        with stand_in("salesforce", "--data", str(folder / "salesforce.json")) as salesforce:
            with stand_in("sap", "--data", str(folder / "sap.json")) as (sap_url,):
                full = measure("end_to_end_full", lambda: run_pipeline(folder, sap_url, salesforce, full=True))
            (folder / "sap-changed.json").write_text(json.dumps(touch_one_percent(dataset)))
            with stand_in("sap", "--data", str(folder / "sap-changed.json")) as (sap_url,):
                incremental = measure("end_to_end_incremental_1pct",
                                      lambda: run_pipeline(folder, sap_url, salesforce, full=False))
    peak = own_peak_rss_mb()
    full.peak_rss_mb = incremental.peak_rss_mb = peak
    incremental.reference, incremental.ratio = full.name, round(incremental.seconds / full.seconds, 4)
    return [full, incremental]


if __name__ == "__main__":
    print(json.dumps([result.__dict__ for result in main(int(sys.argv[1]), int(sys.argv[2]))]))
