"""The test BAPI server over real HTTP: endpoints, WSDLs in both naming styles, zeep, logon and the
requests SAP's SOAP runtime refuses. Driven with requests and lxml (and zeep for the WSDLs)."""
from decimal import Decimal

import pytest
import requests
import zeep
from lxml import etree
from zeep.transports import Transport

from tests.support.bapi_catalog import MC_NS, RFC_NS
from tests.support.bapi_client import call, post, request_body
from tests.support.bapi_server import GOODSMVT_GETITEMS, PO_GETDETAIL1, PO_GETITEMS, BapiServer

WSDL = "{http://schemas.xmlsoap.org/wsdl/}"
XSD = "{http://www.w3.org/2001/XMLSchema}"
SOAP = "{http://schemas.xmlsoap.org/soap/envelope/}"
FUNCTIONS = (GOODSMVT_GETITEMS, PO_GETITEMS, PO_GETDETAIL1)
JANUARY = [{"SIGN": "I", "OPTION": "BT", "LOW": "2025-01-01", "HIGH": "2025-01-31"}]


@pytest.fixture(scope="module", params=("rfc", "mc"))
def server(request):
    with BapiServer(style=request.param) as running:
        yield running


def zeep_client(server, location):
    session = requests.Session()
    session.auth = (server.user, server.password)
    return zeep.Client(location, transport=Transport(session=session))


# --- endpoints and WSDLs -------------------------------------------------------------------------

def test_each_function_module_has_its_own_soamanager_endpoint(server):
    assert server.path(PO_GETDETAIL1) == "/sap/bc/srt/rfc/sap/zws_bapi_po_getdetail1/100/zws_bapi_po_getdetail1/srm_bridge"
    assert len({server.url(f) for f in FUNCTIONS}) == 3
    with BapiServer(services={GOODSMVT_GETITEMS: "ZGM_ITEMS"}, binding="GM_BINDING", client="200") as other:
        assert other.path(GOODSMVT_GETITEMS) == "/sap/bc/srt/rfc/sap/zgm_items/200/zgm_items/gm_binding"


@pytest.mark.parametrize("function", FUNCTIONS)
def test_wsdl_is_served_to_an_authenticated_user_and_names_the_style(server, function):
    assert requests.get(server.wsdl_url(function), timeout=10).status_code == 401
    reply = requests.get(server.wsdl_url(function), auth=(server.user, server.password), timeout=10)
    assert reply.status_code == 200 and reply.text == server.wsdl_text(function)
    wsdl = etree.fromstring(reply.content)
    style = server.style
    assert wsdl.get("targetNamespace") == style.namespace
    request, response = style.name(function), style.name(function) + "Response"
    assert [m.get("name") for m in wsdl.iterfind(f"{WSDL}message")] == [request, response]
    assert [p.get("name") for p in wsdl.iterfind(f"{WSDL}message/{WSDL}part")] == ["parameters", "parameter"]
    assert wsdl.find(f"{WSDL}portType").get("name") == server.services[function]
    action = wsdl.find(".//{http://schemas.xmlsoap.org/wsdl/soap/}operation").get("soapAction")
    assert action == f"{style.namespace}:{server.services[function]}:{request}Request" == server.soap_action(function)
    assert wsdl.find(".//{http://schemas.xmlsoap.org/wsdl/soap/}address").get("location") == server.url(function)


def test_rfc_style_schema_names_everything_as_the_dictionary_does():
    with BapiServer(style="rfc") as server:
        wsdl = etree.fromstring(server.wsdl_text(PO_GETDETAIL1).encode())
    schemas = wsdl.findall(f"{WSDL}types/{XSD}schema")
    assert [s.get("targetNamespace") for s in schemas] == [RFC_NS]
    schema = schemas[0]
    assert schema.get("attributeFormDefault") == "qualified" and schema.get("elementFormDefault") is None
    table = schema.find(f"{XSD}complexType[@name='TABLE_OF_BAPIRET2']/{XSD}sequence/{XSD}element")
    assert (table.get("name"), table.get("type"), table.get("minOccurs"), table.get("maxOccurs")) == (
        "item", "tns:BAPIRET2", "0", "unbounded")
    date10 = schema.find(f"{XSD}simpleType[@name='date10']/{XSD}restriction")
    assert [(f.tag[len(XSD):], f.get("value")) for f in date10] == [("maxLength", "10"), ("pattern", r"\d\d\d\d-\d\d-\d\d")]
    request = schema.find(f"{XSD}element[@name='BAPI_PO_GETDETAIL1']/{XSD}complexType/{XSD}sequence")
    names = [e.get("name") for e in request]
    assert names == sorted(names) and names[-1] == "VERSION" and len(names) == 35
    purchase_order = request.find(f"{XSD}element[@name='PURCHASEORDER']")
    assert purchase_order.get("type") == "tns:char10" and purchase_order.get("minOccurs") is None
    assert request.find(f"{XSD}element[@name='POITEM']").get("minOccurs") == "0"
    fields = schema.find(f"{XSD}complexType[@name='BAPIMEPOSCHEDULE']/{XSD}sequence")
    assert [(e.get("name"), e.get("type"), e.get("minOccurs")) for e in fields][:4] == [
        ("PO_ITEM", "tns:numeric5", None), ("SCHED_LINE", "tns:numeric4", None), ("DEL_DATCAT_EXT", "tns:char1", None),
        ("DELIVERY_DATE", "tns:char10", None)]


