"""`make bench`: SAP extract through the connector vs a raw HTTP + lxml reference, the connector's
memory over a long history, the whole pipeline on an embedded database, a large Salesforce org,
outbox → RabbitMQ, and a consumer draining a queue with 1 % poison messages."""
import argparse
import json
import subprocess
import sys

from bench.consumer import consumer_poison_benches
from bench.harness import Result, interleaved, report, with_ratio
from bench.publish import publish_benches
from bench.salesforce import pull
from bench.sap import connector_extract, history_extract, raw_extract, sap_stand_in


def pipeline_runs(suppliers: int, months: int) -> list[Result]:
    """Full and 1 %-incremental pipeline runs in a fresh process (its peak RSS is the pipeline's)."""
    done = subprocess.run([sys.executable, "-m", "bench.pipeline", str(suppliers), str(months)],
                          capture_output=True, text=True, check=True)
    return [Result(**result) for result in json.loads(done.stdout.strip().splitlines()[-1])]


def scoring_runs(suppliers: int, months: int, lines: int) -> list[Result]:
    """The KPI engine and the pandas reference, in a fresh process."""
    done = subprocess.run([sys.executable, "-m", "bench.scoring", str(suppliers), str(months), str(lines)],
                          capture_output=True, text=True, check=True)
    return [Result(**result) for result in json.loads(done.stdout.strip().splitlines()[-1])]


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
        reference, extract = interleaved(3, ("sap_extract_raw_reference", lambda: raw_extract(url, 500)),
                                         ("sap_extract", lambda: connector_extract(url, 500)))
        extract = with_ratio(extract, reference)
    history = [history_extract("sap_extract_history_tenth", args.history_suppliers // 10, args.history_months, 500),
               history_extract("sap_extract_history", args.history_suppliers, args.history_months, 500)]
    pipeline = pipeline_runs(max(5, args.suppliers // 4), args.months)
    salesforce = [pull("salesforce_pull_tenth", 10_000, bulk=False), pull("salesforce_pull", 100_000, bulk=False),
                  pull("salesforce_pull_bulk", 100_000, bulk=True)]
    scoring = scoring_runs(5000, 24, 1_000_000)
    report([reference, extract, *history, *pipeline, *scoring, *salesforce, *publish_benches(),
            *consumer_poison_benches()])


if __name__ == "__main__":
    main()
