"""Cursors, the sync run log and the quarantine.

A run row names the process running it (host and pid) and carries its heartbeat, which a running pull
renews every `HEARTBEAT_S`. A run still `running` whose process is gone (on this host), or that has not
been heard from for `SILENT_S`, is shown `abandoned`, and the next sync records it so.
"""
import os
import socket
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import Connection, delete, func, select, update

from domain.records import Rejected
from store.records import utc
from store.tables import quarantine, sync_cursors, sync_progress, sync_runs
from store.upsert import upsert


def read_cursor(connection: Connection, stream: str) -> datetime | None:
    return utc(connection.execute(select(sync_cursors.c.position).where(sync_cursors.c.stream == stream)).scalar())


def write_cursor(connection: Connection, stream: str, position: datetime, now: datetime) -> None:
    upsert(connection, sync_cursors, [{"stream": stream, "position": position, "updated_at": now}], ["stream"])


def restore_cursor(connection: Connection, stream: str, position: datetime | None, now: datetime) -> None:
    """Put a cursor back where a run found it (no cursor: none)."""
    if position is None:
        connection.execute(delete(sync_cursors).where(sync_cursors.c.stream == stream))
    else:
        write_cursor(connection, stream, position, now)


def read_progress(connection: Connection, stream: str) -> tuple[tuple[datetime, datetime], frozenset[str]] | None:
    """The window of a pull that was interrupted, and the keys it finished; None when none was."""
    p = sync_progress.c
    rows = connection.execute(select(p.key, p.window_start, p.window_end).where(p.stream == stream)).all()
    if not rows:
        return None
    return (utc(rows[0].window_start), utc(rows[0].window_end)), frozenset(row.key for row in rows)


def add_progress(connection: Connection, stream: str, window: tuple[datetime, datetime], keys: set[str]) -> None:
    """Keys the pull of `window` has finished (their records committed in the same transaction)."""
    if keys:
        upsert(connection, sync_progress, [{"stream": stream, "key": key, "window_start": window[0],
                                             "window_end": window[1]} for key in sorted(keys)], ["stream", "key"])


def clear_progress(connection: Connection, stream: str) -> None:
    connection.execute(delete(sync_progress).where(sync_progress.c.stream == stream))


HEARTBEAT_S = 30.0  # how often a running pull marks its run alive
SILENT_S = 120.0  # a running run not heard from for this long has lost its process


def this_process() -> tuple[str, int]:
    return socket.gethostname(), os.getpid()


def start_run(connection: Connection, run_id: str, stream: str, started_at: datetime,
              window: tuple[datetime, datetime], owner: tuple[str, int] | None = None) -> int:
    """A `running` row owned by this process (or `owner`: host, pid), alive as of now."""
    host, pid = owner or this_process()
    return connection.execute(sync_runs.insert().values(
        run_id=run_id, stream=stream, started_at=started_at, window_start=window[0], window_end=window[1],
        pages=0, pulled=0, stored=0, quarantined=0, outcome="running", host=host[:255], pid=pid,
        heartbeat_at=datetime.now(timezone.utc))).inserted_primary_key[0]


def beat(connection: Connection, row_id: int, now: datetime) -> None:
    connection.execute(update(sync_runs).where(sync_runs.c.id == row_id, sync_runs.c.outcome == "running")
                       .values(heartbeat_at=now))


