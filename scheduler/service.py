"""`srm-bridge run`: sync and score, then publish, on intervals until SIGTERM or SIGINT."""
import logging
import signal
import threading
import time

from scheduler.bootstrap import App
from scheduler.jobs import publish_job, score_job, sync_job

log = logging.getLogger("srm_bridge.service")


def run_service(app: App, stop: threading.Event | None = None) -> None:
    stop = stop or threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, _frame: (log.info("stopping", extra={"signal": signum}), stop.set()))
    schedule = app.settings.scheduler
    next_sync = next_publish = time.monotonic()
    log.info("service started", extra={"sync_interval_s": schedule.sync_interval_s,
                                       "publish_interval_s": schedule.publish_interval_s})
    while not stop.is_set():
        if time.monotonic() >= next_sync:
            _guarded("sync", lambda: (sync_job(app, schedule.sources), score_job(app, app.today())))
            next_sync = time.monotonic() + schedule.sync_interval_s
        if time.monotonic() >= next_publish and not stop.is_set():
            _guarded("publish", lambda: publish_job(app))
            next_publish = time.monotonic() + schedule.publish_interval_s
        stop.wait(max(0.0, min(next_sync, next_publish) - time.monotonic()))
    log.info("service stopped")


def _guarded(job: str, action) -> None:  # noqa: ANN001 - a thunk
    """A failing cycle is logged and retried next interval; the service keeps running."""
    try:
        action()
    except Exception:  # noqa: BLE001 - the loop must survive one bad cycle; the log says what failed
        log.exception("job failed", extra={"job": job})
