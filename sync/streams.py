"""The streams srm-bridge pulls, each with its own cursor, and how one stream's pull runs."""
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterator

from sqlalchemy import Connection, Engine

from connectors.errors import ConnectorError, LimitExceeded
from domain.records import Page, Rejected
from store.sync_state import count_page, finish_run, quarantine_records, read_cursor, start_run, write_cursor

log = logging.getLogger("srm_bridge.sync")
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Stream:
    name: str
    fetch: Callable[[datetime, datetime], Iterator[Page]]
    store: Callable[[Connection, list], list[Rejected]]  # returns what it refused to store
    overlap: timedelta
    settle: timedelta


@dataclass
class StreamResult:
    stream: str
    outcome: str = "running"
    pages: int = 0
    pulled: int = 0
    stored: int = 0
    quarantined: int = 0
    error: str | None = None


def pull(engine: Engine, stream: Stream, run_id: str, now: datetime, full: bool = False,
         since: datetime | None = None) -> StreamResult:
    """Read `[cursor − overlap, now − settle)` page by page; each page commits with its cursor."""
    with engine.connect() as connection:
        cursor = read_cursor(connection, stream.name)
    lower = since or (EPOCH if full or cursor is None else cursor - stream.overlap)
    upper = now - stream.settle
    result = StreamResult(stream.name)
    with engine.begin() as connection:
        row_id = start_run(connection, run_id, stream.name, now, (lower, upper))
    started = time.monotonic()
    try:
        for page in stream.fetch(lower, upper):
            with engine.begin() as connection:
                rejected = page.rejected + stream.store(connection, page.records)
                quarantine_records(connection, run_id, stream.name, rejected, now)
                if page.cursor is not None:
                    write_cursor(connection, stream.name, max(filter(None, (cursor, min(page.cursor, upper)))), now)
                pulled = len(page.records) + len(page.rejected)
                count_page(connection, row_id, pulled, pulled - len(rejected), len(rejected))
            result.pages += 1
            result.pulled += pulled
            result.stored += pulled - len(rejected)
            result.quarantined += len(rejected)
        with engine.begin() as connection:
            write_cursor(connection, stream.name, max(filter(None, (cursor, upper))), now)
            finish_run(connection, row_id, datetime.now(timezone.utc), "succeeded")
        result.outcome = "succeeded"
    except ConnectorError as exc:
        result.outcome = "stopped" if isinstance(exc, LimitExceeded) else "failed"
        result.error = f"{type(exc).__name__}: {exc}"
        with engine.begin() as connection:
            finish_run(connection, row_id, datetime.now(timezone.utc), result.outcome, result.error)
    except Exception as exc:
        with engine.begin() as connection:
            finish_run(connection, row_id, datetime.now(timezone.utc), "failed", f"internal error: {exc!r}")
        raise
    log.info("stream pulled", extra={"run_id": run_id, "stream": stream.name, "outcome": result.outcome,
                                     "pages": result.pages, "pulled": result.pulled, "stored": result.stored,
                                     "quarantined": result.quarantined, "error": result.error,
                                     "duration_s": round(time.monotonic() - started, 3)})
    return result
