"""The jobs the service and the commands run: sync, score, publish."""
import logging
import threading
import uuid
from datetime import date, datetime

from scheduler.bootstrap import App
from sync.pipeline import SyncReport, run_sync
from sync.scoring import ScoreReport, score
from sync.publisher import Publisher
from sync.relay import RelayResult, drain, drain_patiently
from sync.run_context import running

log = logging.getLogger("srm_bridge.jobs")


def sync_job(app: App, sources: list[str], full: bool = False, since: datetime | None = None) -> SyncReport:
    with running(str(uuid.uuid4())) as run_id:
        return run_sync(app.engine, app.streams(sources), app.now(), full=full, since=since, run_id=run_id)


def score_job(app: App, as_of: date, full: bool = False, replay: bool = False, dry_run: bool = False) -> ScoreReport:
    return score(app.engine, app.settings, as_of, app.now(), full=full, replay=replay, dry_run=dry_run)


def publish_job(app: App) -> RelayResult:
    """Drain the outbox, waiting out a broker outage `broker.outage_attempts` times (one-shot `publish`)."""
    with Publisher(app.settings.broker) as publisher:
        result = drain_patiently(app.engine, publisher, app.settings.broker, app.now)
    _log_published(result)
    return result


def relay_job(app: App, stop: threading.Event) -> RelayResult:
    """Drain the outbox once, without waiting out an outage: the service's relay loop owns the back-off."""
    with Publisher(app.settings.broker) as publisher:
        result = drain(app.engine, publisher, app.settings.broker, app.now, stop)
    _log_published(result)
    return result


def _log_published(result: RelayResult) -> None:
    """Idle drains (nothing sent, nothing refused) are a debug matter."""
    level = logging.INFO if result.sent or result.failed else logging.DEBUG
    log.log(level, "published", extra={"sent": result.sent, "failed": result.failed, "dead_lettered": result.dead,
                                       "broker_unavailable": result.unavailable})
