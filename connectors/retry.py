"""Retry policy as data: which errors are transient, how long to wait, when to give up.

One retry budget per call: a retried call made inside another (a login inside a query) is tried
once, and the outer call's attempts cover it, so retries never multiply. Waits go through a
`Cancel`, so a stopping service abandons them at once.
"""
import logging
from contextvars import ContextVar
from typing import Any, Callable

from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential, wait_random

from connectors.cancel import Cancel
from connectors.errors import TransientError

log = logging.getLogger("srm_bridge.connectors")

TRANSIENT = retry_if_exception_type(TransientError)
_inside_retried_call: ContextVar[bool] = ContextVar("inside_retried_call", default=False)


class OneBudgetRetrying(Retrying):
    """`Retrying` that runs a call nested in another retried call once, without retries of its own."""

    def __call__(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if _inside_retried_call.get():
            return fn(*args, **kwargs)
        token = _inside_retried_call.set(True)
        try:
            return super().__call__(fn, *args, **kwargs)
        finally:
            _inside_retried_call.reset(token)


def log_retry(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome else None
    log.warning("transient failure, retrying", extra={
        "attempt": state.attempt_number, "wait_s": round(state.upcoming_sleep, 2), "error": str(error)})


def transient_retry(max_attempts: int, initial_s: float = 1.0, max_wait_s: float = 30.0,
                    wait_hint: Callable[[], float | None] = lambda: None, cancel: Cancel | None = None) -> Retrying:
    """Jittered exponential backoff on `TransientError` only; the last error is re-raised.

    `wait_hint` gives the server's own word (Retry-After) when it said one; it wins when longer.
    `cancel` ends a wait, and refuses a new attempt, once the service stops or the stream's deadline
    passes (`Stopped`, `StreamTimeout`).
    """
    cancel = cancel or Cancel()
    backoff = wait_exponential(multiplier=initial_s, max=max_wait_s) + wait_random(0, initial_s)

    def wait(state: RetryCallState) -> float:
        return max(backoff(state), wait_hint() or 0.0)

    return OneBudgetRetrying(retry=TRANSIENT, wait=wait, stop=stop_after_attempt(max_attempts), reraise=True,
                             before=lambda state: cancel.check(), before_sleep=log_retry, sleep=cancel.sleep)
