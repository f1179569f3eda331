"""Retry policy as data: which errors are transient, how long to wait, when to give up."""
import logging
from typing import Callable

from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential, wait_random

from connectors.errors import TransientError

log = logging.getLogger("srm_bridge.connectors")

TRANSIENT = retry_if_exception_type(TransientError)


def log_retry(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome else None
    log.warning("transient failure, retrying", extra={
        "attempt": state.attempt_number, "wait_s": round(state.upcoming_sleep, 2), "error": str(error)})


def transient_retry(max_attempts: int, initial_s: float = 1.0, max_wait_s: float = 30.0,
                    wait_hint: Callable[[], float | None] = lambda: None) -> Retrying:
    """Jittered exponential backoff on `TransientError` only; the last error is re-raised.

    `wait_hint` gives the server's own word (Retry-After) when it said one; it wins when longer.
    """
    backoff = wait_exponential(multiplier=initial_s, max=max_wait_s) + wait_random(0, initial_s)

    def wait(state: RetryCallState) -> float:
        return max(backoff(state), wait_hint() or 0.0)

    return Retrying(retry=TRANSIENT, wait=wait,
                    stop=stop_after_attempt(max_attempts), reraise=True, before_sleep=log_retry)
