"""The BAPI stand-in in `sandbox/` over real HTTP, read with zeep as a client reads SOAMANAGER's services."""
from collections import Counter
from datetime import date

import pytest
import requests
import zeep
from lxml import etree
from zeep.transports import Transport

from sandbox.faults import Faults
from sandbox.generator import generate_sap
from sandbox.sap_bapi_ddic import MC_NS, RFC_NS, camel
from sandbox.serve import start_sap_bapi

AS_OF = date(2026, 6, 30)
SOAP = "{http://schemas.xmlsoap.org/soap/envelope/}"


@pytest.fixture(scope="module")
def dataset() -> dict:
    return generate_sap(3, 2, 5, AS_OF)


class Bapi:
    """A zeep client per function module; `call` returns the HTTP status and the answer as SAP names."""

    def __init__(self, urls: dict[str, str], style: str, auth=("SRM_BRIDGE", "sandbox")) -> None:
        self.urls, self.style = urls, style
        self.session = requests.Session()
        self.session.auth = auth

    def name(self, sap: str) -> str:
        return sap if self.style == "rfc" else camel(sap)

    def post(self, function: str, body: bytes) -> requests.Response:
        return self.session.post(self.urls[function] + "?sap-client=100", data=body,
                                 headers={"Content-Type": "text/xml; charset=utf-8"})

    def envelope(self, function: str, imports: dict, tables: dict[str, list[dict]]) -> bytes:
        client = zeep.Client(self.urls[function] + "?sap-client=100&wsdl", transport=Transport(session=self.session))
        arguments = {self.name(k): v for k, v in imports.items()}
        arguments.update({self.name(t): {"item": [{self.name(f): v for f, v in row.items()} for row in rows]}
                          for t, rows in tables.items()})
        service = client.bind()
        return etree.tostring(client.create_message(service, self.name(function), **arguments))

    def call(self, function: str, imports: dict, tables: dict[str, list[dict]]) -> tuple[int, dict]:
        response = self.post(function, self.envelope(function, imports, tables))
        body = etree.fromstring(response.content).find(f"{SOAP}Body")[0]
        answer = {}
        for element in body:
            if len(element) and element[0].tag == "item":
                answer[element.tag] = [{child.tag: child.text or "" for child in row} for row in element]
            elif len(element):
                answer[element.tag] = {child.tag: child.text or "" for child in element}
            else:
                answer[element.tag] = [] if element.text is None else element.text
        return response.status_code, answer


@pytest.fixture(scope="module", params=["rfc", "mc"])
def stand_in(request, dataset):
    server, app = start_sap_bapi(dataset, style=request.param, date_format="6")
    yield Bapi(app.urls(server.url), request.param), app
    server.stop()


def _range(sign: str, option: str, low: str, high: str) -> dict:
    return {"SIGN": sign, "OPTION": option, "LOW": low, "HIGH": high}


def _getitems(bapi: Bapi, low: str, high: str, **ranges: list[dict]) -> tuple[int, dict]:
    tables = {"PSTNG_DATE_RA": [_range("I", "BT", low, high)], **ranges,
              "GOODSMVT_HEADER": [], "GOODSMVT_ITEMS": [], "RETURN": []}
    return bapi.call("BAPI_GOODSMVT_GETITEMS", {}, tables)


