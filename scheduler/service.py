"""`srm-bridge run`: the long-running service.

Threads, each with one job:
- leader: takes the leader lock (or waits as a standby), migrates under it, then runs a
  sync-and-score cycle every `sync_interval_s` while the lock is confirmed;
- leader-lock: confirms the lock every `takeover_s / 3` and halts leader work the moment it is
  lost or the service stops;
- relay: publishes the outbox every `publish_interval_s` on every instance, never behind a sync;
- http: /healthz, /readyz, /metrics, and the web console on every other path.

SIGTERM or SIGINT stops it within `stop_grace_s`: waits and retries are abandoned, the page in
hand is committed or dropped whole, and a thread still busy when the grace ends is left behind
(the process exits; uncommitted work rolls back). A second signal exits at once.
Unreachable dependencies (the database, the broker) are waited for with back-off, each attempt a
warning; nothing exits for them.
"""
import logging
import os
import random
import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import datetime, timedelta, timezone

from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError

from config import ConfigError
from connectors.cancel import Cancel
from scheduler.bootstrap import App
from scheduler.cycle import run_cycle
from scheduler.health import Health
from scheduler.http import Endpoint, HttpServer
from scheduler.jobs import relay_job
from scheduler.leader import LeaderLock, instance_name, leader_lock
from scheduler.metrics import Metrics
from store.db import schema_is_current, upgrade

log = logging.getLogger("srm_bridge.service")

EXIT_ABANDONED = 1  # the grace ran out with work still in hand
UNREACHABLE = (OperationalError, InterfaceError, OSError)  # waited for; anything else is a defect to report


class Backoff:
    """Jittered exponential waits for a dependency that does not answer: about 1, 2, 4 … `max_s` seconds."""

    def __init__(self, max_s: float, first_s: float = 1.0) -> None:
        self.max_s, self.first_s, self.attempt = max_s, first_s, 0

    def next(self) -> float:
        self.attempt += 1
        return min(self.max_s, self.first_s * 2 ** (self.attempt - 1)) * random.uniform(0.8, 1.0)

    def reset(self) -> None:
        self.attempt = 0


def _first_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".splitlines()[0][:300]


