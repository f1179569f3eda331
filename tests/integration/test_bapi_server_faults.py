"""The test BAPI server's fault switches, request log and count of calls in flight."""
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest

from tests.support.bapi_client import call
from tests.support.bapi_faults import EVERY_CALL, BapiFaults, Message
from tests.support.bapi_ranges import RangeRow
from tests.support.bapi_server import GOODSMVT_GETITEMS, PO_GETDETAIL1, PO_GETITEMS, BapiServer

JANUARY = [{"SIGN": "I", "OPTION": "BT", "LOW": "2025-01-01", "HIGH": "2025-01-31"}]
GM_TABLES = {"PSTNG_DATE_RA": JANUARY, "GOODSMVT_HEADER": [], "GOODSMVT_ITEMS": [], "RETURN": []}


def detail(server, number=None, **options):
    return call(server, PO_GETDETAIL1, {"PURCHASEORDER": number or server.orders[0].po_number},
                {"POITEM": [], "RETURN": []}, **options)


def goods_movements(server, tables=GM_TABLES):
    return call(server, GOODSMVT_GETITEMS, tables=tables)


@pytest.mark.parametrize("switch, status", [("throttle", 429), ("unavailable", 503)])
def test_429_and_503_with_retry_after_on_the_nth_call_only(switch, status):
    with BapiServer(faults=BapiFaults(**{switch: {PO_GETDETAIL1: 2}}, retry_after=7)) as server:
        answers = [detail(server) for _ in range(3)]
        assert [a.status for a in answers] == [200, status, 200]
        assert answers[1].headers["Retry-After"] == "7" and answers[1].fault is None
        assert [c.call for c in server.calls_to(PO_GETDETAIL1)] == [1, 2, 3]
        assert detail(server).status == 200 and goods_movements(server).status == 200


def test_soap_fault_on_a_range_of_calls():
    with BapiServer(faults=BapiFaults(soap_fault={GOODSMVT_GETITEMS: range(2, 4)})) as server:
        answers = [goods_movements(server) for _ in range(4)]
        assert [a.status for a in answers] == [200, 500, 500, 200]
        assert answers[1].fault_code == "soap-env:Server" and answers[1].tables == {}


@pytest.mark.parametrize("style", ["rfc", "mc"])
def test_return_error_empties_the_tables_and_keeps_http_200(style):
    with BapiServer(style=style, faults=BapiFaults(return_error={GOODSMVT_GETITEMS: 1})) as server:
        failed, normal = goods_movements(server), goods_movements(server)
    assert failed.status == 200 and failed.tables["GOODSMVT_ITEMS"] == [] and failed.tables["GOODSMVT_HEADER"] == []
    [message] = failed.returns
    assert (message["TYPE"], message["ID"], message["NUMBER"], message["MESSAGE"]) == (
        "E", "M7", "120", "You have no authorization for this transaction in plant 1000")
    assert failed.tables["PSTNG_DATE_RA"] == JANUARY
    assert normal.tables["GOODSMVT_ITEMS"] and normal.returns == []


def test_abort_message_in_the_older_return_structure_of_po_getitems():
    faults = BapiFaults(return_error={PO_GETITEMS: EVERY_CALL}, error_type="A",
                        error_message=Message("ME", "604", "Internal error &", ("EKPO",)))
    with BapiServer(faults=faults) as server:
        answer = call(server, PO_GETITEMS, tables={"PO_ITEMS": [], "RETURN": []})
        again = call(server, PO_GETITEMS, tables={"PO_ITEMS": [], "RETURN": []})
    assert answer.tables["PO_ITEMS"] == [] and again.returns == answer.returns
    [message] = answer.returns
    assert (message["TYPE"], message["CODE"], message["MESSAGE"], message["MESSAGE_V1"]) == (
        "A", "ME604", "Internal error EKPO", "EKPO")
    assert "ID" not in message and "NUMBER" not in message


def test_return_error_on_a_detail_call_leaves_the_header_initial():
    with BapiServer(faults=BapiFaults(return_error={PO_GETDETAIL1: 2})) as server:
        first, second = detail(server), detail(server)
    assert first.exports["POHEADER"]["PO_NUMBER"] == server.orders[0].po_number
    assert second.exports["POHEADER"]["PO_NUMBER"] == "" and second.tables["POITEM"] == []
    assert [(m["TYPE"], m["ID"], m["NUMBER"]) for m in second.returns] == [("E", "06", "001")]


