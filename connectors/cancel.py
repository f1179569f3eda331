"""When a pull must give up waiting: the service is stopping, or the stream ran past its deadline.

The service hands one `Cancel` to the connectors it builds for a cycle, and `sync.streams` sets
the deadline of the stream being pulled. Retry back-offs and polls sleep through `Cancel.sleep`,
so a stop ends them at once instead of after the wait. A request already on the wire is bounded
by its own timeouts, not by this.
"""
import threading
import time
from contextlib import contextmanager
from typing import Iterator

from connectors.errors import Stopped, StreamTimeout


class Cancel:
    def __init__(self, stop: threading.Event | None = None) -> None:
        self.stop = stop or threading.Event()
        self._deadline: tuple[float, str] | None = None

    def check(self) -> None:
        """Raise `Stopped` once stop is set, `StreamTimeout` once the current stream's deadline has passed."""
        if self.stop.is_set():
            raise Stopped("stopping: the stream ends at its last committed page and resumes from there next run")
        deadline = self._deadline
        if deadline is not None and time.monotonic() >= deadline[0]:
            raise StreamTimeout(deadline[1])

    def sleep(self, seconds: float) -> None:
        """Wait up to `seconds`, less if the deadline comes first; then `check()`."""
        deadline = self._deadline
        if deadline is not None:
            seconds = min(seconds, deadline[0] - time.monotonic())
        self.stop.wait(max(0.0, seconds))
        self.check()

    @contextmanager
    def deadline(self, seconds: float | None, message: str) -> Iterator[None]:
        """Within the block, waits end and `check()` raises `StreamTimeout(message)` after `seconds`."""
        previous = self._deadline
        self._deadline = None if seconds is None else (time.monotonic() + seconds, message)
        try:
            yield
        finally:
            self._deadline = previous
