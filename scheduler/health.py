"""What /healthz and /readyz answer: loop heartbeats, the outcomes of recent cycles, dependency checks.

Liveness: every loop of the service (leader, relay) beats whenever it makes progress; one silent
for `scheduler.stalled_after_s` is stuck, and a restart is the cure. Readiness: the database and
the broker answer now, and the last `scheduler.unhealthy_after` cycles have not all failed.
Dependency checks run on their own threads with a time bound, so a frozen database never hangs a
probe; a check still hanging from an earlier probe counts as failed.
"""
import threading
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Callable

from sqlalchemy import Engine, text

from config import Settings
from sync.publisher import probe_broker

CHECK_TIMEOUT_S = 5.0


class Health:
    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.engine = engine
        self._lock = threading.Lock()
        self._beats: dict[str, float] = {}
        self._cycles: deque[bool] = deque(maxlen=settings.scheduler.unhealthy_after)
        self._checks: dict[str, Future] = {}
        self._executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="readiness")

    def beat(self, loop: str) -> None:
        with self._lock:
            self._beats[loop] = time.monotonic()

    def forget(self, loop: str) -> None:
        """A loop that ended on purpose (the service stops) is no longer watched."""
        with self._lock:
            self._beats.pop(loop, None)

    def record_cycle(self, succeeded: bool) -> None:
        with self._lock:
            self._cycles.append(succeeded)

    def liveness(self) -> tuple[bool, dict]:
        now, limit = time.monotonic(), self.settings.scheduler.stalled_after_s
        with self._lock:
            silent = {loop: round(now - beat, 1) for loop, beat in self._beats.items()}
        stuck = {loop: seconds for loop, seconds in silent.items() if seconds > limit}
        return not stuck, {"loops_silent_s": silent, "stuck": sorted(stuck), "stalled_after_s": limit}

    def readiness(self) -> tuple[bool, dict]:
        checks = {"database": self._bounded("database", self._database), "broker": self._bounded("broker", self._broker)}
        with self._lock:
            cycles = list(self._cycles)
        failing = len(cycles) == self._cycles.maxlen and not any(cycles)
        checks["cycles"] = (f"the last {len(cycles)} cycles failed" if failing else "ok")
        return all(result == "ok" for result in checks.values()), checks

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _bounded(self, name: str, check: Callable[[], None]) -> str:
        with self._lock:
            future = self._checks.get(name)
            if future is None or future.done():
                future = self._checks[name] = self._executor.submit(check)
        try:
            future.result(timeout=CHECK_TIMEOUT_S)
        except FutureTimeout:
            return f"no answer within {CHECK_TIMEOUT_S:g} s"
        except Exception as exc:  # noqa: BLE001 - any failure of the check is the answer
            return f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
        return "ok"

    def _database(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def _broker(self) -> None:
        probe_broker(self.settings.broker)
