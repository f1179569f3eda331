"""One leader cycle: pull every stream, score, then one summary line.

Each part is guarded on its own: a stream that fails is recorded and the next one runs, and
scoring runs whatever the streams did, unless the service is stopping. Every line logged during
the cycle carries its `run_id`.
"""
import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from connectors.cancel import Cancel
from scheduler.bootstrap import App
from scheduler.jobs import score_job
from scheduler.metrics import Metrics
from sync.pipeline import run_sync
from sync.run_context import running
from sync.scoring import ReplayRefused, ScoreReport
from sync.streams import StreamResult

log = logging.getLogger("srm_bridge.cycle")


@dataclass
class CycleReport:
    run_id: str
    streams: list[StreamResult] = field(default_factory=list)
    scored: ScoreReport | None = None
    errors: list[str] = field(default_factory=list)
    duration_s: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.errors and all(result.outcome != "failed" for result in self.streams)


def run_cycle(app: App, cancel: Cancel, metrics: Metrics, next_run_at: datetime,
              published: Callable[[], int] = lambda: 0, on_progress: Callable[[], None] = lambda: None) -> CycleReport:
    """`published()`: events this instance's relay confirmed since the last summary, for the summary line.
    `on_progress` is called after each committed page and each step (the service's heartbeat)."""
    report = CycleReport(run_id=str(uuid.uuid4()))
    started = time.monotonic()
    with running(report.run_id):
        log.debug("cycle started")
        _sync(app, cancel, metrics, report, on_progress)
        on_progress()
        if cancel.stop.is_set():
            log.warning("stopping: scoring skipped this cycle")
        else:
            _score(app, metrics, report)
        report.duration_s = round(time.monotonic() - started, 3)
        metrics.cycle_seconds.observe(report.duration_s)
        metrics.cycles.labels("succeeded" if report.ok else "failed").inc()
        log.log(logging.INFO if report.ok else logging.ERROR, "cycle finished", extra=_summary(
            report, published(), next_run_at))
    return report


def _sync(app: App, cancel: Cancel, metrics: Metrics, report: CycleReport, on_progress: Callable[[], None]) -> None:
    def page_done(stream: str, pulled: int, stored: int, quarantined: int) -> None:
        metrics.count_page(stream, pulled, stored, quarantined)
        on_progress()

    try:
        sources = app.sources(app.settings.scheduler.sources, cancel)
        synced = run_sync(app.engine, sources.streams, app.now(), cancel=cancel, run_id=report.run_id,
                          on_page=page_done)
    except Exception as exc:  # noqa: BLE001 - building the connectors failed: scoring still runs on what is stored
        log.error("sync failed", exc_info=True)
        report.errors.append(f"sync: {exc!r}")
        return
    report.streams = synced.streams
    for result in synced.streams:
        metrics.record_stream(result)
    share = sources.salesforce_api_share()
    if share is not None:
        metrics.api_share.set(share)


def _score(app: App, metrics: Metrics, report: CycleReport) -> None:
    started = time.monotonic()
    try:
        report.scored = scored = score_job(app, app.last_complete_day())
        metrics.scoring_runs.labels("skipped" if scored.skipped else "incremental" if scored.incremental
                                    else "full").inc()
    except ReplayRefused as exc:  # someone scored a later day by hand: the service waits for that day
        log.warning("scoring skipped", extra={"reason": str(exc)})
    except Exception as exc:  # noqa: BLE001 - logged with its traceback; the cycle counts as failed
        log.error("scoring failed", exc_info=True)
        report.errors.append(f"scoring: {exc!r}")
    finally:
        metrics.scoring_seconds.observe(time.monotonic() - started)


def _summary(report: CycleReport, published: int, next_run_at: datetime) -> dict:
    """Per source pulled, stored and quarantined; then scored, published, the duration and the next run."""
    summary: dict = {"outcome": "succeeded" if report.ok else "failed"}
    for result in report.streams:
        source = result.stream.split(".", 1)[0]
        for count in ("pulled", "stored", "quarantined"):
            summary[f"{source}_{count}"] = summary.get(f"{source}_{count}", 0) + getattr(result, count)
    failed = [result.stream for result in report.streams if result.outcome == "failed"]
    stopped = [result.stream for result in report.streams if result.outcome == "stopped"]
    if failed:
        summary["streams_failed"] = failed
    if stopped:
        summary["streams_stopped"] = stopped
    if report.scored is not None and report.scored.skipped:
        summary.update(scoring="skipped: nothing changed")
    elif report.scored is not None:
        summary.update(scored=report.scored.scorecards, scorecards_changed=len(report.scored.changed),
                       benchmarks_changed=report.scored.benchmarks)
    summary.update(published=published, duration_s=report.duration_s,
                   next_run_at=next_run_at.isoformat(timespec="seconds"))
    if report.errors:
        summary["errors"] = report.errors
    return summary
