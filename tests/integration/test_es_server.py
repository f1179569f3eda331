"""The test ES server over real HTTP, driven with requests and lxml (and zeep for its WSDLs)."""
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
import requests
import zeep
from lxml import etree
from zeep.transports import Transport

from tests.support.es_client import post, pull_all, query_body
from tests.support.es_data import (
    Amount, Confirmation, LocalDateTime, MaterialDocument, MaterialDocumentItem, MaterialDocumentReference, Price,
    PurchaseOrder, PurchaseOrderItem, PurchaseOrderReference, Quantity, ScheduleLine)
from tests.support.es_server import EsServer
from tests.support.es_wsdl import MESSAGES_NS, SERVICES, TYPES_NS, message_schema

WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
XSD = "{http://www.w3.org/2001/XMLSchema}"
SOAP = "{http://schemas.xmlsoap.org/soap/envelope/}"
SERVICE_KEYS = ("purchase_orders", "goods_movements")


@pytest.fixture(scope="module")
def server():
    with EsServer(page_limit=50) as running:
        yield running


@pytest.fixture
def auth(server):
    return (server.user, server.password)


def source(server, service):
    return server.orders if service == "purchase_orders" else server.documents


def in_order(objects):
    return [o.id for o in sorted(objects, key=lambda o: (o.last_change_date_time, o.id))]


# --- endpoints and WSDLs -------------------------------------------------------------------------

def test_each_service_has_its_own_soamanager_path(server):
    assert server.purchase_orders_url.endswith("/sap/bc/srt/xip/sap/ecc_purchaseorderqr/100/srm_bridge/srm_bridge")
    assert server.goods_movements_url.endswith("/sap/bc/srt/xip/sap/ecc_materialdocumentqr/100/srm_bridge/srm_bridge")


@pytest.mark.parametrize("service", SERVICE_KEYS)
def test_wsdl_is_served_to_an_authenticated_user_and_points_at_its_endpoint(server, auth, service):
    assert requests.get(server.url(service) + "?wsdl", timeout=10).status_code == 401
    response = requests.get(server.url(service) + "?wsdl", auth=auth, timeout=10)
    assert response.status_code == 200 and response.text == server.wsdl_text(service)
    wsdl = etree.fromstring(response.content)
    described = SERVICES[service]
    assert wsdl.get("targetNamespace") == TYPES_NS
    messages, types = wsdl.findall(f"{{{WSDL_NS}}}types/{XSD}schema")
    assert (messages.get("targetNamespace"), types.get("targetNamespace")) == (MESSAGES_NS, TYPES_NS)
    assert messages.find(f"{XSD}import").get("namespace") == TYPES_NS
    assert messages.get("elementFormDefault") is None and types.get("elementFormDefault") is None
    assert {e.get("name") for e in messages.iterfind(f"{XSD}element")} == {
        described.query_element, described.response_element, "StandardMessageFault"}
    assert [o.get("name") for o in wsdl.iterfind(f"{{{WSDL_NS}}}portType/{{{WSDL_NS}}}operation")] == [described.interface]
    address = wsdl.find(".//{http://schemas.xmlsoap.org/wsdl/soap/}address").get("location")
    assert address == f"{server.url(service)}?sap-client=100"


def test_wsdl_without_credentials_when_the_system_allows_it():
    with EsServer(wsdl_requires_auth=False) as server:
        assert requests.get(server.wsdl_url("purchase_orders"), timeout=10).text == server.wsdl_text("purchase_orders")
        assert requests.post(server.purchase_orders_url, data=query_body("purchase_orders"), timeout=10,
                             headers={"Content-Type": "text/xml"}).status_code == 401


