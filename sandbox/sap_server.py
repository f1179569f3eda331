"""SAP stand-in: ERP's purchase-order and material-document query services as SOAMANAGER publishes them.

Each service has its own endpoint, `/sap/bc/srt/xip/sap/<service>/<client>/<binding>/<binding>`,
and its own WSDL at `<endpoint>?wsdl`, written from SAP's published structures (`sap_gdt.xsd`
and the two `.wsdl` files): message elements in http://sap.com/xi/SAPGlobal20/Global, types in
http://sap.com/xi/APPL/SE/Global, unqualified children. Requests follow the ES query pattern
(`sap_query`): range-row selections and `ProcessingConditions`, paged by object id; answers are
the objects, `ProcessingConditions` and a `Log`; errors are `StandardMessageFault`s. Basic auth
(or a client certificate at the TLS layer) and the `sap-client` parameter are checked.

A customer's wrapper flavour declares `order_indicator`, a request element asking for answers in
change-time order, honoured or (`honour_order=False`) not. Nothing here knows srm-bridge's
connector or its settings.
"""
import base64
import binascii
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import resources
from typing import Any, Callable
from urllib.parse import parse_qs

from lxml import etree

from sandbox.faults import UNAVAILABLE_PAGE, Faults
from sandbox.sap_query import Field, Index, SoapFault, instant, selection
from sandbox.sap_render import Renderer, last_change, material_documents, sub

SAP_GLOBAL = "http://sap.com/xi/SAPGlobal20/Global"
APPL_GLOBAL = "http://sap.com/xi/APPL/SE/Global"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
_SCHEMA = resources.files("sandbox")


def _wsdl(name: str) -> str:
    gdt = _SCHEMA.joinpath("sap_gdt.xsd").read_text(encoding="utf-8")
    types = gdt[gdt.index(">", gdt.index("<xsd:schema")) + 1:gdt.rindex("</xsd:schema>")]
    return _SCHEMA.joinpath(name).read_text(encoding="utf-8").replace("<!-- global data types -->", types)


@dataclass(frozen=True)
class Served:
    obj: dict
    changed_at: datetime


@dataclass(frozen=True)
class Query:
    service: str  # the service's name in its endpoint path
    wsdl: str
    request: str
    response: str
    selection: str
    fields: tuple[Field, ...]


def _changed(entry: Served) -> tuple[datetime]:
    return (entry.changed_at,)


QUERIES = {
    "purchase_orders": Query(
        "purchaseordererpbyelementsqr", _wsdl("sap_purchase_order.wsdl"), "PurchaseOrderERPByElementsQuery_sync",
        "PurchaseOrderERPByElementsResponse_sync", "PurchaseOrderSelectionByElements", (
            Field("SelectionByID", "LowerBoundaryPurchaseOrderID", "UpperBoundaryPurchaseOrderID",
                  lambda entry: (str(entry.obj.get("id")),)),
            Field("SelectionBySellerPartyInternalID", "LowerBoundarySellerPartyInternalID",
                  "UpperBoundarySellerPartyInternalID", lambda entry: (str(entry.obj.get("vendor")),)),
            Field("SelectionByLastChangeDateTime", "LowerBoundaryDateTime", "UpperBoundaryDateTime", _changed,
                  instant))),
    "goods_movements": Query(
        "materialdocumenterpbyelementsqr", _wsdl("sap_material_document.wsdl"),
        "MaterialDocumentERPByElementsQuery_sync", "MaterialDocumentERPByElementsResponse_sync",
        "MaterialDocumentSelectionByElements", (
            Field("SelectionByPurchaseOrderID", "LowerBoundaryPurchaseOrderID", "UpperBoundaryPurchaseOrderID",
                  lambda entry: {str(item.get("po")) for item in entry.obj["items"]}),
            Field("SelectionByLastChangeDateTime", "LowerBoundaryDateTime", "UpperBoundaryDateTime", _changed,
                  instant))),
}


