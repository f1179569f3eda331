"""Answers no honest function module gives, scripted behind the stand-in's real WSDL: refused, never obeyed."""
from datetime import datetime, timezone

import pytest
from lxml import etree

from config.settings import SapSettings
from connectors.errors import PayloadError
from connectors.sap_bapi import SapBapiConnector
from connectors.sap_bapi_return import BapiFault
from sandbox import http
from sandbox.sap_bapi_ddic import STRUCTURES, STYLES, Function, Parameter
from sandbox.sap_bapi_server import SapBapiStandIn
from sandbox.sap_bapi_wsdl import wsdl

SINCE, UNTIL = datetime(2026, 1, 5, tzinfo=timezone.utc), datetime(2026, 1, 6, tzinfo=timezone.utc)
RFC = "urn:sap-com:document:sap:rfc:functions"
ITEM = ("<item><MAT_DOC>{document}</MAT_DOC><DOC_YEAR>2026</DOC_YEAR><MATDOC_ITM>0001</MATDOC_ITM>"
        "<MOVE_TYPE>{kind}</MOVE_TYPE><ENTRY_QNT>10.000</ENTRY_QNT><ENTRY_UOM>EA</ENTRY_UOM>"
        "<PO_NUMBER>4500000001</PO_NUMBER><PO_ITEM>00010</PO_ITEM><REF_DOC/><REF_DOC_YR>0000</REF_DOC_YR>"
        "<REF_DOC_IT>0000</REF_DOC_IT></item>")
HEADER = ("<item><MAT_DOC>{document}</MAT_DOC><DOC_YEAR>2026</DOC_YEAR><PSTNG_DATE>2026-01-05</PSTNG_DATE>"
          "<ENTRY_DATE>2026-01-05</ENTRY_DATE><ENTRY_TIME>10:00:00</ENTRY_TIME></item>")
# a customer's own list function: orders changed on the days of a range table
CHANGED = Function("Z_SRM_PO_CHANGED", (
    Parameter("table", "CHANGE_DATE_RA", STRUCTURES["BAPI2017_GM_PSTNG_DATE_RA"], False),
    Parameter("table", "PO_HEADERS", STRUCTURES["BAPIEKKOL"], True),
    Parameter("table", "RETURN", STRUCTURES["BAPIRET2"], True)))
CHANGED_PATH = "/sap/bc/srt/rfc/sap/zsrm_po_changed/100/zsrm_po_changed/srm_bridge"
ERROR = "<item><TYPE>{kind}</TYPE><ID>{cls}</ID><NUMBER>{number}</NUMBER><MESSAGE>{text}</MESSAGE></item>"


class Scripted:
    """The stand-in's WSDLs; every call of a function answered with the body scripted for it."""

    def __init__(self) -> None:
        self.stand_in = SapBapiStandIn({"purchase_orders": [], "goods_movements": []})
        self.bodies: dict[str, bytes] = {}
        self.server = http.start(self)
        self.urls = self.stand_in.urls(self.server.url)

    def __call__(self, environ: dict, start_response):
        own = environ["PATH_INFO"] == CHANGED_PATH
        if environ["REQUEST_METHOD"] == "GET" and own:
            start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8")])
            return [wsdl(CHANGED, STYLES["rfc"], "ZSRM_PO_CHANGED", "srm_bridge", self.server.url + CHANGED_PATH)]
        if environ["REQUEST_METHOD"] == "GET":
            return self.stand_in(environ, start_response)
        self.received = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8")])
        return [self.bodies[CHANGED.name if own else self.stand_in.paths[environ["PATH_INFO"]]]]

    def script(self, function: str, parameters: str) -> None:
        self.bodies[function] = (
            '<?xml version="1.0" encoding="utf-8"?><soap-env:Envelope xmlns:soap-env='
            f'"http://schemas.xmlsoap.org/soap/envelope/"><soap-env:Body><n0:{function}Response xmlns:n0="{RFC}">'
            f"{parameters}</n0:{function}Response></soap-env:Body></soap-env:Envelope>").encode()

    def connector(self) -> SapBapiConnector:
        return SapBapiConnector(SapSettings(profile="bapi", max_attempts=1, bapi={
            "goods_movements": {"url": self.urls["BAPI_GOODSMVT_GETITEMS"], "posting_lookback_days": 0},
            "purchase_order_list": {"url": self.urls["BAPI_PO_GETITEMS"]},
            "purchase_order_detail": {"url": self.urls["BAPI_PO_GETDETAIL1"]}}))

    def movements(self, headers: str, items: str, returns: str = "", tables: str = "") -> list:
        self.script("BAPI_GOODSMVT_GETITEMS", (tables or f"<GOODSMVT_HEADER>{headers}</GOODSMVT_HEADER>"
                                                         f"<GOODSMVT_ITEMS>{items}</GOODSMVT_ITEMS>")
                    + f"<RETURN>{returns}</RETURN>")
        return list(self.connector().goods_movements(SINCE, UNTIL))

    def orders(self, number: str, items: str, schedules: str) -> list:
        self.script("BAPI_PO_GETITEMS", "<PO_HEADERS><item><PO_NUMBER>4500000001</PO_NUMBER>"
                                        "<DOC_DATE>2026-01-05</DOC_DATE></item></PO_HEADERS><PO_ITEMS/><RETURN/>")
        self.script("BAPI_PO_GETDETAIL1", "<POEXPIMPHEADER/><POHEADER><PO_NUMBER>" + number + "</PO_NUMBER>"
                    "<VENDOR>0000100001</VENDOR><DOC_DATE>2026-01-05</DOC_DATE><CURRENCY>EUR</CURRENCY>"
                    f"</POHEADER><POCONFIRMATION/><POHISTORY/><POITEM>{items}</POITEM>"
                    f"<POSCHEDULE>{schedules}</POSCHEDULE><RETURN/>")
        return list(self.connector().purchase_orders(SINCE, UNTIL))