@pytest.mark.parametrize("service", SERVICE_KEYS)
def test_zeep_builds_the_request_from_the_wsdl_and_reads_every_page(server, auth, service):
    session = requests.Session()
    session.auth = auth
    client = zeep.Client(server.url(service) + "?wsdl", transport=Transport(session=session))
    described = SERVICES[service]
    selection = {"SelectionByLastChangeDateTime": [{
        "InclusionExclusionCode": "I", "IntervalBoundaryTypeCode": "3",
        "LowerBoundaryDateTime": datetime(2025, 1, 1, tzinfo=timezone.utc),
        "UpperBoundaryDateTime": datetime(2026, 1, 1, tzinfo=timezone.utc)}]}
    ids, after = [], None
    for _ in range(100):
        conditions = {"QueryHitsMaximumNumberValue": 10, "QueryHitsUnlimitedIndicator": False,
                      "LastReturnedObjectID": after}
        answer = getattr(client.service, described.interface)(
            **{described.selection_element: selection, "ProcessingConditions": conditions})
        ids += [o.ID._value_1 if service == "purchase_orders" else o.ID for o in getattr(answer, described.business_object)]
        if not answer.ProcessingConditions.MoreHitsAvailableIndicator:
            break
        after = answer.ProcessingConditions.LastReturnedObjectID
    assert ids == in_order(source(server, service))
    sent = server.requests_for(service)[-1]
    assert (sent.status, sent.sap_client, sent.rows[0].interval_boundary_type_code) == (200, "100", "3")


def test_a_wsdl_file_shipped_by_the_customer_is_usable(server, auth, tmp_path):
    path = server.write_wsdl("goods_movements", tmp_path)
    assert path.read_text() == server.wsdl_text("goods_movements")
    session = requests.Session()
    session.auth = auth
    client = zeep.Client(str(path), transport=Transport(session=session))
    answer = client.service.MaterialDocumentERPByElementsQueryResponse_In(
        MaterialDocumentSelectionByElements={}, ProcessingConditions={"QueryHitsUnlimitedIndicator": True})
    assert len(answer.MaterialDocument) == 50 and answer.ProcessingConditions.MoreHitsAvailableIndicator is True


# --- answers -------------------------------------------------------------------------------------