class SapStandIn:
    """WSGI application; `GET <endpoint>?wsdl` serves a service's WSDL, `POST <endpoint>` answers its query."""

    def __init__(self, dataset: dict, user: str | None = "SRM_BRIDGE", password: str = "sandbox",
                 client: str = "100", faults: Faults | None = None, binding: str = "srm_bridge",
                 time_zone: tuple[str, str] = ("CET", "Europe/Berlin"), order_indicator: str | None = None,
                 honour_order: bool = True) -> None:
        self.user, self.password, self.client = user, password, client
        self.faults = faults or Faults()
        self.order_indicator, self.honour_order = order_indicator, honour_order
        self.renderer = Renderer(*time_zone)
        self.paths = {stream: f"/sap/bc/srt/xip/sap/{query.service}/{client}/{binding}/{binding}"
                      for stream, query in QUERIES.items()}
        self.requests_served = 0
        self.wsdls_served = 0
        self.received: deque[bytes] = deque(maxlen=100)  # the last request bodies, for tests
        self.load(dataset)

    def load(self, dataset: dict) -> None:
        """Replace the served data (tests use it to simulate changes in SAP)."""
        now = datetime.now(timezone.utc)
        orders = [Served(po, last_change(po, now)) for po in dataset.get("purchase_orders", ())]
        documents = [Served(doc, instant(doc["changed_at"]))
                     for doc in material_documents(dataset.get("goods_movements", []))]
        self.indexes = {
            "purchase_orders": Index((str(e.obj["id"]), e.changed_at, e) for e in orders),
            "goods_movements": Index((f"{e.obj['document']}{e.obj['year']}", e.changed_at, e) for e in documents)}

    def urls(self, base: str) -> dict[str, str]:
        """Each service's endpoint under the server's base URL."""
        return {stream: base + path for stream, path in self.paths.items()}

    def __call__(self, environ: dict, start_response: Callable) -> list[bytes]:
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        path = environ.get("PATH_INFO", "")
        stream = next((name for name, served in self.paths.items() if served == path), None)
        if stream is None:
            start_response("404 Not Found", [("Content-Type", "text/html")])
            return [b"<html><body>404 Service cannot be reached</body></html>"]
        if environ["REQUEST_METHOD"] == "GET" and "wsdl" in query:
            host = environ.get("HTTP_HOST", f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}")
            body = self._wsdl(stream).replace("{address}", f"{environ['wsgi.url_scheme']}://{host}{path}").encode()
            self.wsdls_served += 1
            start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8")])
            return [body]
        if environ["REQUEST_METHOD"] != "POST":
            start_response("405 Method Not Allowed", [("Content-Type", "text/plain")])
            return [b"POST a SOAP envelope, or GET ?wsdl"]
        if not self._authorised(environ.get("HTTP_AUTHORIZATION", "")):
            start_response("401 Unauthorized", [("Content-Type", "text/html"),
                                                ("WWW-Authenticate", 'Basic realm="SAP NetWeaver Application Server"')])
            return [b"<html><body>Logon failed</body></html>"]
        number, fault = self.faults.next()
        self.requests_served = number
        if fault == "unavailable":
            start_response("503 Service Unavailable", [("Content-Type", "text/html")])
            return [UNAVAILABLE_PAGE]
        payload = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        self.received.append(payload)
        try:
            if fault == "business":
                raise SoapFault("SystemFailure", f"injected fault on request {number}")
            if query.get("sap-client", [self.client])[0] != self.client:
                raise SoapFault("ClientError", f"client {query['sap-client'][0]} does not exist in this system")
            body, status = self._answer(stream, payload), "200 OK"
        except SoapFault as exc:
            body, status = _fault(exc), f"{exc.status} Internal Server Error"
        start_response(status, [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", str(len(body)))])
        return [body]

    def _wsdl(self, stream: str) -> str:
        extension = "" if self.order_indicator is None else \
            f'<xsd:element name="{self.order_indicator}" type="Indicator" minOccurs="0"/>'
        return QUERIES[stream].wsdl.replace("<!-- request extensions -->", extension)

    def _authorised(self, header: str) -> bool:
        """Basic auth; without a user, the TLS layer has already required a client certificate."""
        if self.user is None:
            return True
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return (user, password) == (self.user, self.password)

    def _answer(self, stream: str, payload: bytes) -> bytes:
        spec = QUERIES[stream]
        try:
            envelope = etree.fromstring(payload, _PARSER)
        except etree.XMLSyntaxError as exc:
            raise SoapFault("ParseError", f"request is not well-formed XML: {exc}") from None
        body = envelope.find(f"{{{SOAP_ENV}}}Body")
        request = body[0] if body is not None and len(body) else None
        if request is None or request.tag != f"{{{SAP_GLOBAL}}}{spec.request}":
            raise SoapFault("OperationUnknown", f"{request.tag if request is not None else 'nothing'} is not "
                                                f"{{{SAP_GLOBAL}}}{spec.request}")
        chosen = request.find(spec.selection)
        if chosen is None:
            raise SoapFault("SelectionError", f"{spec.selection} is required")
        limit, after = _conditions(request.find("ProcessingConditions"))
        by_time = self.order_indicator is not None and self.honour_order \
            and request.findtext(self.order_indicator) in ("true", "1")
        hits, more = self.indexes[stream].page(selection(chosen, list(spec.fields)), after, limit, by_time)
        render = self.renderer.purchase_order if stream == "purchase_orders" else self.renderer.material_document
        return _envelope(spec.response, hits, more, render)


def _conditions(conditions: etree._Element | None) -> tuple[int | None, str | None]:
    """(page size, or None for unlimited; the last object id returned before)."""
    if conditions is None:
        raise SoapFault("SelectionError", "ProcessingConditions is required")
    unlimited = conditions.findtext("QueryHitsUnlimitedIndicator")
    if unlimited not in ("true", "false", "1", "0"):
        raise SoapFault("SelectionError", "ProcessingConditions/QueryHitsUnlimitedIndicator is required")
    after = (conditions.findtext("LastReturnedObjectID") or "").strip() or None
    if unlimited in ("true", "1"):
        return None, after
    maximum = conditions.findtext("QueryHitsMaximumNumberValue")
    if maximum is None or not maximum.strip().isdigit() or int(maximum) < 1:
        raise SoapFault("SelectionError", "QueryHitsMaximumNumberValue must be a positive number when "
                                          "QueryHitsUnlimitedIndicator is false")
    return int(maximum), after


def _envelope(response_name: str, hits: list[tuple[str, Any]], more: bool, render: Callable) -> bytes:
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap-env": SOAP_ENV})
    response = etree.SubElement(etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body"), f"{{{SAP_GLOBAL}}}{response_name}",
                                nsmap={"n0": SAP_GLOBAL})
    for _, entry in hits:
        render(response, entry.obj, entry.changed_at)
    conditions = sub(response, "ProcessingConditions")
    sub(conditions, "ReturnedQueryHitsNumberValue", len(hits))
    sub(conditions, "MoreHitsAvailableIndicator", "true" if more else "false")
    if hits:
        sub(conditions, "LastReturnedObjectID", hits[-1][0])
    log = sub(response, "Log")
    sub(log, "MaximumLogItemSeverityCode", 1)
    item = sub(log, "Item")
    sub(item, "TypeID", "001(/SRMSTANDIN/)")
    sub(item, "SeverityCode", 1)
    sub(item, "Note", f"{len(hits)} objects returned" if hits else "No objects found")
    return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _fault(exc: SoapFault) -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><soap-env:Envelope xmlns:soap-env="{SOAP_ENV}"><soap-env:Body>'
        f"<soap-env:Fault><faultcode>soap-env:Server</faultcode><faultstring>{_escape(exc.text)}</faultstring>"
        f'<detail><n0:StandardMessageFault xmlns:n0="{APPL_GLOBAL}"><standard><faultText>{_escape(exc.text)}'
        f"</faultText><faultDetail><severity>error</severity><text>{_escape(exc.text)}</text>"
        f"<id>{_escape(exc.code)}</id></faultDetail></standard></n0:StandardMessageFault></detail></soap-env:Fault>"
        "</soap-env:Body></soap-env:Envelope>"
    ).encode()
