"""`make bench`: SAP extract through the connector vs a raw HTTP + lxml reference, the connector's
memory over a long history, the whole pipeline on an embedded database, and outbox → RabbitMQ."""
import argparse
import tempfile
from datetime import date
from pathlib import Path

from bench.harness import measure, report, with_ratio
from bench.publish import publish_benches
from bench.sap import connector_extract, history_extract, raw_extract, sap_stand_in
from config import load_settings
from sandbox.generator import generate_salesforce, generate_sap
from sandbox.serve import start_salesforce, start_sap
from scheduler.bootstrap import open_app
from scheduler.jobs import publish_job, score_job, sync_job

AS_OF = date(2026, 6, 30)


def pipeline(suppliers: int, months: int) -> int:
    sap_data = generate_sap(suppliers, months, seed=1, as_of=AS_OF)
    sap_server, _ = start_sap(sap_data)
    sf_server, _, ca = start_salesforce(generate_salesforce(suppliers, 1, AS_OF))
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(database={"url": f"sqlite:///{Path(folder) / 'bench.db'}"},
                                 broker={"folder": Path(folder) / "broker"},
                                 sap={"url": sap_server.url, "settle_seconds": 0},
                                 salesforce={"login_url": sf_server.url, "verify": str(ca), "settle_seconds": 0})
        app = open_app(settings=settings)
        sync_job(app, ["sap", "salesforce"], full=True)
        score_job(app, AS_OF)
        publish_job(app)
    sap_server.stop()
    sf_server.stop()
    return len(sap_data["goods_movements"]) + sum(len(i["schedule_lines"]) for po in sap_data["purchase_orders"] for i in po["items"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--suppliers", type=int, default=200)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--history-suppliers", type=int, default=4800,
                        help="With --history-months, about 1,000,000 schedule lines for the memory stage.")
    parser.add_argument("--history-months", type=int, default=24)
    args = parser.parse_args()
    with sap_stand_in(args.suppliers, args.months) as url:
        raw_extract(url, 500)  # warm both sides once: the stand-in builds its pages lazily
        reference = measure("sap_extract_raw_reference", lambda: raw_extract(url, 500))
        extract = with_ratio(measure("sap_extract", lambda: connector_extract(url, 500)), reference)
    history = [history_extract("sap_extract_history_tenth", args.history_suppliers // 10, args.history_months, 500),
               history_extract("sap_extract_history", args.history_suppliers, args.history_months, 500)]
    full = measure("end_to_end_full", lambda: pipeline(max(5, args.suppliers // 4), args.months))
    report([reference, extract, *history, full, *publish_benches()])


if __name__ == "__main__":
    main()