@pytest.mark.parametrize("service", SERVICE_KEYS)
def test_pages_of_five_return_every_object_once_in_change_time_order(auth, service):
    with EsServer() as server:
        answers = pull_all(server.url(service), service, auth)
    schema = message_schema(SERVICES[service])
    for answer in answers:
        message = etree.fromstring(answer.content).find(f"{SOAP}Body")[0]
        assert schema.validate(etree.ElementTree(message)), schema.error_log
    objects = source(server, service)
    assert len(answers) == -(-len(objects) // 5) >= 8
    assert [i for a in answers for i in a.ids] == in_order(objects)
    assert all(a.paging["ReturnedQueryHitsNumberValue"] == str(len(a.ids)) for a in answers)
    assert [a.more for a in answers] == [True] * (len(answers) - 1) + [False]
    assert all(a.paging["LastReturnedObjectID"] == a.ids[-1] for a in answers)
    assert {a.maximum_severity for a in answers} == {"1"}


def test_purchase_orders_on_the_wire_equal_the_source(server, auth):
    answer = post(server.purchase_orders_url, query_body("purchase_orders", maximum=None, unlimited="true"), auth)
    assert answer.ids == in_order(server.orders)[:50]
    sent = {order.id: order for order in map(_purchase_order, answer.objects)}
    assert sent == {order.id: order for order in server.orders}
    assert [child.tag for child in answer.objects[0]][:4] == [
        "ID", "PurchaseOrderDate", "SystemAdministrativeData", "SellerParty"]


def test_material_documents_on_the_wire_equal_the_source(auth):
    with EsServer() as server:
        answers = pull_all(server.goods_movements_url, "goods_movements", auth, size=100)
    sent = {d.id: d for a in answers for d in map(_material_document, a.objects)}
    assert sent == {d.id: d for d in server.documents}


@pytest.mark.parametrize("limit, maximum, unlimited, expected", [
    (20, 5, "false", 5), (20, 80, "false", 20), (20, None, "true", 20), (None, None, "true", 36), (None, None, "false", 36)])
def test_page_size_is_the_requested_maximum_capped_by_the_page_limit(auth, limit, maximum, unlimited, expected):
    with EsServer(page_limit=limit) as server:
        answer = post(server.purchase_orders_url, query_body("purchase_orders", maximum=maximum, unlimited=unlimited), auth)
    assert len(answer.ids) == expected and answer.more == (expected < 36)


# --- selection: SAP's interval boundary type codes -----------------------------------------------

def _tied_moments(server):
    moments = sorted(o.last_change_date_time for o in server.orders)
    tie = next(m for m in moments if moments.count(m) > 1)
    upper = moments[len(moments) * 3 // 4]
    return tie, upper


EXPECTED = {
    "1": lambda v, x, y: v == x, "2": lambda v, x, y: x <= v < y, "3": lambda v, x, y: x <= v <= y,
    "4": lambda v, x, y: x < v < y, "5": lambda v, x, y: x < v <= y, "6": lambda v, x, y: v < x,
    "7": lambda v, x, y: v <= x, "8": lambda v, x, y: v > x, "9": lambda v, x, y: v >= x}


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_each_boundary_type_code_selects_what_sap_code_list_says(server, auth, code):
    x, y = _tied_moments(server)
    answer = post(server.purchase_orders_url, query_body("purchase_orders", [("I", code, x, y)], maximum=50), auth)
    expected = [o for o in server.orders if EXPECTED[code](o.last_change_date_time, x, y)]
    assert answer.ids == in_order(expected) and expected


def test_exclusion_rows_remove_and_inclusion_rows_add_up(server, auth):
    x, y = _tied_moments(server)
    late = datetime(2025, 4, 5, tzinfo=timezone.utc)
    rows = [("I", "3", x, y), ("I", "9", late, None), ("E", "1", x, None)]
    answer = post(server.purchase_orders_url, query_body("purchase_orders", rows, maximum=50), auth)
    expected = [o for o in server.orders
                if (x <= o.last_change_date_time <= y or o.last_change_date_time >= late) and o.last_change_date_time != x]
    assert answer.ids == in_order(expected)
    only_excluded = post(server.purchase_orders_url, query_body("purchase_orders", [("E", "7", y, None)], maximum=50), auth)
    assert only_excluded.ids == in_order(o for o in server.orders if o.last_change_date_time > y)


# --- what SAP refuses ----------------------------------------------------------------------------

MOMENT = datetime(2025, 3, 10, tzinfo=timezone.utc)


@pytest.mark.parametrize("body, reason", [
    (query_body("purchase_orders", [(None, "3", MOMENT, MOMENT)]), "InclusionExclusionCode"),
    (query_body("purchase_orders", [("I", None, MOMENT, MOMENT)]), "IntervalBoundaryTypeCode"),
    (query_body("purchase_orders", [("X", "1", MOMENT, None)]), "neither I nor E"),
    (query_body("purchase_orders", [("I", "0", MOMENT, None)]), "code list"),
    (query_body("purchase_orders", [("I", "10", MOMENT, None)]), "IntervalBoundaryTypeCode"),
    (query_body("purchase_orders", [("I", "3", MOMENT, None)]), "needs UpperBoundaryDateTime"),
    (query_body("purchase_orders", [("I", "8", None, MOMENT)]), "needs LowerBoundaryDateTime"),
    (query_body("purchase_orders", [("I", "8", "2025-03-10T00:00:00+01:00", None)]), "LowerBoundaryDateTime"),
    (query_body("purchase_orders", [("I", "8", "2025-03-10T00:00:00", None)]), "LowerBoundaryDateTime"),
    (query_body("purchase_orders", unlimited=None), "QueryHitsUnlimitedIndicator"),
    (query_body("purchase_orders", maximum=5, unlimited="true"), "must not be filled"),
    (query_body("purchase_orders", maximum=0), "at least 1"),
    (query_body("purchase_orders", after="4599999999"), "names no object"),
    (query_body("goods_movements"), "expects"),
    (query_body("purchase_orders").replace(b"<ProcessingConditions>", b'<ProcessingConditions xmlns="urn:x">'),
     "ProcessingConditions"),
    (b"<not-xml", "well-formed"),
])
def test_a_request_sap_would_refuse_gets_a_soap_fault(server, auth, body, reason):
    answer = post(server.purchase_orders_url, body, auth)
    assert answer.status == 500 and reason in answer.fault
    assert server.requests_for("purchase_orders")[-1].fault == answer.fault


def test_fault_carries_sap_standard_message_fault_detail(server, auth):
    response = requests.post(server.purchase_orders_url, data=query_body("purchase_orders", maximum=0), auth=auth,
                             headers={"Content-Type": "text/xml"}, timeout=10)
    fault = etree.fromstring(response.content).find(".//{http://schemas.xmlsoap.org/soap/envelope/}Fault")
    assert fault.findtext("faultcode") == "soap-env:Client"
    standard = fault.find(f"detail/{{{MESSAGES_NS}}}StandardMessageFault/standard")
    assert "at least 1" in standard.findtext("faultText") and standard.findtext("faultDetail/severity") == "error"


def test_wrong_client_is_a_soap_fault_and_wrong_password_is_401(server, auth):
    wrong_client = post(server.purchase_orders_url, query_body("purchase_orders"), auth, sap_client="200")
    assert wrong_client.status == 500 and "client 200" in wrong_client.fault
    assert post(server.purchase_orders_url, query_body("purchase_orders"), (server.user, "wrong")).status == 401
    assert server.requests[-1].status == 401 and server.requests[-1].user is None
    assert post(server.purchase_orders_url, query_body("purchase_orders"), auth, sap_client="100").status == 200


# --- reading the wire back into the source's shape -----------------------------------------------

def _quantity(element) -> Quantity:
    return Quantity(Decimal(element.text), element.get("unitCode"))


def _local(element) -> LocalDateTime:
    return LocalDateTime(datetime.fromisoformat(element.text), element.get("timeZoneCode"))


def _moment(text: str) -> datetime:
    assert text.endswith("Z")
    return datetime.fromisoformat(text[:-1]).replace(tzinfo=timezone.utc)


def _purchase_order(element) -> PurchaseOrder:
    items = []
    for item in element.iterfind("Item"):
        price = item.find("Price/NetPrice")
        amount = price.find("Amount")
        confirmations = tuple(Confirmation(c.findtext("ID"), c.findtext("ProcessingTypeCode"), _quantity(c.find("Quantity")),
                                           _local(c.find("DeliveryDateTime"))) for c in item.iterfind("Confirmation"))
        lines = tuple(ScheduleLine(s.findtext("ID"), _local(s.find("DeliveryDateTime")), _quantity(s.find("Quantity")))
                      for s in item.iterfind("ScheduleLine"))
        tags = [c.tag for c in item if c.tag in ("Confirmation", "ScheduleLine")]
        assert tags == ["Confirmation"] * len(confirmations) + ["ScheduleLine"] * len(lines)
        items.append(PurchaseOrderItem(
            item.findtext("ID"), _quantity(item.find("Quantity")), item.findtext("PlantID"),
            item.findtext("Product/InternalID"),
            Price(Amount(Decimal(amount.text), amount.get("currencyCode")), _quantity(price.find("BaseQuantity"))),
            confirmations, lines))
    return PurchaseOrder(element.findtext("ID"), date.fromisoformat(element.findtext("PurchaseOrderDate")),
                         _moment(element.findtext("SystemAdministrativeData/CreationDateTime")),
                         _moment(element.findtext("SystemAdministrativeData/LastChangeDateTime")),
                         element.findtext("SellerParty/InternalID"), tuple(items))


def _material_document(element) -> MaterialDocument:
    items = []
    for item in element.iterfind("Item"):
        order, reversed_ = item.find("PurchaseOrderReference"), item.find("ReversedMaterialDocumentReference")
        items.append(MaterialDocumentItem(
            item.findtext("ID"), item.findtext("GoodsMovementTypeCode"), _quantity(item.find("Quantity")),
            None if order is None else PurchaseOrderReference(order.findtext("ID"), order.findtext("ItemID"),
                                                              order.findtext("ScheduleLineID")),
            None if reversed_ is None else MaterialDocumentReference(
                reversed_.findtext("ID"), reversed_.findtext("FiscalYear"), reversed_.findtext("ItemID"))))
    return MaterialDocument(element.findtext("ID"), element.findtext("FiscalYear"),
                            date.fromisoformat(element.findtext("PostingDate")),
                            _moment(element.findtext("SystemAdministrativeData/CreationDateTime")),
                            _moment(element.findtext("SystemAdministrativeData/LastChangeDateTime")), tuple(items))


def test_delivery_times_carry_time_zone_and_daylight_saving_as_local_date_time(server, auth):
    answer = post(server.purchase_orders_url, query_body("purchase_orders", maximum=50), auth)
    zones = {(e.get("timeZoneCode"), e.get("daylightSavingTimeIndicator"))
             for o in answer.objects for e in o.iterfind("Item/ScheduleLine/DeliveryDateTime")}
    assert {"CET", "UTC"} == {zone for zone, _ in zones}
    assert ("UTC", "false") in zones and ("CET", "true") in zones and ("CET", "false") in zones
    assert LocalDateTime(datetime(2025, 4, 1, 8), "CET").instant == datetime(2025, 4, 1, 6, tzinfo=timezone.utc)
    assert LocalDateTime(datetime(2025, 3, 1, 8), "CET").instant == datetime(2025, 3, 1, 7, tzinfo=timezone.utc)