def test_warning_row_beside_the_normal_answer():
    with BapiServer(faults=BapiFaults(warning={PO_GETDETAIL1: 1, GOODSMVT_GETITEMS: 1})) as server:
        order, movements = detail(server), goods_movements(server)
    assert order.tables["POITEM"] and [(m["TYPE"], m["ID"], m["NUMBER"]) for m in order.returns] == [("W", "06", "028")]
    assert movements.tables["GOODSMVT_ITEMS"] and [m["TYPE"] for m in movements.returns] == ["W"]


def test_empty_return_drops_the_no_data_and_not_found_messages():
    faults = BapiFaults(empty_return={GOODSMVT_GETITEMS: EVERY_CALL, PO_GETDETAIL1: EVERY_CALL})
    empty_slice = {**GM_TABLES, "PSTNG_DATE_RA": [{"SIGN": "I", "OPTION": "BT", "LOW": "2026-01-01", "HIGH": "2026-01-31"}]}
    with BapiServer(faults=faults) as server:
        movements, order = goods_movements(server, empty_slice), detail(server, "4599999999")
    assert movements.status == 200 and movements.tables["RETURN"] == [] and movements.tables["GOODSMVT_ITEMS"] == []
    assert order.tables["RETURN"] == [] and order.exports["POHEADER"]["PO_NUMBER"] == ""


def test_faults_can_be_switched_on_between_calls():
    with BapiServer() as server:
        assert detail(server).status == 200
        server.faults = BapiFaults(unavailable={PO_GETDETAIL1: EVERY_CALL})
        assert detail(server).status == 503
        server.faults = BapiFaults()
        assert detail(server).status == 200


def test_latency_and_the_count_of_calls_in_flight():
    with BapiServer(faults=BapiFaults(latency={PO_GETDETAIL1: 0.3})) as server:
        numbers = [o.po_number for o in server.orders[:6]]
        with ThreadPoolExecutor(max_workers=3) as pool:
            answers = list(pool.map(lambda number: detail(server, number), numbers))
        assert [a.exports["POHEADER"]["PO_NUMBER"] for a in answers] == numbers
        assert server.max_in_flight == 3 and server.in_flight == 0
        calls = server.calls_to(PO_GETDETAIL1)
        assert all(c.finished - c.started >= 0.3 for c in calls)
        assert any(a.started < b.finished and b.started < a.finished for a in calls for b in calls if a is not b)
        server.faults = BapiFaults(latency={PO_GETDETAIL1: 0.2})
        detail(server)
        assert server.max_in_flight == 3              # the peak is kept until the server stops


def test_request_log_records_parameters_ranges_tables_and_answers():
    with BapiServer(style="mc") as server:
        goods_movements(server)
        detail(server, "4599999999")
        call(server, PO_GETITEMS, {"DOC_DATE": "2025-02-01", "WITH_PO_HEADERS": "X"}, {"PO_ITEMS": [], "PO_HEADERS": []})
        movements, unknown, listed = server.requests
    assert movements.function == GOODSMVT_GETITEMS and movements.call == 1 and movements.status == 200
    assert movements.ranges == {"PSTNG_DATE_RA": (RangeRow("I", "BT", date(2025, 1, 1), date(2025, 1, 31)),)}
    assert movements.tables == ("GOODSMVT_HEADER", "GOODSMVT_ITEMS", "PSTNG_DATE_RA", "RETURN")
    assert movements.sent["GOODSMVT_ITEMS"] > 0 and movements.returns == ()
    assert movements.soap_action == server.soap_action(GOODSMVT_GETITEMS) and movements.user == server.user
    assert unknown.imports == {"PURCHASEORDER": "4599999999"} and unknown.returns == (("E", "06", "019"),)
    assert unknown.sent == {"POITEM": 0, "RETURN": 1}
    assert listed.imports == {"DOC_DATE": date(2025, 2, 1), "WITH_PO_HEADERS": "X"}
    assert listed.sent["PO_HEADERS"] > 0 and "RETURN" not in listed.sent
