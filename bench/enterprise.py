"""Enterprise scale on the production path: N suppliers × 24 months (SRM_BRIDGE_BENCH_SUPPLIERS, default
5,000) served by the stand-ins over HTTP, synced into PostgreSQL, scored, and published to RabbitMQ with
confirms, by one long-running service process, as `srm-bridge run` would.

Stages: `enterprise_full` (a fresh database), then, each on a copy of the database the full run left
(PostgreSQL's CREATE DATABASE … TEMPLATE, then a CHECKPOINT, so that the copy's pages are not written
out during the stage and counted in its time), one cycle after 1 % of the orders changed in the last two
months plus their receipts (`_incremental_1pct_recent`), after 1 % changed across all months
(`_incremental_1pct`), and after nothing changed (`_idle`). Every stage has its own database and its own
exchange and queue, dropped at the end. The service process keeps what it would keep between cycles
(parsed WSDLs, the Salesforce session); its peak RSS is reset before each stage to what it holds then,
so a later stage's figure includes what the process kept from the ones before (Python keeps freed memory).
The mark is reset again before each phase, so the `_sync`, `_score` and `_publish` rows carry their own
phase's peak (which shows the phase that sets the stage's), the stage row the highest of the three.
Each row also carries the CPU seconds the service process spent (`cpu_s`) and every process on the
machine (`machine_cpu_s`, all cores: the service, PostgreSQL, RabbitMQ, the stand-ins): set against
the seconds × the cores, they say whether a stage waited or the machine was saturated.
Before all that, a full run of SRM_BRIDGE_BENCH_SMALLER_SUPPLIERS (default 1,000) in a service process of
its own gives the peak RSS that `enterprise_full`'s is divided by (`ratio_of` peak_rss): whether memory
stays flat as suppliers grow. Runs only when SRM_BRIDGE_BENCH_POSTGRES_URL and SRM_BRIDGE_BENCH_AMQP_URL
are set.
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Callable, Iterator

import psycopg
from sqlalchemy import make_url

from bench.harness import Result, StageFailed, machine_cpu_s, own_peak_rss_mb, reset_peak_rss, timed, with_ratio
from bench.pipeline import AS_OF, change_one_percent
from bench.sap import stand_in
from config import load_settings
from config.settings import QueueBinding
from mapping.kpis import months_before
from sandbox.generator import generate_salesforce, generate_sap
from connectors.kept import Kept
from scheduler.bootstrap import open_app
from scheduler.jobs import publish_job, score_job, sync_job
from tests.support.brokers import delete_topology

POSTGRES_VAR, AMQP_VAR, SUPPLIERS_VAR, SMALLER_VAR = (
    "SRM_BRIDGE_BENCH_POSTGRES_URL", "SRM_BRIDGE_BENCH_AMQP_URL", "SRM_BRIDGE_BENCH_SUPPLIERS",
    "SRM_BRIDGE_BENCH_SMALLER_SUPPLIERS")
MONTHS = 24
#: stage → 1 % of the orders changed (drawn from those ordered since, with receipts?), or None; target ratio
INCREMENTAL = {"enterprise_incremental_1pct_recent": ((months_before(AS_OF, 2), True), 0.05),
               "enterprise_incremental_1pct": ((None, False), 0.10),
               "enterprise_idle": (None, 0.01)}
FLAT = 1.15  # the full run's peak RSS ÷ the smaller full run's: memory stays flat as suppliers grow


def enterprise_benches() -> list[Result]:
    """The stages at SRM_BRIDGE_BENCH_SUPPLIERS suppliers, after a full run alone at
    SRM_BRIDGE_BENCH_SMALLER_SUPPLIERS (default 1,000; 0 for none) in a service process of its own, whose
    peak RSS the large run's is divided by."""
    postgres, amqp = os.environ.get(POSTGRES_VAR), os.environ.get(AMQP_VAR)
    if not (postgres and amqp):
        print(f"enterprise stages skipped: set {POSTGRES_VAR} and {AMQP_VAR} to run them")
        return []
    suppliers = int(os.environ.get(SUPPLIERS_VAR, "5000"))
    smaller = int(os.environ.get(SMALLER_VAR, "1000"))
    run = uuid.uuid4().hex[:8]
    with databases(postgres, run) as database:
        before = served(smaller, f"enterprise_full_{smaller}", database, amqp, run) if 0 < smaller < suppliers else []
        results = served(suppliers, "enterprise_full", database, amqp, run, INCREMENTAL)
    full = results[0]
    full.target = f"≤ 360 s and ≤ 500 MB peak RSS; peak ≤ {FLAT} × the smaller run's"
    if before:
        full.reference, full.ratio_of, full.better = before[0].name, "peak_rss", "lower"
        full.ratio = round(full.peak_rss_mb / before[0].peak_rss_mb, 3)
    return before + results


