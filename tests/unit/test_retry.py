"""Retries: one budget per call, waits that a stop or a stream deadline ends at once."""
import threading
import time

import pytest

from connectors.cancel import Cancel
from connectors.errors import Stopped, StreamTimeout, TransientError
from connectors.retry import transient_retry


def failing(counter: list[int]):
    def call() -> None:
        counter.append(1)
        raise TransientError("down")
    return call


def test_a_retried_call_inside_another_uses_the_outer_budget():
    inner_calls: list[int] = []
    retrying = transient_retry(4, initial_s=0)
    login = failing(inner_calls)

    def query() -> None:
        retrying(login)  # a login inside a query: no retries of its own

    with pytest.raises(TransientError):
        retrying(query)
    assert len(inner_calls) == 4  # not 4 × 4


def test_separate_policies_nested_still_share_one_budget():
    inner_calls: list[int] = []
    inner, outer = transient_retry(5, initial_s=0), transient_retry(3, initial_s=0)
    with pytest.raises(TransientError):
        outer(lambda: inner(failing(inner_calls)))
    assert len(inner_calls) == 3


def test_a_stop_ends_the_backoff_wait_and_refuses_further_attempts():
    calls: list[int] = []
    stop = threading.Event()
    retrying = transient_retry(6, initial_s=60, cancel=Cancel(stop))  # the first wait alone is a minute
    threading.Timer(0.2, stop.set).start()
    started = time.monotonic()
    with pytest.raises(Stopped):
        retrying(failing(calls))
    assert time.monotonic() - started < 10
    assert len(calls) == 1


def test_a_stopped_cancel_refuses_the_first_attempt():
    stop = threading.Event()
    stop.set()
    calls: list[int] = []
    with pytest.raises(Stopped):
        transient_retry(3, cancel=Cancel(stop))(failing(calls))
    assert calls == []


def test_the_stream_deadline_cuts_a_wait_short_with_a_clear_error():
    cancel = Cancel()
    calls: list[int] = []
    started = time.monotonic()
    with cancel.deadline(0.3, "sap.purchase_orders ran longer than sap.stream_timeout_s=0.3"):
        with pytest.raises(StreamTimeout, match="stream_timeout_s"):
            transient_retry(6, initial_s=60, cancel=cancel)(failing(calls))
    assert time.monotonic() - started < 10
    cancel.check()  # outside the block the deadline no longer applies


def test_success_after_transient_failures_returns_the_value():
    attempts: list[int] = []

    def flaky() -> str:
        attempts.append(1)
        if len(attempts) < 3:
            raise TransientError("503")
        return "ok"

    assert transient_retry(5, initial_s=0)(flaky) == "ok" and len(attempts) == 3
