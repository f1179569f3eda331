"""The run a log line belongs to, without passing it through every call.

A cycle or command sets its run id once (`running`); the `RunIdFilter` on the log handler stamps
every record made in that context, whichever module logs it.
"""
import logging
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator

_run_id: ContextVar[str | None] = ContextVar("run_id", default=None)


@contextmanager
def running(run_id: str) -> Iterator[str]:
    token = _run_id.set(run_id)
    try:
        yield run_id
    finally:
        _run_id.reset(token)


def current_run_id() -> str | None:
    return _run_id.get()


class RunIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "run_id", None) is None:
            run_id = _run_id.get()
            if run_id is not None:
                record.run_id = run_id
        return True
