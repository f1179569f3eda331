"""Cursors, the sync run log and the quarantine."""
from datetime import datetime

from sqlalchemy import Connection, delete, func, select, update

from domain.records import Rejected
from store.records import utc
from store.tables import quarantine, sync_cursors, sync_runs
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


def start_run(connection: Connection, run_id: str, stream: str, started_at: datetime,
              window: tuple[datetime, datetime]) -> int:
    return connection.execute(sync_runs.insert().values(
        run_id=run_id, stream=stream, started_at=started_at, window_start=window[0], window_end=window[1],
        pages=0, pulled=0, stored=0, quarantined=0, outcome="running")).inserted_primary_key[0]


def count_page(connection: Connection, row_id: int, pulled: int, stored: int, quarantined: int, pages: int = 1) -> None:
    connection.execute(update(sync_runs).where(sync_runs.c.id == row_id).values(
        pages=sync_runs.c.pages + pages, pulled=sync_runs.c.pulled + pulled, stored=sync_runs.c.stored + stored,
        quarantined=sync_runs.c.quarantined + quarantined))


def finish_run(connection: Connection, row_id: int, finished_at: datetime, outcome: str, error: str | None = None) -> None:
    connection.execute(update(sync_runs).where(sync_runs.c.id == row_id).values(
        finished_at=finished_at, outcome=outcome, error=error))


def recent_runs(connection: Connection, limit: int = 50) -> list[dict]:
    rows = connection.execute(select(sync_runs).order_by(sync_runs.c.id.desc()).limit(limit)).mappings()
    return [dict(row) for row in rows]


def run_count(connection: Connection) -> int:
    return connection.execute(select(func.count()).select_from(sync_runs)).scalar_one()


def stream_health(connection: Connection) -> list[dict]:
    """Per stream: its last run, last success and last failure (a failed or stopped run, with its error)."""
    r = sync_runs.c
    kinds = {"last": (), "success": (r.outcome == "succeeded",), "failure": (r.outcome.in_(("failed", "stopped")),)}
    latest = {kind: dict(connection.execute(select(r.stream, func.max(r.id)).where(*where).group_by(r.stream)).all())
              for kind, where in kinds.items()}
    ids = {row_id for found in latest.values() for row_id in found.values()}
    runs = {row["id"]: dict(row) for row in connection.execute(select(sync_runs).where(r.id.in_(ids))).mappings()}
    return [{"stream": stream, **{kind: runs.get(latest[kind].get(stream)) for kind in kinds}}
            for stream in sorted(latest["last"])]


def last_cycle(connection: Connection) -> list[dict]:
    """The streams of the latest sync run, one row each."""
    latest = select(sync_runs.c.run_id).order_by(sync_runs.c.id.desc()).limit(1).scalar_subquery()
    rows = connection.execute(select(sync_runs.c.run_id, sync_runs.c.stream, sync_runs.c.outcome,
                                     sync_runs.c.started_at, sync_runs.c.error)
                              .where(sync_runs.c.run_id == latest).order_by(sync_runs.c.id)).mappings()
    return [dict(row) for row in rows]


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