def test_wsdl_is_shaped_like_soamanagers(stand_in):
    bapi, _ = stand_in
    text = bapi.session.get(bapi.urls["BAPI_PO_GETDETAIL1"] + "?sap-client=100&wsdl").content
    root = etree.fromstring(text)
    namespace = RFC_NS if bapi.style == "rfc" else MC_NS
    assert root.get("targetNamespace") == namespace
    schemas = root.findall(".//{http://www.w3.org/2001/XMLSchema}schema")
    assert [s.get("targetNamespace") for s in schemas] == ([RFC_NS] if bapi.style == "rfc" else [RFC_NS, MC_NS])
    table = "TABLE_OF_BAPIMEPOITEM" if bapi.style == "rfc" else "TableOfBapimepoitem"
    assert schemas[-1].find(f"{{http://www.w3.org/2001/XMLSchema}}complexType[@name='{table}']") is not None
    request = schemas[-1].find(f"{{http://www.w3.org/2001/XMLSchema}}element[@name='{bapi.name('BAPI_PO_GETDETAIL1')}']")
    parameters = {e.get("name"): e.get("minOccurs") for e in request.iter("{http://www.w3.org/2001/XMLSchema}element")
                  if e is not request}
    assert parameters[bapi.name("PURCHASEORDER")] is None and parameters[bapi.name("POITEM")] == "0"
    assert list(parameters) == sorted(parameters), "parameters are sorted by name"
    action = root.find(".//{http://schemas.xmlsoap.org/wsdl/soap/}operation").get("soapAction")
    assert action == f"{namespace}:ZSRM_PO_GETDETAIL1:{bapi.name('BAPI_PO_GETDETAIL1')}Request"


def test_goods_movements_by_posting_date_and_movement_type(stand_in, dataset):
    bapi, _ = stand_in
    types = [_range("I", "EQ", kind, "") for kind in ("101", "102", "122", "161")]
    status, answer = _getitems(bapi, "2026-05-01", "2026-05-31", MOVE_TYPE_RA=types)
    expected = [m for m in dataset["goods_movements"] if "2026-05-01" <= m["posting_date"] <= "2026-05-31"]
    items, headers = answer[bapi.name("GOODSMVT_ITEMS")], answer[bapi.name("GOODSMVT_HEADER")]
    assert status == 200 and len(items) == len(expected) > 0
    n = bapi.name
    keys = [(row[n("MAT_DOC")], row[n("DOC_YEAR")], row[n("MATDOC_ITM")]) for row in items]
    assert keys == sorted(keys), "sorted by document, year and item"
    assert {(h[n("MAT_DOC")], h[n("DOC_YEAR")]) for h in headers} == {k[:2] for k in keys}
    assert all(row[n("SCHED_LINE")] == "0000" and not row[n("ENTRY_QNT")].startswith("-") for row in items)
    by_key = {(m["document"], str(m["year"])): m for m in dataset["goods_movements"]}
    for row in items:
        source = by_key[(row[n("MAT_DOC")], row[n("DOC_YEAR")])]
        assert row[n("MOVE_TYPE")] == source["movement_type"]
        if source["movement_type"] == "101":
            assert row[n("REF_DOC")] == source["document"]
        if source.get("reverses"):
            assert row[n("REF_DOC")] == source["reverses"]["document"]
    assert answer[n("RETURN")] == []


def test_empty_selection_and_unknown_plant_answer_in_return(stand_in):
    bapi, _ = stand_in
    n = bapi.name
    status, answer = _getitems(bapi, "1999-01-01", "1999-01-31")
    assert status == 200 and answer[n("GOODSMVT_ITEMS")] == []
    assert [(r[n("TYPE")], r[n("ID")], r[n("NUMBER")]) for r in answer[n("RETURN")]] == [("E", "M7", "842")]
    _, answer = _getitems(bapi, "2026-05-01", "2026-05-31", PLANT_RA=[_range("I", "EQ", "9999", "")])
    assert [(r[n("ID")], r[n("NUMBER")]) for r in answer[n("RETURN")]] == [("M3", "102"), ("M7", "842")]


def test_order_list_is_on_or_after_the_document_date(stand_in, dataset):
    bapi, _ = stand_in
    n = bapi.name
    tables = {"PO_ITEMS": [], "PO_HEADERS": [], "RETURN": []}
    _, answer = bapi.call("BAPI_PO_GETITEMS", {"DOC_DATE": "2026-06-10", "WITH_PO_HEADERS": "X"}, tables)
    expected = {o["id"] for o in dataset["purchase_orders"] if o["order_date"] >= "2026-06-10"}
    assert {h[n("PO_NUMBER")] for h in answer[n("PO_HEADERS")]} == expected
    assert Counter(i[n("PO_NUMBER")] for i in answer[n("PO_ITEMS")]) == Counter(
        o["id"] for o in dataset["purchase_orders"] if o["id"] in expected for _ in o["items"])
    assert "QUANTITY" not in answer[n("PO_ITEMS")][0] and answer[n("RETURN")] == []
    _, answer = bapi.call("BAPI_PO_GETITEMS", {"DOC_DATE": "2026-06-10"}, tables)
    assert answer[n("PO_HEADERS")] == [], "headers only with WITH_PO_HEADERS = 'X'"


