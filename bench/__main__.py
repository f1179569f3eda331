"""`make bench`: SAP extract through the connector vs a raw HTTP + lxml reference, the connector's
memory over a long history, the whole pipeline on an embedded database, a large Salesforce org,
outbox → RabbitMQ, a consumer draining a queue with 1 % poison messages, and, with
SRM_BRIDGE_BENCH_POSTGRES_URL and SRM_BRIDGE_BENCH_AMQP_URL set, the enterprise stages on PostgreSQL and
RabbitMQ (bench/enterprise.py).

Every stage is measured; one that cannot be (its service unreachable, its process failed) is named at
the end and makes the command exit non-zero, after the other figures are written."""
import argparse
import sys
from pathlib import Path
from typing import Callable

from bench.consumer import consumer_poison_benches
from bench.enterprise import enterprise_benches
from bench.harness import RESULTS, Result, StageFailed, alone, interleaved, report, with_ratio
from bench.pipeline import pipeline_runs
from bench.publish import publish_benches
from bench.salesforce import pull
from bench.sap import history_extract, sap_stand_in
from bench.sap_bapi import bapi_stand_in
from bench.scoring import scoring_runs


def sap_extract(suppliers: int, months: int) -> list[Result]:
    with sap_stand_in(suppliers, months) as url:
        alone("warm-up", "bench.sap:raw_extract", url, 500)  # the stand-in builds its pages lazily
        reference, extract = interleaved(3, lambda: alone("sap_extract_raw_reference", "bench.sap:raw_extract", url, 500),
                                         lambda: alone("sap_extract", "bench.sap:connector_extract", url, 500))
    return [reference, with_ratio(extract, reference)]


def sap_extract_bapi(suppliers: int, months: int) -> list[Result]:
    with bapi_stand_in(suppliers, months) as urls:
        alone("warm-up", "bench.sap_bapi:raw_extract_bapi", urls)
        reference, extract = interleaved(
            3, lambda: alone("sap_extract_bapi_raw_reference", "bench.sap_bapi:raw_extract_bapi", urls),
            lambda: alone("sap_extract_bapi", "bench.sap_bapi:connector_extract_bapi", urls))
    return [reference, with_ratio(extract, reference)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--suppliers", type=int, default=200)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--history-suppliers", type=int, default=4800,
                        help="With --history-months, about 1,000,000 schedule lines for the memory stage.")
    parser.add_argument("--history-months", type=int, default=24)
    parser.add_argument("--only", action="append", help="Run this stage only (repeatable).")
    parser.add_argument("--results", type=Path, default=RESULTS, help="Where the figures are written.")
    args = parser.parse_args()
    stages: list[tuple[str, Callable[[], list[Result]]]] = [
        ("sap_extract", lambda: sap_extract(args.suppliers, args.months)),
        ("sap_extract_bapi", lambda: sap_extract_bapi(max(5, args.suppliers // 8), args.months)),
        ("sap_extract_history", lambda: [
            history_extract("sap_extract_history_tenth", args.history_suppliers // 10, args.history_months, 500),
            history_extract("sap_extract_history", args.history_suppliers, args.history_months, 500)]),
        ("pipeline", lambda: pipeline_runs(max(5, args.suppliers // 4), args.months)),
        ("scoring", lambda: scoring_runs(5000, 24, 1_000_000)),
        ("salesforce_pull", lambda: [pull("salesforce_pull_tenth", 10_000, bulk=False),
                                     pull("salesforce_pull", 100_000, bulk=False),
                                     pull("salesforce_pull_bulk", 100_000, bulk=True)]),
        ("publish", publish_benches),
        ("consumer_poison", consumer_poison_benches),
        ("enterprise", enterprise_benches),
    ]
    results, failed = [], []
    for name, stage in stages:
        if args.only and name not in args.only:
            continue
        try:
            results += stage()
        except StageFailed as exc:
            failed.append(f"{name}: {exc}")
    report(results, args.results)
    if failed:
        print("\nnot measured:\n  " + "\n  ".join(failed), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
