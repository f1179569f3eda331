"""Work repeated from a thread of its own while a block runs (`ticking`): a sync run's heartbeat, which lets
`runs` tell a run whose process died (shown `abandoned`) from one waiting on a slow page, and a pull's progress
line (`sync.streams`)."""
import logging
import threading
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timezone
from typing import Callable, Iterator

from sqlalchemy import Engine

from store import sync_state

log = logging.getLogger("srm_bridge.sync")


@contextmanager
def ticking(every_s: float, tick: Callable[[], None], name: str) -> Iterator[None]:
    """Call `tick` every `every_s` seconds from a daemon thread named `name` until the block ends; the block ends
    once a tick under way has returned."""
    done = threading.Event()

    def ticks() -> None:
        while not done.wait(every_s):
            tick()

    thread = threading.Thread(target=ticks, name=name, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def heartbeat(engine: Engine, row_id: int, every_s: float | None = None) -> AbstractContextManager[None]:
    """Mark the run alive every `every_s` (default `sync_state.HEARTBEAT_S`) until the block ends."""
    def beat() -> None:
        try:
            with engine.begin() as connection:
                sync_state.beat(connection, row_id, datetime.now(timezone.utc))
        except Exception as exc:  # noqa: BLE001 - a missed beat is no failure of the run; the next one may pass
            log.warning("could not mark the run alive", extra={"run_row": row_id, "error": repr(exc)})

    return ticking(every_s or sync_state.HEARTBEAT_S, beat, f"heartbeat-{row_id}")