def test_mc_style_schema_camel_cases_names_and_imports_the_rfc_types():
    with BapiServer(style="mc") as server:
        wsdl = etree.fromstring(server.wsdl_text(GOODSMVT_GETITEMS).encode())
    simple, main = wsdl.findall(f"{WSDL}types/{XSD}schema")
    assert (simple.get("targetNamespace"), main.get("targetNamespace")) == (RFC_NS, MC_NS)
    assert main.find(f"{XSD}import").get("namespace") == RFC_NS
    assert simple.find(f"{XSD}simpleType[@name='quantum13.3']") is not None
    assert main.find(f"{XSD}complexType[@name='TableOfBapi2017GmItemShow']") is not None
    item = main.find(f"{XSD}complexType[@name='Bapi2017GmItemShow']/{XSD}sequence")
    assert [(e.get("name"), e.get("type")) for e in item][:3] == [
        ("MatDoc", "n0:char10"), ("DocYear", "n0:numeric4"), ("MatdocItm", "n0:numeric4")]
    request = main.find(f"{XSD}element[@name='BapiGoodsmvtGetitems']/{XSD}complexType/{XSD}sequence")
    assert [(e.get("name"), e.get("minOccurs")) for e in request][:4] == [
        ("BatchRa", "0"), ("GoodsmvtHeader", None), ("GoodsmvtItems", None), ("MaterialRa", "0")]


@pytest.mark.parametrize("function", FUNCTIONS)
def test_zeep_builds_each_call_from_the_wsdl_and_reads_the_answer(server, function):
    client = zeep_client(server, server.wsdl_url(function))
    name = server.style.name
    operation = getattr(client.service, name(function))
    empty = {"item": []}
    if function == GOODSMVT_GETITEMS:
        ranges = [{name("SIGN"): "I", name("OPTION"): "BT", name("LOW"): "2025-01-01", name("HIGH"): "2025-01-31"}]
        answer = operation(**{name("PSTNG_DATE_RA"): {"item": ranges}, name("GOODSMVT_HEADER"): empty,
                              name("GOODSMVT_ITEMS"): empty, name("RETURN"): empty})
        expected = sorted((d.mat_doc, d.doc_year, i.matdoc_itm) for d in server.documents for i in d.items
                          if d.pstng_date.strftime("%Y-%m") == "2025-01")
        items = answer[name("GOODSMVT_ITEMS")]["item"]
        assert [(i[name("MAT_DOC")], i[name("DOC_YEAR")], i[name("MATDOC_ITM")]) for i in items] == expected
        assert all(isinstance(i[name("ENTRY_QNT")], Decimal) for i in items)
    elif function == PO_GETITEMS:
        answer = operation(**{name("DOC_DATE"): "2025-03-01", name("PO_ITEMS"): empty})
        listed = {i[name("PO_NUMBER")] for i in answer[name("PO_ITEMS")]["item"]}
        assert listed == {o.po_number for o in server.orders if str(o.doc_date) >= "2025-03-01"}
    else:
        order = server.orders[4]
        answer = operation(**{name("PURCHASEORDER"): order.po_number, name("POITEM"): empty,
                              name("POSCHEDULE"): empty, name("RETURN"): empty})
        assert answer[name("POHEADER")][name("VENDOR")] == order.vendor
        assert [i[name("PO_ITEM")] for i in answer[name("POITEM")]["item"]] == [i.po_item for i in order.items]
        assert len(answer[name("POSCHEDULE")]["item"]) == sum(len(i.schedules) for i in order.items)
        assert answer[name("RETURN")] is None and answer[name("POHISTORY")] is None


def test_a_wsdl_file_shipped_by_the_customer_is_usable(server, tmp_path):
    path = server.write_wsdl(PO_GETDETAIL1, tmp_path)
    assert path.name == "zws_bapi_po_getdetail1.wsdl"
    name = server.style.name
    answer = getattr(zeep_client(server, str(path)).service, name(PO_GETDETAIL1))(
        **{name("PURCHASEORDER"): server.orders[0].po_number})
    assert answer[name("POHEADER")][name("PO_NUMBER")] == server.orders[0].po_number


def test_zeep_refuses_a_range_row_without_high_as_the_wsdl_requires_it(server):
    name = server.style.name
    operation = getattr(zeep_client(server, server.wsdl_url(GOODSMVT_GETITEMS)).service, name(GOODSMVT_GETITEMS))
    row = {name("SIGN"): "I", name("OPTION"): "EQ", name("LOW"): "101"}
    with pytest.raises(zeep.exceptions.ValidationError):
        operation(**{name("MOVE_TYPE_RA"): {"item": [row]}, name("GOODSMVT_HEADER"): {"item": []},
                     name("GOODSMVT_ITEMS"): {"item": []}, name("RETURN"): {"item": []}})