class Service:
    def __init__(self, app: App, stop: threading.Event | None = None) -> None:
        self.app = app
        self.schedule = app.settings.scheduler
        self.stop = stop or threading.Event()
        self.metrics = Metrics()
        self.metrics.leader.set(0)
        self.health = Health(app.settings, app.engine)
        self.endpoint = Endpoint(self.health, self.metrics)
        self.http: HttpServer | None = None
        self._published = 0
        self._published_lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def start(self) -> "Service":
        """Serve the endpoint and start the loops; returns at once."""
        http = self.schedule.http
        if http.enabled:
            self._mount_console(http.host)
            try:
                self.http = HttpServer(self.endpoint, http.host, http.port, http.threads).start()
            except OSError as exc:
                raise ConfigError(f"scheduler.http: cannot listen on {http.host}:{http.port} ({exc.strerror or exc}); "
                                  "choose another SRM_BRIDGE_SCHEDULER__HTTP__PORT or __HOST") from None
        self.health.beat("leader")
        self.health.beat("relay")
        for name, loop in (("leader", self._lead), ("relay", self._relay)):
            thread = threading.Thread(target=loop, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        log.info("service started", extra={"instance": instance_name(), "sync_interval_s": self.schedule.sync_interval_s,
                                           "publish_interval_s": self.schedule.publish_interval_s})
        return self

    def _mount_console(self, host: str) -> None:
        """The web console on every other path; without credentials beyond loopback it is left out (the
        probes and metrics must be served all the same), and the log says which settings serve it."""
        from console.app import create_app
        try:
            self.endpoint.mount("/", create_app(self.app.settings, self.app.engine, bind_host=host))
        except ConfigError as exc:
            log.warning("web console not served on this endpoint", extra={"reason": str(exc)})

    def wait(self) -> int:
        """Block until `stop` is set, then stop within the grace; return the exit code."""
        while not self.stop.wait(1.0):
            pass
        return self.shutdown()

    def shutdown(self) -> int:
        self.stop.set()
        deadline = time.monotonic() + self.schedule.stop_grace_s
        reserve = min(2.0, self.schedule.stop_grace_s / 4)  # for the endpoint and the last log line
        for thread in self._threads:
            thread.join(max(0.0, deadline - reserve - time.monotonic()))
        busy = [thread.name for thread in self._threads if thread.is_alive()]
        if self.http is not None:
            self.http.stop(timeout_s=max(0.1, min(reserve, deadline - time.monotonic())))
        self.health.close()
        if not busy:
            self.app.engine.dispose()  # sessions end cleanly; SQLite checkpoints its write-ahead log
        if busy:
            log.error("still busy when scheduler.stop_grace_s ran out; exiting anyway: uncommitted work is dropped "
                      "and each cursor stays at its last committed page",
                      extra={"busy": busy, "stop_grace_s": self.schedule.stop_grace_s})
            return EXIT_ABANDONED
        log.info("service stopped")
        return 0

    # leader ------------------------------------------------------------------------------------------

    def _lead(self) -> None:
        lock = leader_lock(self.app.engine, self.schedule)
        waits = Backoff(self.schedule.retry_max_s)
        standby = False
        while not self.stop.is_set():
            self.health.beat("leader")
            try:
                acquired = lock.try_acquire()
            except UNREACHABLE as exc:
                self._wait_for("database", exc, waits)
                continue
            waits.reset()
            if not acquired:
                if not standby:
                    log.info("standby: another instance leads", extra={"leader": self._holder(lock)})
                standby = True
                self.stop.wait(self.schedule.takeover_s / 3)
                continue
            standby = False
            try:
                self._lead_term(lock, waits)
            except Exception:  # noqa: BLE001 - the loop must outlive one bad term; the log says what failed
                log.error("leader work failed; leadership released", exc_info=True)
                self.stop.wait(waits.next())
            finally:
                lock.release()
                self.metrics.leader.set(0)
        self.health.forget("leader")

    def _holder(self, lock: LeaderLock) -> str | None:
        try:
            return lock.holder()
        except (SQLAlchemyError, OSError):
            return None

    def _lead_term(self, lock: LeaderLock, waits: Backoff) -> None:
        halt = threading.Event()
        keeper = threading.Thread(target=self._keep, args=(lock, halt), name="leader-lock", daemon=True)
        keeper.start()
        try:
            log.info("leading: this instance syncs and scores", extra={"instance": instance_name()})
            self.metrics.leader.set(1)
            try:
                upgrade(self.app.engine)
            except UNREACHABLE as exc:
                self._wait_for("database", exc, waits)
                return
            self._cycles(halt)
        finally:
            halt.set()
            keeper.join()

    def _keep(self, lock: LeaderLock, halt: threading.Event) -> None:
        """Halt leader work when the service stops or the lock is not confirmed within `takeover_s / 3`
        (a check that hangs on a dead network counts as lost: a standby may lead by now)."""
        every = self.schedule.takeover_s / 3
        next_check = time.monotonic() + every
        checks = ThreadPoolExecutor(max_workers=1, thread_name_prefix="leader-lock-check")
        try:
            while not halt.wait(0.2):
                if self.stop.is_set():
                    halt.set()
                elif time.monotonic() >= next_check:
                    try:
                        held = checks.submit(lock.confirm).result(timeout=every)
                    except FutureTimeout:
                        held = False
                    if not held:
                        log.error("leader lock lost: leader work stopped", extra={"instance": instance_name()})
                        halt.set()
                    next_check = time.monotonic() + every
        finally:
            checks.shutdown(wait=False)

    def _cycles(self, halt: threading.Event) -> None:
        interval = self.schedule.sync_interval_s
        next_start = time.monotonic()
        while not halt.is_set():
            self.health.beat("leader")
            if time.monotonic() < next_start:
                halt.wait(min(next_start - time.monotonic(), 5.0))
                continue
            next_start = time.monotonic() + interval
            next_run_at = datetime.now(timezone.utc) + timedelta(seconds=interval)
            report = run_cycle(self.app, Cancel(halt), self.metrics, next_run_at, self._take_published,
                               on_progress=lambda: self.health.beat("leader"))
            self.health.record_cycle(report.ok)

    # relay -------------------------------------------------------------------------------------------

    def _relay(self) -> None:
        waits = Backoff(self.schedule.retry_max_s, first_s=self.schedule.publish_interval_s)
        schema_ready = False
        while not self.stop.is_set():
            self.health.beat("relay")
            delay = self.schedule.publish_interval_s
            try:
                schema_ready = schema_ready or schema_is_current(self.app.engine)
                if schema_ready:
                    delay = self._relay_once(waits)
                else:
                    log.debug("relay waits for the leader to migrate the schema")
            except UNREACHABLE as exc:
                delay = self._wait_for("database", exc, waits, wait=False)
            except Exception:  # noqa: BLE001 - the relay must outlive one bad drain; the log says what failed
                log.error("publishing failed", exc_info=True)
                delay = waits.next()
            self.stop.wait(delay)
        self.health.forget("relay")

    def _relay_once(self, waits: Backoff) -> float:
        started = time.monotonic()
        result = relay_job(self.app, self.stop)
        self.metrics.record_publish(result, time.monotonic() - started)
        with self._published_lock:
            self._published += result.sent
        self.metrics.refresh_state(self.app.engine, self.app.now())
        if result.unavailable:
            return waits.next()  # drain logged the outage as a warning
        waits.reset()
        return self.schedule.publish_interval_s

    def _take_published(self) -> int:
        with self._published_lock:
            published, self._published = self._published, 0
        return published

    def _wait_for(self, dependency: str, exc: BaseException, waits: Backoff, wait: bool = True) -> float:
        delay = waits.next()
        log.warning(f"{dependency} unreachable; trying again", extra={
            "error": _first_line(exc), "attempt": waits.attempt, "retry_in_s": round(delay, 1)})
        if wait:
            self.stop.wait(delay)
        return delay


def run_service(app: App) -> None:
    """The `run` command: serve until SIGTERM or SIGINT, then exit within `scheduler.stop_grace_s`."""
    service = Service(app)

    def on_signal(signum: int, _frame: object) -> None:
        if service.stop.is_set():
            log.warning("second signal: exiting at once", extra={"signal": signum})
            logging.shutdown()
            os._exit(EXIT_ABANDONED)
        log.info("stopping", extra={"signal": signal.Signals(signum).name,
                                    "stop_grace_s": app.settings.scheduler.stop_grace_s})
        service.stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)
    code = service.start().wait()
    logging.shutdown()
    sys.stdout.flush()
    # Everything is committed, released and logged. Busy threads must not hold the exit, and tearing
    # down a large heap can take seconds the grace does not have: leave without the interpreter's teardown.
    os._exit(code)
