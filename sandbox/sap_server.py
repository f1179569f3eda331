"""SAP stand-in: SOAP 1.1 document/literal query services over HTTP, served from a dataset.

Modelled on SAP Enterprise Services: `…QueryResponse_In` operations in namespace
http://sap.com/xi/APPL/SE/Global, keyset paging through `QueryProcessingConditions`
(`LastReturnedObjectID`, `MoreHitsAvailableIndicator`), `StandardMessageFault` faults, basic
auth and the `sap-client` query parameter. It serves the dataset as written, malformed values
included, so that the connector's own validation is what gets tested.
"""
import base64
import binascii
import bisect
from collections import defaultdict
from datetime import datetime, timezone
from importlib import resources
from typing import Callable, Iterable
from urllib.parse import parse_qs

from lxml import etree

from sandbox.faults import UNAVAILABLE_PAGE, Faults

NS = "http://sap.com/xi/APPL/SE/Global"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
WSDL_TEMPLATE = resources.files("sandbox").joinpath("sap.wsdl").read_text(encoding="utf-8")
PATH = "/sap/bc/srt/scs/sap/srm_bridge"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


class SoapFault(Exception):
    def __init__(self, code: str, text: str, status: int = 500) -> None:
        super().__init__(text)
        self.code, self.text, self.status = code, text, status


def _instant(stamp: str) -> datetime:
    value = datetime.fromisoformat(stamp)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _sub(parent: etree._Element, tag: str, text: object = None, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, tag, {k: v for k, v in attrs.items() if v is not None})
    if text is not None:
        element.text = str(text)
    return element


class _Index:
    """Objects ordered by (change time, id), for `[lower, upper)` selections with keyset paging."""

    def __init__(self, objects: Iterable[tuple[datetime, str, object]]) -> None:
        self.rows = sorted(objects, key=lambda row: (row[0], row[1]))
        self.keys = [(row[0], row[1]) for row in self.rows]
        self.position = {row[1]: (row[0], row[1]) for row in self.rows}

    def select(self, lower: datetime | None, upper: datetime | None, after: str | None, limit: int):
        start = 0
        if after is not None:
            if after not in self.position:
                raise SoapFault("SelectionError", f"LastReturnedObjectID {after} is unknown")
            start = bisect.bisect_right(self.keys, self.position[after])
        if lower is not None:
            start = max(start, bisect.bisect_left(self.keys, (lower, "")))
        hits = []
        for changed_at, key, obj in self.rows[start:]:
            if upper is not None and changed_at >= upper:
                break
            if len(hits) == limit:
                return hits, True
            hits.append((key, obj))
        return hits, False


def _purchase_order_xml(parent: etree._Element, po: dict) -> None:
    element = _sub(parent, "PurchaseOrder")
    _sub(element, "ID", po.get("id"))
    _sub(element, "LastChangeDateTime", po.get("changed_at"))
    _sub(element, "PurchaseOrderDate", po.get("order_date"))
    _sub(_sub(element, "SellerParty"), "InternalID", po.get("vendor"))
    _sub(element, "CurrencyCode", po.get("currency"))
    for item in po.get("items", ()):
        xml_item = _sub(element, "Item")
        _sub(xml_item, "ID", item.get("id"))
        _sub(_sub(xml_item, "Product"), "InternalID", item.get("material"))
        _sub(xml_item, "PlantID", item.get("plant"))
        _sub(xml_item, "Quantity", item.get("quantity"), unitCode=item.get("unit"))
        price = _sub(xml_item, "NetPrice")
        _sub(price, "Amount", item.get("net_price"), currencyCode=po.get("currency"))
        _sub(price, "BaseQuantity", item.get("price_unit", 1), unitCode=item.get("unit"))
        for line in item.get("schedule_lines", ()):
            xml_line = _sub(xml_item, "ScheduleLine")
            _sub(xml_line, "ID", line.get("id"))
            _sub(xml_line, "DeliveryDateTime", f"{line['due']}T00:00:00" if line.get("due") else None)
            _sub(xml_line, "Quantity", line.get("quantity"), unitCode=item.get("unit"))
        for confirmation in item.get("confirmations", ()):
            xml_conf = _sub(xml_item, "Confirmation")
            _sub(xml_conf, "CreationDate", confirmation.get("date"))
            if confirmation.get("due"):
                _sub(xml_conf, "ConfirmedDeliveryDateTime", f"{confirmation['due']}T00:00:00")
            _sub(xml_conf, "Quantity", confirmation.get("quantity"), unitCode=item.get("unit"))


