"""Fault injection shared by the stand-ins: flaky endpoints on demand, for tests and operators."""
import random
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Faults:
    fail_rate: float = 0.0        # share of requests answered 503 with an HTML page
    latency_ms: int = 0           # added to every request
    timeout_rate: float = 0.0     # share of requests that stall for `stall_s`
    stall_s: float = 30.0
    fault_on_page: int | None = None  # the Nth data request answers with a business fault
    return_error_on: int | None = None  # BAPI stand-in: the Nth call answers 200 with a RETURN row of type E
    seed: int = 0
    _requests: int = field(default=0, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def next(self) -> tuple[int, str | None]:
        """Count a data request; return its number and the fault to inject, if any."""
        with self._lock:
            self._requests += 1
            number = self._requests
            roll = self._rng.random()
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)
        if self.fault_on_page is not None and number == self.fault_on_page:
            return number, "business"
        if self.return_error_on is not None and number == self.return_error_on:
            return number, "return_error"
        if roll < self.fail_rate:
            return number, "unavailable"
        if roll < self.fail_rate + self.timeout_rate:
            time.sleep(self.stall_s)
            return number, "unavailable"
        return number, None


UNAVAILABLE_PAGE = b"<html><head><title>503 Service Unavailable</title></head><body>ICM: service unavailable</body></html>"
