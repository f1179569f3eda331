"""A sign of life for a sync run while its stream is pulled, so that `runs` can tell a run whose process
died (shown `abandoned`) from one waiting on a slow page."""
import logging
import threading
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Iterator

from sqlalchemy import Engine

from store import sync_state

log = logging.getLogger("srm_bridge.sync")


@contextmanager
def heartbeat(engine: Engine, row_id: int, every_s: float | None = None) -> Iterator[None]:
    """Mark the run alive every `every_s` (default `sync_state.HEARTBEAT_S`) from a thread of its own until the
    block ends."""
    done = threading.Event()

    def beating() -> None:
        while not done.wait(every_s or sync_state.HEARTBEAT_S):
            try:
                with engine.begin() as connection:
                    sync_state.beat(connection, row_id, datetime.now(timezone.utc))
            except Exception as exc:  # noqa: BLE001 - a missed beat is no failure of the run; the next one may pass
                log.warning("could not mark the run alive", extra={"run_row": row_id, "error": repr(exc)})

    thread = threading.Thread(target=beating, name=f"heartbeat-{row_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