def test_order_detail_answers_the_tables_named(stand_in, dataset):
    bapi, _ = stand_in
    n = bapi.name
    order = next(o for o in dataset["purchase_orders"] if o["items"][0]["confirmations"])
    _, answer = bapi.call("BAPI_PO_GETDETAIL1", {"PURCHASEORDER": order["id"]},
                          {"POITEM": [], "POSCHEDULE": [], "RETURN": []})
    assert set(answer) == {n(p) for p in ("POEXPIMPHEADER", "POHEADER", "POITEM", "POSCHEDULE", "RETURN")}
    line = answer[n("POSCHEDULE")][0]
    assert line[n("DELIVERY_DATE")] == order["items"][0]["schedule_lines"][0]["due"]  # SU01 format 6: YYYY-MM-DD
    assert answer[n("POHEADER")][n("VENDOR")] == order["vendor"]
    _, answer = bapi.call("BAPI_PO_GETDETAIL1", {"PURCHASEORDER": "4599999999"}, {"POITEM": [], "RETURN": []})
    assert answer[n("POHEADER")][n("PO_NUMBER")] == ""
    assert [(r[n("TYPE")], r[n("ID")], r[n("NUMBER")]) for r in answer[n("RETURN")]] == [("E", "06", "019")]


def test_calls_sap_refuses(stand_in):
    bapi, _ = stand_in
    envelope = etree.fromstring(bapi.envelope("BAPI_GOODSMVT_GETITEMS", {}, {
        "GOODSMVT_HEADER": [], "GOODSMVT_ITEMS": [], "RETURN": []}))
    request = envelope.find(f"{SOAP}Body")[0]
    request.remove(request.find(bapi.name("GOODSMVT_ITEMS")))  # zeep itself refuses to leave it out
    response = bapi.post("BAPI_GOODSMVT_GETITEMS", etree.tostring(envelope))
    assert response.status_code == 500 and b"Web service processing error" in response.content
    blank_date = bapi.envelope("BAPI_GOODSMVT_GETITEMS", {}, {
        "PSTNG_DATE_RA": [_range("I", "EQ", "2026-05-01", "")], "GOODSMVT_HEADER": [], "GOODSMVT_ITEMS": [],
        "RETURN": []})
    assert bapi.post("BAPI_GOODSMVT_GETITEMS", blank_date).status_code == 500, "a date is never blank on the wire"
    wrong = Bapi(bapi.urls, bapi.style, auth=("SRM_BRIDGE", "wrong"))
    assert wrong.session.get(bapi.urls["BAPI_PO_GETITEMS"] + "?sap-client=100&wsdl").status_code == 401
    assert bapi.session.get(bapi.urls["BAPI_PO_GETITEMS"] + "?sap-client=200&wsdl").status_code == 401


def test_return_error_fault_answers_200_with_an_error_row(dataset):
    server, app = start_sap_bapi(dataset, style="mc", faults=Faults(return_error_on=2))
    try:
        bapi = Bapi(app.urls(server.url), "mc")
        tables = {"PO_ITEMS": [], "PO_HEADERS": [], "RETURN": []}
        first = bapi.call("BAPI_PO_GETITEMS", {"DOC_DATE": "2026-06-01"}, tables)[1]
        status, second = bapi.call("BAPI_PO_GETITEMS", {"DOC_DATE": "2026-06-01"}, tables)
        assert first["Return"] == [] and status == 200
        assert second["PoItems"] == [] and [(r["Type"], r["Code"]) for r in second["Return"]] == [("E", "ZS001")]
    finally:
        server.stop()
