"""A helper for allocation-heavy, cycle-free computation (measuring KPIs over a large history)."""
import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector; restore it as it was.

    Work that builds a great many small objects but no reference cycles gains nothing from the
    collector walking them again and again. Reference counting still frees them as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
