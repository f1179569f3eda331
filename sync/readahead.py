"""Reading the next page while this one is stored.

A pull spends its time in two places that need not wait for each other: the connector requesting and
parsing a page, and the database storing the one before. `ReadAhead` runs the connector's pages in a
thread of their own, a bounded number ahead, so that while the store waits on the database the next
page is parsed. The pages still come in the order the server gave them, and whatever ends the source
(its last page, an error) ends the reader at the same place: after the pages before it.
"""
import queue
import threading
from contextvars import copy_context
from typing import Generic, Iterator, TypeVar

T = TypeVar("T")
_POLL_S = 0.1  # how often a reader waiting for room looks whether it was closed


class _End:
    """What the source's thread puts after its last page: how the source ended."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error


class ReadAhead(Generic[T]):
    """The items of `source`, read by a thread at most `depth` items ahead of the consumer.

    The thread runs in a copy of the caller's context (the run id in log lines, the retry state), and
    closes `source` itself when it ends. `close()` stops it after the item it is reading and waits for it:
    a request already on the wire is bounded by its own timeouts."""

    def __init__(self, source: Iterator[T], depth: int = 1, name: str = "read-ahead") -> None:
        self._items: queue.SimpleQueue[T | _End] = queue.SimpleQueue()
        self._room = threading.Semaphore(depth)  # the thread reads an item only once one of these is free
        self._closed = threading.Event()
        self._ended = False
        self._thread = threading.Thread(target=copy_context().run, args=(self._read, source), name=name,
                                        daemon=True)
        self._thread.start()

    def _read(self, source: Iterator[T]) -> None:
        try:
            while self._wait_for_room():
                try:
                    item = next(source)
                except StopIteration:
                    self._items.put(_End())
                    return
                self._items.put(item)
        except BaseException as exc:  # noqa: BLE001 - raised again in the consumer, after the items before it
            self._items.put(_End(exc))
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()

    def _wait_for_room(self) -> bool:
        while not self._closed.is_set():
            if self._room.acquire(timeout=_POLL_S):
                return True
        return False

    def __iter__(self) -> Iterator[T]:
        return self

    def __next__(self) -> T:
        if self._ended:
            raise StopIteration
        item = self._items.get()
        if isinstance(item, _End):
            self._ended = True
            self._thread.join()
            if item.error is not None:
                raise item.error
            raise StopIteration
        self._room.release()
        return item

    def close(self) -> None:
        self._ended = True
        self._closed.set()
        self._thread.join()