@pytest.fixture(scope="module")
def scripted():
    served = Scripted()
    yield served
    served.server.stop()


def test_an_honest_answer_is_read(scripted):
    [page] = scripted.movements(HEADER.format(document="5000000001"), ITEM.format(document="5000000001", kind="101"))
    [movement] = page.records
    assert (movement.document, movement.year, movement.line, movement.quantity) == ("5000000001", 2026, 1, 10)


@pytest.mark.parametrize("headers, items, says", [
    ("", ITEM.format(document="5000000001", kind="101"), "without its document in GOODSMVT_HEADER"),
    (HEADER.format(document="5000000001") * 2, ITEM.format(document="5000000001", kind="101"), "twice"),
    (HEADER.format(document="5000000001") + HEADER.format(document="5000000002"),
     ITEM.format(document="5000000001", kind="101"), "5000000002/2026 without items"),
    (HEADER.format(document="5000000001"), ITEM.format(document="5000000001", kind="201"), "which MOVE_TYPE_RA"),
], ids=["item without header", "header twice", "header without items", "movement type not asked for"])
def test_a_join_that_does_not_hold_fails_closed(scripted, headers, items, says):
    with pytest.raises(PayloadError, match=says):
        scripted.movements(headers, items)


def test_a_missing_table_fails_closed(scripted):
    with pytest.raises(PayloadError, match="without GOODSMVT_ITEMS"):
        scripted.movements("", "", tables="<GOODSMVT_HEADER/>")


def test_no_data_beside_a_real_error_is_a_failure(scripted):
    returns = (ERROR.format(kind="E", cls="M3", number="102", text="Plant 9999 does not exist")
               + ERROR.format(kind="E", cls="M7", number="842", text="No document exists for the specified data"))
    with pytest.raises(BapiFault, match="M3 102"):
        scripted.movements("", "", returns)


def test_no_data_alone_is_an_empty_slice(scripted):
    returns = ERROR.format(kind="E", cls="M7", number="842", text="No document exists for the specified data")
    assert [page.records for page in scripted.movements("", "", returns)] == [[]]


PO_ITEM = ("<item><PO_ITEM>00010</PO_ITEM><MATERIAL>M-1</MATERIAL><PLANT>1000</PLANT><QUANTITY>100.000</QUANTITY>"
           "<PO_UNIT>EA</PO_UNIT><NET_PRICE>10.000000000</NET_PRICE><PRICE_UNIT>1</PRICE_UNIT></item>")
SCHEDULE = ("<item><PO_ITEM>{item}</PO_ITEM><SCHED_LINE>0001</SCHED_LINE><DEL_DATCAT_EXT>D</DEL_DATCAT_EXT>"
            "<DELIVERY_DATE>20.01.2026</DELIVERY_DATE><QUANTITY>100.000</QUANTITY></item>")


def test_an_honest_order_is_read(scripted):
    [page] = scripted.orders("4500000001", PO_ITEM, SCHEDULE.format(item="00010"))
    [order] = page.records
    assert [(item.id, [(line.id, str(line.due)) for line in item.schedule_lines]) for item in order.items] == [
        ("00010", [("0001", "2026-01-20")])]


def test_a_schedule_line_of_an_item_the_order_lacks_quarantines_the_order(scripted):
    [page] = scripted.orders("4500000001", PO_ITEM, SCHEDULE.format(item="00020"))
    [refused] = page.rejected
    assert not page.records and refused.key == "4500000001" and "names item '00020'" in refused.reason


def test_a_detail_of_another_order_fails_closed(scripted):
    with pytest.raises(PayloadError, match="answered order '4500000002' when asked for 4500000001"):
        scripted.orders("4500000002", PO_ITEM, SCHEDULE.format(item="00010"))


def test_a_change_date_list_of_the_customer_selects_the_window_by_range(scripted):
    scripted.script("Z_SRM_PO_CHANGED", "<CHANGE_DATE_RA/><PO_HEADERS>" + "".join(
        f"<item><PO_NUMBER>{number}</PO_NUMBER><DOC_DATE>{day}</DOC_DATE></item>"
        for number, day in (("4500000001", "2026-01-05"), ("4500000009", "2026-01-07"))) + "</PO_HEADERS><RETURN/>")
    connector = SapBapiConnector(SapSettings(profile="bapi", max_attempts=1, bapi={
        "purchase_order_list": {"url": scripted.server.url + CHANGED_PATH, "function": "Z_SRM_PO_CHANGED",
                                "selection": "change_date", "date_parameter": "CHANGE_DATE_RA", "headers_flag": None},
        "purchase_order_detail": {"url": scripted.urls["BAPI_PO_GETDETAIL1"]}}))
    assert connector.orders().numbers(SINCE, UNTIL) == ["4500000001"]  # the 7th is after the window: next time
    request = etree.fromstring(scripted.received)
    assert [(row.findtext("SIGN"), row.findtext("OPTION"), row.findtext("LOW"), row.findtext("HIGH"))
            for row in request.iterfind(".//CHANGE_DATE_RA/item")] == [("I", "BT", "2026-01-05", "2026-01-06")]