def _material_document_xml(parent: etree._Element, document: dict) -> None:
    element = _sub(parent, "MaterialDocument")
    _sub(element, "ID", document["document"])
    _sub(element, "FiscalYear", document["year"])
    _sub(element, "PostingDate", document["posting_date"])
    _sub(element, "LastChangeDateTime", document["changed_at"])
    for movement in document["items"]:
        item = _sub(element, "Item")
        _sub(item, "ID", movement.get("line"))
        _sub(item, "GoodsMovementTypeCode", movement.get("movement_type"))
        _sub(item, "Quantity", movement.get("quantity"), unitCode=movement.get("unit"))
        reference = _sub(item, "PurchaseOrderReference")
        _sub(reference, "ID", movement.get("po"))
        _sub(reference, "ItemID", movement.get("po_item"))
        if movement.get("schedule_line"):
            _sub(reference, "ScheduleLineID", movement["schedule_line"])
        if movement.get("reverses"):
            reversed_ref = _sub(item, "ReversedMaterialDocumentReference")
            _sub(reversed_ref, "ID", movement["reverses"]["document"])
            _sub(reversed_ref, "FiscalYear", movement["reverses"]["year"])
            _sub(reversed_ref, "ItemID", movement["reverses"]["line"])


def _material_documents(movements: list[dict]) -> list[dict]:
    grouped: dict[tuple[str, int], list[dict]] = defaultdict(list)
    for movement in movements:
        grouped[(str(movement["document"]), int(movement["year"]))].append(movement)
    documents = []
    for (number, year), items in grouped.items():
        first = items[0]
        stamp = first.get("changed_at") or f"{first['posting_date']}T00:00:00Z"
        documents.append({"document": number, "year": year, "posting_date": first["posting_date"],
                          "changed_at": stamp, "items": sorted(items, key=lambda m: int(m["line"]))})
    return documents