def served(suppliers: int, name: str, database: Callable, amqp: str, run: str,
           incremental: dict | None = None) -> list[Result]:
    """A full run named `name` of `suppliers` × MONTHS served by the stand-ins, then one cycle per stage of
    `incremental` on a copy of its database, in one service process."""
    dataset = generate_sap(suppliers, MONTHS, seed=1, as_of=AS_OF)
    with tempfile.TemporaryDirectory() as workdir, service_process(Path(workdir) / "service.log") as service:
        folder = Path(workdir)
        (folder / "salesforce.json").write_text(json.dumps(generate_salesforce(suppliers, 1, AS_OF)))
        (folder / "sap.json").write_text(json.dumps(dataset))
        sap_port = free_port()
        with stand_in("salesforce", "--data", str(folder / "salesforce.json")) as salesforce:
            with stand_in("sap", "--port", str(sap_port), "--data", str(folder / "sap.json")) as sap:
                full = service.cycle(name, database(name), amqp, run, sap, salesforce, full=True)
            results = list(full)
            for seed, (stage, (change, target)) in enumerate((incremental or {}).items(), start=2):
                data = folder / "sap.json"
                if change is not None:
                    data = folder / f"{stage}.json"
                    with change_one_percent(dataset, *change, seed=seed):
                        data.write_text(json.dumps(dataset))
                with stand_in("sap", "--port", str(sap_port), "--data", str(data)) as sap:
                    rows = service.cycle(stage, database(stage, template=name), amqp, run, sap, salesforce)
                rows[0].target = f"ratio ≤ {target}"
                results += [with_ratio(row, reference, of="time") for row, reference in zip(rows, full)]
    return results


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def databases(admin_url: str, run: str) -> Iterator:
    """`database(stage, template=None)`: the URL of a new database for the stage (a copy of `template`'s);
    every one is dropped at the end."""
    created: list[str] = []
    url = make_url(admin_url)

    def admin(statement: str) -> None:
        with psycopg.connect(url.set(drivername="postgresql").render_as_string(hide_password=False),
                             autocommit=True) as connection:
            connection.execute(statement)

    def database(stage: str, template: str | None = None) -> str:
        name, copied = (f"srm_bench_{run}_{s.removeprefix('enterprise_')}" for s in (stage, template or ""))
        admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{copied}"' if template else ""))
        created.append(name)
        if template:  # the copy's gigabytes are written out now, not during the stage timed on it
            try:
                admin("CHECKPOINT")
            except psycopg.errors.InsufficientPrivilege as exc:
                print(f"{stage}: the copy of {template}'s database is written out while the stage runs "
                      f"(CHECKPOINT needs superuser or pg_checkpoint: {exc})", file=sys.stderr)
        return url.set(database=name).render_as_string(hide_password=False)

    try:
        yield database
    finally:
        for name in reversed(created):
            admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class ServiceProcess:
    """The service in a process of its own, told by one line on its stdin to run a cycle of a stage."""

    def __init__(self, process: subprocess.Popen, log: Path) -> None:
        self.process, self.log = process, log

    def cycle(self, name: str, database_url: str, amqp_url: str, run: str, sap: list[str], salesforce: list[str],
              full: bool = False) -> list[Result]:
        exchange = f"srm.bench.{run}.{name}"
        order = {"name": name, "database": database_url, "broker": {
            "url": amqp_url, "exchange": exchange, "queues": [{"name": exchange, "routing_key": "#"}]},
            "sap": sap, "salesforce": salesforce, "full": full}
        self.process.stdin.write(json.dumps(order) + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        if not answer:
            tail = self.log.read_text(errors="replace").strip().splitlines()[-3:]
            raise StageFailed(f"{name}: the service process ended: {' | '.join(tail) or 'no output'}")
        rows = [Result(**row) for row in json.loads(answer)]
        for row in rows:  # as each stage ends: a long run shows its figures before the table at the end
            print(f"{row.name}: {row.seconds:.1f} s, {row.records} records, peak {row.peak_rss_mb} MB",
                  file=sys.stderr, flush=True)
        return rows


@contextmanager
def service_process(log: Path) -> Iterator[ServiceProcess]:
    with log.open("w") as errors:
        process = subprocess.Popen([sys.executable, "-m", "bench.enterprise"], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=errors, text=True)
        try:
            yield ServiceProcess(process, log)
        finally:
            process.stdin.close()
            process.wait(timeout=60)


def cpu_readings() -> tuple[float, float]:
    """This process's CPU seconds so far, and the whole machine's."""
    return time.process_time(), machine_cpu_s()


def serve() -> None:
    """The service process: one cycle (sync, score, publish) per order read on stdin, its rows on stdout."""
    kept = Kept()
    for line in sys.stdin:
        order = json.loads(line)
        reset_peak_rss()
        started, readings = time.perf_counter(), [cpu_readings()]
        settings = load_settings(
            database={"url": order["database"]}, broker=order["broker"],
            sap={"purchase_orders": {"url": order["sap"][0]}, "goods_movements": {"url": order["sap"][1]},
                 "settle_seconds": 0},
            salesforce={"login_url": order["salesforce"][0], "verify": order["salesforce"][1], "settle_seconds": 0})
        app = open_app(settings=settings)
        app.kept = kept
        try:
            synced = sync_job(app, ["sap", "salesforce"], full=order["full"])
            at_sync, sync_peak = time.perf_counter(), own_peak_rss_mb()
            readings.append(cpu_readings())
            reset_peak_rss()
            scored = score_job(app, AS_OF)
            at_score, score_peak = time.perf_counter(), own_peak_rss_mb()
            readings.append(cpu_readings())
            reset_peak_rss()
            published = publish_job(app)
            done, publish_peak = time.perf_counter(), own_peak_rss_mb()
            readings.append(cpu_readings())
        finally:
            app.engine.dispose()
            delete_topology(settings.broker)
        failed = [stream.stream for stream in synced.streams if stream.outcome == "failed"]
        if failed or published.failed or published.unavailable:
            raise SystemExit(f"{order['name']}: streams failed {failed}, publish {published}")
        pulled = sum(stream.pulled for stream in synced.streams)
        name = order["name"]
        rows = [timed(name, pulled, done - started), timed(f"{name}_sync", pulled, at_sync - started),
                timed(f"{name}_score", scored.tallied, at_score - at_sync),
                timed(f"{name}_publish", published.sent, done - at_score)]
        spans = [(0, 3), (0, 1), (1, 2), (2, 3)]  # the stage, then its phases: indexes into the readings
        for row, peak, (first, last) in zip(rows, [max(sync_peak, score_peak, publish_peak), sync_peak, score_peak,
                                                   publish_peak], spans):
            row.peak_rss_mb = peak
            row.cpu_s, row.machine_cpu_s = (round(end - start, 1)
                                            for start, end in zip(readings[first], readings[last]))
        print(json.dumps([asdict(row) for row in rows]), flush=True)


if __name__ == "__main__":
    serve()