# --- logon ---------------------------------------------------------------------------------------

def test_wrong_password_or_another_client_is_401_and_the_right_client_is_answered(server):
    body = request_body(PO_GETDETAIL1, server.style.key, {"PURCHASEORDER": server.orders[0].po_number})
    assert post(server, PO_GETDETAIL1, body, auth=("SRM_BRIDGE", "wrong")).status == 401
    refused = post(server, PO_GETDETAIL1, body, sap_client="200")
    assert refused.status == 401 and "SAP NetWeaver" in refused.headers["WWW-Authenticate"]
    assert post(server, PO_GETDETAIL1, body, sap_client="100").status == 200
    assert [c.status for c in server.calls_to(PO_GETDETAIL1)[-3:]] == [401, 401, 200]


def test_wsdl_without_credentials_when_the_system_allows_it():
    with BapiServer(wsdl_requires_auth=False) as server:
        assert requests.get(server.wsdl_url(PO_GETITEMS), timeout=10).text == server.wsdl_text(PO_GETITEMS)
        body = request_body(PO_GETITEMS, "rfc", tables={"PO_ITEMS": []})
        assert requests.post(server.url(PO_GETITEMS), data=body, timeout=10,
                             headers={"Content-Type": "text/xml"}).status_code == 401


# --- requests SAP refuses ------------------------------------------------------------------------

REFUSED = {
    "not XML": (PO_GETDETAIL1, lambda style: b"<not-xml", "not well-formed"),
    "another function's element": (PO_GETDETAIL1, lambda style: request_body(PO_GETITEMS, style, tables={"PO_ITEMS": []}),
                                   "this service expects"),
    "unknown element": (PO_GETDETAIL1, lambda style: request_body(PO_GETDETAIL1, style, {"PURCHASEORDER": "4500000001",
                                                                                         "PAGING": "1"}), "schema"),
    "mandatory import missing": (PO_GETDETAIL1, lambda style: request_body(PO_GETDETAIL1, style, tables={"POITEM": []}),
                                 "schema"),
    "mandatory table missing": (GOODSMVT_GETITEMS, lambda style: request_body(
        GOODSMVT_GETITEMS, style, tables={"PSTNG_DATE_RA": JANUARY, "GOODSMVT_ITEMS": [], "RETURN": []}), "schema"),
    "range row without HIGH": (GOODSMVT_GETITEMS, lambda style: request_body(GOODSMVT_GETITEMS, style, tables={
        "PSTNG_DATE_RA": [{"SIGN": "I", "OPTION": "EQ", "LOW": "2025-01-02"}], "GOODSMVT_HEADER": [],
        "GOODSMVT_ITEMS": [], "RETURN": []}, complete=False), "schema"),
    "date in the user's format": (PO_GETITEMS, lambda style: request_body(PO_GETITEMS, style, {"DOC_DATE": "01.03.2025"},
                                                                         {"PO_ITEMS": []}), "schema"),
    "no such day": (PO_GETITEMS, lambda style: request_body(PO_GETITEMS, style, {"DOC_DATE": "2025-02-30"},
                                                            {"PO_ITEMS": []}), "not of its type"),
}


@pytest.mark.parametrize("case", REFUSED)
def test_a_request_sap_would_refuse_gets_a_client_soap_fault(server, case):
    function, body, reason = REFUSED[case]
    answer = post(server, function, body(server.style.key))
    assert answer.status == 500 and answer.fault_code == "soap-env:Client"
    assert answer.fault.startswith("Web service processing error; more details in the web service error log")
    logged = server.calls_to(function)[-1]
    assert logged.status == 500 and reason in logged.fault


def test_soap_1_2_is_refused_with_415(server):
    body = request_body(PO_GETDETAIL1, server.style.key, {"PURCHASEORDER": "4500000001"})
    answer = post(server, PO_GETDETAIL1, body, content_type="application/soap+xml; charset=utf-8")
    assert answer.status == 415 and answer.fault_code == "soap-env:Client"


def test_an_unknown_path_is_404(server):
    reply = requests.post(server.base_url + "/sap/bc/srt/rfc/sap/zws_nothing/100/zws_nothing/srm_bridge",
                          data=b"", auth=(server.user, server.password), timeout=10)
    assert reply.status_code == 404


def test_answers_use_sap_envelope_prefixes(server):
    answer = call(server, PO_GETITEMS, {"VENDOR": server.orders[0].vendor}, {"PO_ITEMS": []})
    envelope = etree.fromstring(answer.content)
    assert envelope.prefix == "soap-env" and envelope.find(f"{SOAP}Header") is not None
    message = envelope.find(f"{SOAP}Body")[0]
    assert message.prefix == "n0" and message.tag == f"{{{server.style.namespace}}}{server.style.name(PO_GETITEMS)}Response"
    assert all(child.tag == etree.QName(child).localname for child in message.iter() if child is not message)