class SapStandIn:
    """WSGI application; `GET …?wsdl` serves the WSDL, `POST` answers the query operations."""

    def __init__(self, dataset: dict, user: str | None = "SRM_BRIDGE", password: str = "sandbox",
                 client: str = "100", faults: Faults | None = None) -> None:
        self.user, self.password, self.client = user, password, client
        self.faults = faults or Faults()
        self.requests_served = 0
        self.load(dataset)

    def load(self, dataset: dict) -> None:
        """Replace the served data (tests use it to simulate changes in SAP)."""
        self.purchase_orders = _Index((_instant(po["changed_at"]), str(po["id"]), po)
                                      for po in dataset.get("purchase_orders", ()))
        documents = _material_documents(dataset.get("goods_movements", []))
        self.material_documents = _Index((_instant(doc["changed_at"]), f"{doc['document']}/{doc['year']}", doc)
                                         for doc in documents)

    def __call__(self, environ: dict, start_response: Callable) -> list[bytes]:
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        if environ["REQUEST_METHOD"] == "GET" and "wsdl" in query:
            host = environ.get("HTTP_HOST", f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}")
            address = f"{environ['wsgi.url_scheme']}://{host}{environ.get('PATH_INFO', PATH)}?sap-client={self.client}"
            body = WSDL_TEMPLATE.replace("{address}", address).encode()
            start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8")])
            return [body]
        if environ["REQUEST_METHOD"] != "POST":
            start_response("405 Method Not Allowed", [("Content-Type", "text/plain")])
            return [b"POST a SOAP envelope, or GET ?wsdl"]
        if not self._authorised(environ.get("HTTP_AUTHORIZATION", "")):
            start_response("401 Unauthorized", [("Content-Type", "text/html"), ("WWW-Authenticate", 'Basic realm="SAP NetWeaver Application Server"')])
            return [b"<html><body>Logon failed</body></html>"]
        number, fault = self.faults.next()
        self.requests_served = number
        if fault == "unavailable":
            start_response("503 Service Unavailable", [("Content-Type", "text/html")])
            return [UNAVAILABLE_PAGE]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        try:
            if fault == "business":
                raise SoapFault("SystemFailure", f"injected fault on request {number}")
            if query.get("sap-client", [self.client])[0] != self.client:
                raise SoapFault("ClientError", f"client {query['sap-client'][0]} does not exist in this system")
            body = self._answer(environ["wsgi.input"].read(length))
            status = "200 OK"
        except SoapFault as exc:
            body, status = self._fault(exc), f"{exc.status} Internal Server Error"
        start_response(status, [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", str(len(body)))])
        return [body]

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

    def _answer(self, payload: bytes) -> bytes:
        try:
            envelope = etree.fromstring(payload, _PARSER)
        except etree.XMLSyntaxError as exc:
            raise SoapFault("ParseError", f"request is not well-formed XML: {exc}") from None
        body = envelope.find(f"{{{SOAP_ENV}}}Body")
        request = body[0] if body is not None and len(body) else None
        if request is None:
            raise SoapFault("ParseError", "SOAP body is empty")
        operations = {
            f"{{{NS}}}PurchaseOrderERPByElementsQuery_sync":
                ("PurchaseOrderERPByElementsResponse_sync", "PurchaseOrderSelectionByElements", self.purchase_orders, _purchase_order_xml),
            f"{{{NS}}}MaterialDocumentERPByElementsQuery_sync":
                ("MaterialDocumentERPByElementsResponse_sync", "MaterialDocumentSelectionByElements", self.material_documents, _material_document_xml),
        }
        if request.tag not in operations:
            raise SoapFault("OperationUnknown", f"no operation for {request.tag}")
        response_name, selection_name, index, render = operations[request.tag]
        lower = _boundary(request, f"{selection_name}/SelectionByLastChangeDateTime/LowerBoundaryDateTime")
        upper = _boundary(request, f"{selection_name}/SelectionByLastChangeDateTime/UpperBoundaryDateTime")
        limit = int(request.findtext("QueryProcessingConditions/QueryHitsMaximumNumberValue") or 100)
        after = request.findtext("QueryProcessingConditions/LastReturnedObjectID") or None
        hits, more = index.select(lower, upper, after, limit)
        return self._envelope(response_name, hits, more, render)

    def _envelope(self, response_name: str, hits: list, more: bool, render: Callable) -> bytes:
        envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap-env": SOAP_ENV, "n0": NS})
        response = etree.SubElement(etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body"), f"{{{NS}}}{response_name}")
        for _, obj in hits:
            render(response, obj)
        conditions = _sub(response, "ResponseProcessingConditions")
        _sub(conditions, "ReturnedQueryHitsNumberValue", len(hits))
        _sub(conditions, "MoreHitsAvailableIndicator", "true" if more else "false")
        if hits:
            _sub(conditions, "LastReturnedObjectID", hits[-1][0])
        log = _sub(response, "Log")
        _sub(log, "MaximumLogItemSeverityCode", 1)
        item = _sub(log, "Item")
        _sub(item, "TypeID", "001(SRM)")
        _sub(item, "SeverityCode", 1)
        _sub(item, "Note", f"{len(hits)} objects returned")
        return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")

    @staticmethod
    def _fault(exc: SoapFault) -> bytes:
        return (
            f'<?xml version="1.0" encoding="utf-8"?><soap-env:Envelope xmlns:soap-env="{SOAP_ENV}"><soap-env:Body>'
            f"<soap-env:Fault><faultcode>soap-env:Server</faultcode><faultstring>{_escape(exc.text)}</faultstring>"
            f'<detail><n0:StandardMessageFault xmlns:n0="{NS}"><standard><faultText>{_escape(exc.text)}</faultText>'
            f"<faultDetail><severity>error</severity><text>{_escape(exc.text)}</text><id>{_escape(exc.code)}</id></faultDetail>"
            f"</standard></n0:StandardMessageFault></detail></soap-env:Fault></soap-env:Body></soap-env:Envelope>"
        ).encode()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _boundary(request: etree._Element, path: str) -> datetime | None:
    text = request.findtext(path)
    if not text:
        return None
    try:
        return _instant(text)
    except ValueError:
        raise SoapFault("SelectionError", f"{path.rsplit('/', 1)[-1]} {text!r} is not a date-time") from None
