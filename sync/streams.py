"""The streams srm-bridge pulls, each with its own cursor, and how one stream's pull runs.

A pull never raises: whatever ends it (the server's "no more", a connector error, a stop, its
deadline, a bug) is recorded on its `sync_runs` row and returned, so one stream's failure never
keeps the other streams or scoring from running.
"""
import logging
import re
import time
from contextlib import AbstractContextManager, closing
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterator

from sqlalchemy import Connection, Engine

from config.masking import mask_secrets
from connectors.cancel import Cancel
from connectors.errors import ConnectorError, LimitExceeded, Stopped
from domain.performance import collect_made_since_frozen, collector_paused, older_objects_frozen
from domain.records import Page, Rejected
from store.sync_state import (
    add_progress,
    clear_progress,
    count_page,
    finish_run,
    quarantine_records,
    read_cursor,
    read_progress,
    restore_cursor,
    start_run,
    write_cursor,
)
from sync.heartbeat import heartbeat, ticking
from sync.pages import screen, store_in
from sync.readahead import ReadAhead

log = logging.getLogger("srm_bridge.sync")
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
PROGRESS_EVERY_S = 10.0
LOG_LEVEL = {"succeeded": logging.INFO, "stopped": logging.WARNING, "failed": logging.ERROR}
PageHook = Callable[[str, int, int, int], None]  # stream, pulled, stored, quarantined: after each committed page


@dataclass(frozen=True)
class Stream:
    name: str  # "<source>.<what>": the source names the settings section
    fetch: Callable[..., Iterator[Page]]  # (since, until), and the keys finished before when it `resumes`
    store: Callable[[Connection, list], list[Rejected]]  # returns what it refused to store
    overlap: timedelta
    settle: timedelta
    timeout_s: float | None = None  # bounded total time of one pull: `<source>.stream_timeout_s`
    supplier_ids: re.Pattern | None = None  # the supplier ids taken; records naming others are quarantined
    secrets: frozenset[str] = frozenset()  # masked in the error recorded for the run (`config.masking`)
    resumes: bool = False  # fetch(since, until, done) skips the keys a pull interrupted in its window finished
    tables: tuple[str, ...] = ()  # what `store` writes: their statistics are refreshed after a large pull

    @property
    def source(self) -> str:
        return self.name.split(".", 1)[0]


@dataclass
class StreamResult:
    stream: str
    outcome: str = "running"
    pages: int = 0
    pulled: int = 0
    stored: int = 0
    quarantined: int = 0
    error: str | None = None
    duration_s: float = 0.0


def pull(engine: Engine, stream: Stream, run_id: str, now: datetime, full: bool = False,
         since: datetime | None = None, cancel: Cancel | None = None, on_page: PageHook | None = None) -> StreamResult:
    """Read `[cursor − overlap, now − settle)` page by page; each page commits with its cursor.

    The cursor follows the largest change time stored only while pages come in change-time order.
    From the first page that does not (`Page.ordered` false), it goes back to where the run found it
    and moves only once the whole window is read: a failure then re-reads the window, never skips it.
    A record the store refuses for now (`Rejected.waits`: a reversal read before its original) is
    stored again once the window is read, and quarantined only if it is refused again; the cursor
    then waits for the window's end too. `cancel` ends the pull after the page in hand is committed,
    and bounds it by `stream.timeout_s`. The connector reads the next page while one is stored (`sync.readahead`).
    """
    cancel = cancel or Cancel()
    result = StreamResult(stream.name)
    started = time.monotonic()
    row_id: int | None = None
    try:
        with engine.connect() as connection:
            cursor = read_cursor(connection, stream.name)
            progress = read_progress(connection, stream.name) if stream.resumes else None
        lower = since or (EPOCH if full or cursor is None else cursor - stream.overlap)
        upper = now - stream.settle
        done: frozenset[str] = frozenset()
        if progress is not None and not full and since is None:
            (lower, upper), done = progress
            log.info("resuming an interrupted pull in its window", extra={
                "run_id": run_id, "stream": stream.name, "finished": len(done), "window_end": str(upper)})
        with engine.begin() as connection:
            if progress is not None and not done:
                clear_progress(connection, stream.name)
            row_id = start_run(connection, run_id, stream.name, now, (lower, upper))
        over_time = (f"{stream.name} ran longer than {stream.source}.stream_timeout_s={stream.timeout_s:g}; "
                     "its cursor stays where its committed pages left it") if stream.timeout_s else ""
        position, waiting = _Position(stream.name, cursor, upper, (lower, upper) if stream.resumes else None), []
        fetched = stream.fetch(lower, upper, done) if stream.resumes else stream.fetch(lower, upper)
        with _progress(result, run_id, started), heartbeat(engine, row_id), \
                cancel.deadline(stream.timeout_s, over_time), collector_paused(), older_objects_frozen(), \
                closing(ReadAhead(fetched, 2, f"read-{stream.name}")) as pages:  # the next pages parsed meanwhile
            for page in pages:
                counts = _store_page(engine, stream, run_id, row_id, page, position, waiting, now, result)
                collect_made_since_frozen()
                if on_page:
                    on_page(stream.name, *counts)
                cancel.check()
        if waiting:
            _store_waiting(engine, stream, run_id, row_id, waiting, now, result)
        with engine.begin() as connection:
            write_cursor(connection, stream.name, max(filter(None, (cursor, upper))), now)
            clear_progress(connection, stream.name)  # also what a pull of another profile left
            finish_run(connection, row_id, datetime.now(timezone.utc), "succeeded")
        result.outcome = "succeeded"
    except ConnectorError as exc:
        result.outcome = "stopped" if isinstance(exc, (LimitExceeded, Stopped)) else "failed"
        result.error = f"{type(exc).__name__}: {exc}"
    except Exception as exc:  # noqa: BLE001 - recorded as failed with its traceback; the other streams go on
        result.outcome, result.error = "failed", f"internal error: {exc!r}"
        log.error("stream failed unexpectedly", exc_info=True, extra={"run_id": run_id, "stream": stream.name})
    if result.error:
        result.error = mask_secrets(result.error, stream.secrets)
    if row_id is not None and result.outcome != "succeeded":
        _finish_quietly(engine, row_id, result)
    result.duration_s = round(time.monotonic() - started, 3)
    log.log(LOG_LEVEL[result.outcome], f"stream {result.outcome}", extra={
        "run_id": run_id, "stream": stream.name, "outcome": result.outcome, "pages": result.pages,
        "pulled": result.pulled, "stored": result.stored, "quarantined": result.quarantined, "error": result.error,
        "duration_s": result.duration_s})
    return result


