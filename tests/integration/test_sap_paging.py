"""Paging fails closed: a stream ends only on SAP's explicit "no more" (scripted answers over real HTTP)."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from config import load_settings
from connectors.errors import PayloadError
from scheduler.bootstrap import App
from store.sync_state import read_cursor, recent_runs, write_cursor
from store.tables import purchase_orders
from sync.pipeline import run_sync
from tests.support.sap_answers import ScriptedAnswers, Servers, envelope, order, paging
from sandbox import http

SINCE, UNTIL = datetime(1970, 1, 1, tzinfo=timezone.utc), datetime(2100, 1, 1, tzinfo=timezone.utc)


def page(*ids: str, more: bool | str | None = True, last: str | None = "same", block: str = "ProcessingConditions",
         returned: int | None = -1) -> bytes:
    """A page of these orders; by default "more", its last id the last order's, its hit count right."""
    last_id = ids[-1] if last == "same" and ids else (None if last == "same" else last)
    return envelope("".join(order(po_id=po_id) for po_id in ids),
                    paging(more, last_id, len(ids) if returned == -1 else returned, block))


FIRST = page("4500000001", "4500000002")
FAILURES = {
    "block missing": (page("4500000003", more=None), "without a ProcessingConditions block"),
    "block under another name": (page("4500000003", block="ResponseProcessingConditions"),
                                 "without a ProcessingConditions block"),
    "block twice": (page("4500000003").replace(b"<Log>", paging(False, returned=1).encode() + b"<Log>"),
                    "with several ProcessingConditions"),
    "indicator unreadable": (page("4500000003", more="maybe"), "MoreHitsAvailableIndicator='maybe'"),
    "indicator empty": (page("4500000003", more=""), "MoreHitsAvailableIndicator=''"),
    "more without a last id": (page("4500000003", last=None), "without LastReturnedObjectID after '4500000002'"),
    "more with the last id again": (page("4500000003", last="4500000002"), "'4500000002' was returned before"),
    "more with no objects": (page(last="4500000009"), "with no objects after '4500000002'"),
    "hit count wrong": (page("4500000003", returned=5), "ReturnedQueryHitsNumberValue='5' with 1 objects"),
    "hit count unreadable": (page("4500000003", returned="x"), "ReturnedQueryHitsNumberValue='x'"),
}


@pytest.fixture
def scripted():
    servers = Servers()
    yield servers
    servers.stop()


def test_pages_are_read_until_the_server_says_no_more(scripted):
    connector = scripted.connector(FIRST, page("4500000003"), page("4500000004", more=False))
    assert [o.id for p in connector.purchase_orders(SINCE, UNTIL) for o in p.records] == [
        "4500000001", "4500000002", "4500000003", "4500000004"]


@pytest.mark.parametrize("second, reason", FAILURES.values(), ids=FAILURES.keys())
def test_a_paging_failure_fails_the_stream(scripted, second, reason):
    pages = scripted.connector(FIRST, second, page("4500000009", more=False)).purchase_orders(SINCE, UNTIL)
    assert [o.id for o in next(pages).records] == ["4500000001", "4500000002"]
    with pytest.raises(PayloadError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        next(pages)


def test_a_first_page_without_its_paging_block_fails_too(scripted):
    with pytest.raises(PayloadError, match="without a ProcessingConditions block"):
        list(scripted.connector(page("4500000001", more=None)).purchase_orders(SINCE, UNTIL))


def test_a_cycle_of_any_length_fails_the_stream(scripted):
    """A, B, A: not an immediate repeat, still a cycle."""
    connector = scripted.connector(page("A"), page("B"), page("A"), page("B"))
    pages = connector.purchase_orders(SINCE, UNTIL)
    next(pages), next(pages)
    with pytest.raises(PayloadError, match="paging cycles: LastReturnedObjectID 'A' was returned before"):
        next(pages)


@pytest.mark.parametrize("second, reason", FAILURES.values(), ids=FAILURES.keys())
def test_a_paging_failure_marks_the_run_failed_and_keeps_the_cursor(sqlite_engine, second, reason):
    answers = ScriptedAnswers(FIRST, second, page("4500000009", more=False))
    server = http.start(answers)
    try:
        settings = load_settings(sap={"purchase_orders": {"url": server.url + answers.path}, "max_attempts": 1,
                                      "settle_seconds": 0})
        now = datetime(2026, 7, 1, tzinfo=timezone.utc)
        before = now - timedelta(days=3)
        with sqlite_engine.begin() as connection:
            write_cursor(connection, "sap.purchase_orders", before, now)
        [result] = run_sync(sqlite_engine, App(settings=settings, engine=sqlite_engine).streams(["sap"])[:1], now).streams
    finally:
        server.stop()
    assert result.outcome == "failed" and reason.split("'")[0] in result.error
    with sqlite_engine.connect() as connection:
        assert read_cursor(connection, "sap.purchase_orders") == before
        assert recent_runs(connection)[0]["outcome"] == "failed"
        assert sorted(connection.execute(select(purchase_orders.c.po_id)).scalars()) == ["4500000001", "4500000002"]
