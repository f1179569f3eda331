"""The background ticker behind a run's heartbeat and a pull's progress line."""
import threading
import time

from sync.heartbeat import ticking


def test_ticks_repeat_on_their_own_thread_until_the_block_ends_and_never_after():
    names: list[str] = []
    third = threading.Event()

    def tick() -> None:
        names.append(threading.current_thread().name)
        if len(names) == 3:
            third.set()

    with ticking(0.01, tick, "ticker-under-test"):
        assert third.wait(30)
    ticked = len(names)
    time.sleep(0.1)
    assert len(names) == ticked and set(names) == {"ticker-under-test"}
    assert "ticker-under-test" not in {thread.name for thread in threading.enumerate()}


def test_the_block_ends_once_the_tick_under_way_has_returned():
    started, returned = threading.Event(), []

    def slow_tick() -> None:
        started.set()
        time.sleep(0.3)
        returned.append(True)

    with ticking(0.01, slow_tick, "slow-ticker"):
        assert started.wait(30)
    assert returned


def test_a_block_shorter_than_the_interval_neither_ticks_nor_waits_for_it():
    ticks: list[None] = []
    with ticking(3600, lambda: ticks.append(None), "idle-ticker"):
        pass
    assert ticks == []
