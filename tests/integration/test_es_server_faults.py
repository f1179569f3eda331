"""Each fault mode of the test ES server answers as documented, over real HTTP."""
from datetime import datetime, timezone

import pytest
from lxml import etree

from tests.support.es_client import post, pull_all, query_body
from tests.support.es_faults import EsFaults
from tests.support.es_query import QueryConditions, SelectionRow
from tests.support.es_server import EsServer
from tests.support.es_wsdl import PURCHASE_ORDERS, message_schema

SOAP_BODY = "{http://schemas.xmlsoap.org/soap/envelope/}Body"


def serve(**faults):
    return EsServer(faults=EsFaults(**faults))


def auth_of(server):
    return (server.user, server.password)


def page(server, after=None, service="purchase_orders", size=5):
    return post(server.url(service), query_body(service, maximum=size, after=after), auth_of(server))


def by_change_time(objects):
    return [o.id for o in sorted(objects, key=lambda o: (o.last_change_date_time, o.id))]


def test_omit_paging_from_a_given_page_on():
    with serve(omit_paging=True, from_page=2) as server:
        first = page(server)
        second = page(server, first.paging["LastReturnedObjectID"])
    assert first.paging["MoreHitsAvailableIndicator"] == "true"
    assert second.status == 200 and second.paging is None and len(second.ids) == 5


def test_unreadable_more_hits_indicator_is_sent_and_breaks_the_schema():
    with serve(more_hits_indicator="maybe") as server:
        answer = page(server)
    assert answer.paging["MoreHitsAvailableIndicator"] == "maybe" and len(answer.ids) == 5
    message = etree.fromstring(answer.content).find(SOAP_BODY)[0]
    assert not message_schema(PURCHASE_ORDERS).validate(etree.ElementTree(message))


def test_more_hits_without_last_returned_object_id():
    with serve(more_without_last_id=True) as server:
        answer = page(server, size=50)
    assert answer.paging["MoreHitsAvailableIndicator"] == "true" and "LastReturnedObjectID" not in answer.paging
    assert len(answer.ids) == 36


def test_repeat_last_id_sends_back_the_cursor_of_the_page_before():
    with serve(repeat_last_id=True) as server:
        first = page(server)
        second = page(server, first.paging["LastReturnedObjectID"])
    assert first.paging["LastReturnedObjectID"] == first.ids[-1]
    assert second.more and second.paging["LastReturnedObjectID"] == first.ids[-1] != second.ids[-1]


def test_empty_page_with_more_hits_and_a_cursor_past_unsent_objects():
    with serve(empty_page_with_more=True, from_page=2) as server:
        first = page(server)
        empty = page(server, first.paging["LastReturnedObjectID"])
    assert empty.ids == [] and empty.more and empty.paging["ReturnedQueryHitsNumberValue"] == "0"
    assert empty.paging["LastReturnedObjectID"] == by_change_time(server.orders)[9]


def test_cycle_alternates_two_cursors_with_more_hits_forever():
    with serve(cycle=True) as server:
        answers, after = [], None
        for _ in range(6):
            answers.append(page(server, after))
            after = answers[-1].paging["LastReturnedObjectID"]
    cursors = [a.paging["LastReturnedObjectID"] for a in answers]
    assert cursors[0::2] == [cursors[0]] * 3 and cursors[1::2] == [cursors[1]] * 3 and cursors[0] != cursors[1]
    assert all(a.more for a in answers)
    assert len({i for a in answers for i in a.ids}) == 10


@pytest.mark.parametrize("service", ["purchase_orders", "goods_movements"])
def test_page_by_id_orders_and_continues_by_object_id(service):
    with serve(page_by_id=True) as server:
        answers = pull_all(server.url(service), service, auth_of(server))
    objects = server.orders if service == "purchase_orders" else server.documents
    ids = [i for a in answers for i in a.ids]
    assert ids == sorted(o.id for o in objects) != by_change_time(objects)


def test_soap_fault_on_the_nth_request_of_the_chosen_service():
    with serve(soap_fault_on_request=2, services=("purchase_orders",)) as server:
        first = page(server)
        second = page(server, first.paging["LastReturnedObjectID"])
        third = page(server, first.paging["LastReturnedObjectID"])
        movements = [page(server, service="goods_movements") for _ in range(3)]
    assert (first.status, second.status, third.status) == (200, 500, 200)
    assert second.fault and b"StandardMessageFault" in second.content
    assert third.ids == by_change_time(server.orders)[5:10]
    assert {answer.status for answer in movements} == {200}
    assert [r.status for r in server.requests_for("purchase_orders")] == [200, 500, 200]


def test_error_log_with_http_200_and_no_hits():
    with serve(error_log=True, from_page=2) as server:
        first = page(server)
        failed = page(server, first.paging["LastReturnedObjectID"])
    assert first.maximum_severity == "1"
    assert failed.status == 200 and failed.ids == [] and failed.maximum_severity == "3"
    assert failed.paging == {"ReturnedQueryHitsNumberValue": "0", "MoreHitsAvailableIndicator": "false"}
    [item] = failed.log
    assert item["SeverityCode"] == "3" and item["TypeID"] and item["CategoryCode"] and item["Note"]
    message = etree.fromstring(failed.content).find(SOAP_BODY)[0]
    assert message_schema(PURCHASE_ORDERS).validate(etree.ElementTree(message))


def test_faults_can_be_switched_on_between_pages():
    with EsServer() as server:
        first = page(server)
        server.faults = EsFaults(omit_paging=True)
        second = page(server, first.paging["LastReturnedObjectID"])
    assert first.paging is not None and second.paging is None


def test_request_log_records_the_parsed_selection_and_processing_conditions():
    lower, upper = datetime(2025, 3, 1, tzinfo=timezone.utc), datetime(2025, 4, 1, tzinfo=timezone.utc)
    rows = [("I", "2", lower, upper), ("E", "7", datetime(2025, 3, 2, tzinfo=timezone.utc), None)]
    with EsServer() as server:
        auth = auth_of(server)
        first = post(server.purchase_orders_url, query_body("purchase_orders", rows, maximum=5), auth, sap_client="100")
        post(server.purchase_orders_url,
             query_body("purchase_orders", rows, maximum=5, after=first.paging["LastReturnedObjectID"]), auth)
        post(server.goods_movements_url, query_body("goods_movements", maximum=None, unlimited="true"), auth)
    one, two, movements = server.requests
    assert one.rows == (SelectionRow("I", "2", lower, upper),
                        SelectionRow("E", "7", datetime(2025, 3, 2, tzinfo=timezone.utc), None))
    assert one.conditions == QueryConditions(5, False, None)
    assert (one.service, one.user, one.sap_client, one.page, one.returned_ids) == (
        "purchase_orders", server.user, "100", 1, tuple(first.ids))
    assert two.conditions == QueryConditions(5, False, first.ids[-1]) and two.page == 2
    assert movements.service == "goods_movements" and movements.conditions == QueryConditions(None, True, None)
    assert movements.rows == () and movements.page == 1
