"""The jobs the service and the commands run: sync, score, publish."""
import logging
from datetime import date, datetime

from scheduler.bootstrap import App
from sync.pipeline import SyncReport, run_sync
from sync.scoring import ScoreReport, score
from sync.publisher import Publisher
from sync.relay import RelayResult, drain_patiently

log = logging.getLogger("srm_bridge.jobs")


def sync_job(app: App, sources: list[str], full: bool = False, since: datetime | None = None) -> SyncReport:
    return run_sync(app.engine, app.streams(sources), app.now(), full=full, since=since)


def score_job(app: App, as_of: date, full: bool = False) -> ScoreReport:
    return score(app.engine, app.settings, as_of, app.now(), full=full)


def publish_job(app: App) -> RelayResult:
    with Publisher(app.settings.broker) as publisher:
        result = drain_patiently(app.engine, publisher, app.settings.broker, app.now)
    log.info("published", extra={"sent": result.sent, "failed": result.failed, "dead_lettered": result.dead,
                                 "broker_unavailable": result.unavailable})
    return result
