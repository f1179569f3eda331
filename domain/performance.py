"""A helper for allocation-heavy computation that makes few reference cycles (reading, tallying and
measuring a large history)."""
import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector; restore it as it was.

    Work that builds a great many small objects but few reference cycles gains nothing from the
    collector walking them (and everything the process holds) again and again: a scoring batch spent
    a fifth of its time there. Reference counting still frees them as usual; the few cycles (a database
    cursor's, say) wait until the collector runs again after the block.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def older_objects_frozen() -> Iterator[None]:
    """Set aside every object made before the block from the collector (`gc.freeze`), so that a full
    collection within it walks only what the block made; afterwards they are collected as before.

    A pull that parses the next page in a thread while it stores this one always has a page in flight:
    a collection of the young generations ages that page's objects, and the cycles among them (lxml's
    parser, one per page) became garbage only once old, where a young collection never looks. They
    piled up with the pages (1.5 times the peak memory at 5,000 suppliers)."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def collect_made_since_frozen() -> None:
    """Within `older_objects_frozen`: free every cycle among the objects made since the block began."""
    gc.collect()