@dataclass
class _Position:
    """The cursor during a pull: it follows the pages only while they come in change-time order."""

    stream: str
    found: datetime | None  # where the run found it
    upper: datetime
    window: tuple[datetime, datetime] | None  # a resumable pull's: what each page finishes is recorded in it
    in_order: bool = True
    moved: bool = False

    def after(self, connection: Connection, page: Page, waits: bool, now: datetime) -> None:
        if self.in_order and (not page.ordered or waits):
            self.in_order = False
            if self.moved:
                restore_cursor(connection, self.stream, self.found, now)
        elif self.in_order and page.cursor is not None:
            write_cursor(connection, self.stream, max(filter(None, (self.found, min(page.cursor, self.upper)))), now)
            self.moved = True


def _store_page(engine: Engine, stream: Stream, run_id: str, row_id: int, page: Page, position: _Position,
                waiting: list, now: datetime, result: StreamResult) -> tuple[int, int, int]:
    """One transaction: the page's records, its quarantine, its cursor and its count on the run row; the records
    the store can take only later are added to `waiting`. No record fails the page (`sync.pages`)."""
    records, screened = screen(page.records, stream.supplier_ids)

    def close(connection: Connection, refused: list[Rejected]) -> tuple[int, int, int]:
        later = {r.key for r in refused if r.waits}
        waiting.extend(record for record in records if record.key in later)
        rejected = page.rejected + screened + [r for r in refused if not r.waits]
        quarantine_records(connection, run_id, stream.name, rejected, now)
        position.after(connection, page, bool(later), now)
        if position.window is not None:
            add_progress(connection, stream.name, position.window, {r.key for r in page.records + page.rejected})
        pulled = len(page.records) + len(page.rejected)
        stored = pulled - len(rejected) - len(later)
        count_page(connection, row_id, pulled, stored, len(rejected))
        return pulled, stored, len(rejected)

    pulled, stored, quarantined = store_in(engine, stream.store, records, close)
    result.pages += 1
    result.pulled += pulled
    result.stored += stored
    result.quarantined += quarantined
    return pulled, stored, quarantined


def _store_waiting(engine: Engine, stream: Stream, run_id: str, row_id: int, waiting: list, now: datetime,
                   result: StreamResult) -> None:
    """The records that waited for the end of the window: stored now, or quarantined with the store's reason."""
    def close(connection: Connection, refused: list[Rejected]) -> int:
        rejected = [r.model_copy(update={"waits": False}) for r in refused]
        quarantine_records(connection, run_id, stream.name, rejected, now)
        count_page(connection, row_id, 0, len(waiting) - len(rejected), len(rejected), pages=0)
        return len(rejected)

    quarantined = store_in(engine, stream.store, waiting, close)
    result.stored += len(waiting) - quarantined
    result.quarantined += quarantined


def _finish_quietly(engine: Engine, row_id: int, result: StreamResult) -> None:
    try:
        with engine.begin() as connection:
            finish_run(connection, row_id, datetime.now(timezone.utc), result.outcome, result.error)
    except Exception as exc:  # noqa: BLE001 - the database may be what failed; the outcome is logged anyway
        log.warning("could not record the stream's outcome", extra={"stream": result.stream, "error": repr(exc)})


def _progress(result: StreamResult, run_id: str, started: float) -> AbstractContextManager[None]:
    """While the pull runs, log how far it got every `PROGRESS_EVERY_S` seconds."""
    def report() -> None:
        log.info("stream pulling", extra={
            "run_id": run_id, "stream": result.stream, "pages": result.pages, "pulled": result.pulled,
            "stored": result.stored, "quarantined": result.quarantined,
            "elapsed_s": round(time.monotonic() - started, 1)})

    return ticking(PROGRESS_EVERY_S, report, f"progress-{result.stream}")
