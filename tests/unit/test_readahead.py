"""The pages a pull stores come from a reader a page ahead: in order, ending where the source ended."""
import gc
import itertools
import time
import weakref
from contextvars import ContextVar

import pytest

from connectors.errors import PayloadError
from domain.performance import collect_made_since_frozen, collector_paused, older_objects_frozen
from sync.readahead import ReadAhead

run_id: ContextVar[str | None] = ContextVar("test_run_id", default=None)


class Source:
    """A page source that counts what it produced and knows whether it was closed."""

    def __init__(self, pages, fail: Exception | None = None) -> None:
        self.pages, self.fail = pages, fail
        self.produced, self.closed, self.seen_run_id = 0, False, []

    def __iter__(self):
        try:
            for page in self.pages:
                self.produced += 1
                self.seen_run_id.append(run_id.get())
                yield page
            if self.fail is not None:
                raise self.fail
        finally:
            self.closed = True


def test_the_pages_come_in_the_sources_order_and_the_source_is_closed_at_its_end():
    source = Source(range(5))
    reader = ReadAhead(iter(source))
    assert list(reader) == [0, 1, 2, 3, 4]
    assert list(reader) == []
    assert source.closed


def test_an_error_of_the_source_comes_after_the_pages_before_it_as_itself():
    error = PayloadError("SAP answered MoreHitsAvailableIndicator='maybe'")
    reader = ReadAhead(iter(Source(["first", "second"], fail=error)))
    assert next(reader) == "first"
    assert next(reader) == "second"
    with pytest.raises(PayloadError) as raised:
        next(reader)
    assert raised.value is error
    with pytest.raises(StopIteration):
        next(reader)


def test_the_reader_stays_a_bounded_number_of_pages_ahead():
    source = Source(itertools.count())
    reader = ReadAhead(iter(source), depth=2)
    assert next(reader) == 0
    deadline = time.monotonic() + 10
    while source.produced < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)
    # the one taken and two ahead of it: never the endless source
    assert source.produced == 3
    assert next(reader) == 1
    while source.produced < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)
    assert source.produced == 4
    reader.close()


def test_closing_stops_the_reader_and_closes_the_source():
    source = Source(itertools.count())
    reader = ReadAhead(iter(source))
    assert next(reader) == 0
    reader.close()
    assert source.closed
    assert not reader._thread.is_alive()
    with pytest.raises(StopIteration):
        next(reader)


def test_the_source_reads_in_the_context_of_whoever_started_the_pull():
    token = run_id.set("run-7")
    try:
        source = Source(range(3))
        assert list(ReadAhead(iter(source))) == [0, 1, 2]
    finally:
        run_id.reset(token)
    assert source.seen_run_id == ["run-7"] * 3


class Node:
    """A cycle, as lxml's parser makes one per page."""

    def __init__(self) -> None:
        self.itself = self


def test_a_cycle_that_aged_while_its_page_was_in_flight_is_freed_after_the_page():
    with collector_paused(), older_objects_frozen():
        node = Node()
        found = weakref.ref(node)
        gc.collect(1), gc.collect(1)  # the store's collections while the next page was being parsed
        assert gc.is_tracked(node) and found() is node
        del node
        collect_made_since_frozen()
        assert found() is None