def process_alive(pid: int) -> bool:
    """Whether a process with this id runs on this host (a zombie, dead but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except (OSError, IndexError):
        return True  # no /proc here: the signal said it exists


def abandoned(run: dict, now: datetime, here: tuple[str, int]) -> str | None:
    """Why a run recorded as `running` is not running any more, or None when it may well be."""
    if run["outcome"] != "running":
        return None
    owner = f"{run['host']} pid {run['pid']}" if run["host"] else "an earlier release"
    if run["host"] == here[0] and run["pid"] is not None and not process_alive(run["pid"]):
        return f"its process ({owner}) is gone"
    last = utc(run["heartbeat_at"] or run["started_at"])
    if now - last > timedelta(seconds=SILENT_S):
        return f"its process ({owner}) has not been heard from since {last:%Y-%m-%d %H:%M:%S} UTC"
    return None


def _as_known(run: dict, now: datetime, here: tuple[str, int]) -> dict:
    why = abandoned(run, now, here)
    return run if why is None else {**run, "outcome": "abandoned", "error": f"abandoned: {why}"}


def abandon_dead_runs(connection: Connection, now: datetime) -> int:
    """Record as `abandoned` the runs left `running` by a process that died; returns how many."""
    here, found = this_process(), 0
    for run in connection.execute(select(sync_runs).where(sync_runs.c.outcome == "running")).mappings().all():
        known = _as_known(dict(run), now, here)
        if known["outcome"] == "abandoned":
            found += connection.execute(update(sync_runs).where(sync_runs.c.id == run["id"],
                                                                sync_runs.c.outcome == "running")
                                        .values(outcome="abandoned", error=known["error"])).rowcount
    return found


def count_page(connection: Connection, row_id: int, pulled: int, stored: int, quarantined: int, pages: int = 1) -> None:
    connection.execute(update(sync_runs).where(sync_runs.c.id == row_id).values(
        pages=sync_runs.c.pages + pages, pulled=sync_runs.c.pulled + pulled, stored=sync_runs.c.stored + stored,
        quarantined=sync_runs.c.quarantined + quarantined))


def finish_run(connection: Connection, row_id: int, finished_at: datetime, outcome: str, error: str | None = None) -> None:
    connection.execute(update(sync_runs).where(sync_runs.c.id == row_id).values(
        finished_at=finished_at, outcome=outcome, error=error))


def recent_runs(connection: Connection, limit: int = 50, now: datetime | None = None) -> list[dict]:
    """The latest runs, newest first; one whose process died shows as `abandoned`."""
    now, here = now or datetime.now(timezone.utc), this_process()
    rows = connection.execute(select(sync_runs).order_by(sync_runs.c.id.desc()).limit(limit)).mappings()
    return [_as_known(dict(row), now, here) for row in rows]


def run_count(connection: Connection) -> int:
    return connection.execute(select(func.count()).select_from(sync_runs)).scalar_one()


def stream_health(connection: Connection) -> list[dict]:
    """Per stream: its last run, last success and last failure (a failed or stopped run, with its error)."""
    r = sync_runs.c
    kinds = {"last": (), "success": (r.outcome == "succeeded",),
             "failure": (r.outcome.in_(("failed", "stopped", "abandoned")),)}
    latest = {kind: dict(connection.execute(select(r.stream, func.max(r.id)).where(*where).group_by(r.stream)).all())
              for kind, where in kinds.items()}
    ids = {row_id for found in latest.values() for row_id in found.values()}
    runs = {row["id"]: dict(row) for row in connection.execute(select(sync_runs).where(r.id.in_(ids))).mappings()}
    return [{"stream": stream, **{kind: runs.get(latest[kind].get(stream)) for kind in kinds}}
            for stream in sorted(latest["last"])]


def last_cycle(connection: Connection) -> list[dict]:
    """The streams of the latest sync run, one row each."""
    latest = select(sync_runs.c.run_id).order_by(sync_runs.c.id.desc()).limit(1).scalar_subquery()
    rows = connection.execute(select(sync_runs).where(sync_runs.c.run_id == latest).order_by(sync_runs.c.id)).mappings()
    now, here = datetime.now(timezone.utc), this_process()
    return [{key: run[key] for key in ("run_id", "stream", "outcome", "started_at", "error")}
            for run in (_as_known(dict(row), now, here) for row in rows)]


def quarantine_records(connection: Connection, run_id: str, stream: str, rejected: list[Rejected], now: datetime) -> None:
    """Keep what was refused: its raw content as bytes, whatever they are; key and reason as printable text."""
    if rejected:
        connection.execute(quarantine.insert(), [
            {"run_id": run_id, "stream": stream, "record_key": printable(r.key)[:120], "reason": printable(r.reason),
             "raw": r.raw.encode("utf-8", "surrogatepass") if isinstance(r.raw, str) else r.raw, "created_at": now}
            for r in rejected])


def printable(text: str) -> str:
    """Control characters (NUL above all, which PostgreSQL text refuses) written as escapes."""
    return "".join(c if c.isprintable() or c in "\t\n" else c.encode("unicode_escape").decode("ascii") for c in text)


def quarantined(connection: Connection, limit: int = 200) -> list[dict]:
    """The latest quarantined records, their raw content shown as text (bytes that are not UTF-8 escaped)."""
    rows = connection.execute(select(quarantine).order_by(quarantine.c.id.desc()).limit(limit)).mappings()
    return [_shown(row) for row in rows]


def quarantine_count(connection: Connection) -> int:
    return connection.execute(select(func.count()).select_from(quarantine)).scalar_one()


def quarantine_entry(connection: Connection, entry_id: int) -> dict | None:
    row = connection.execute(select(quarantine).where(quarantine.c.id == entry_id)).mappings().first()
    return None if row is None else _shown(row)


def _shown(row) -> dict:  # noqa: ANN001 - a result row mapping
    """The entry with its raw bytes as text: UTF-8 where they are, escapes where they are not."""
    return {**row, "raw": bytes(row["raw"]).decode("utf-8", "backslashreplace")}
