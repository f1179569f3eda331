"""A SAP Enterprise Services test server, written from SAP's published artifacts, not from sandbox/.

It serves two ERP query services over real HTTP (a socket on port 0, a background thread), one
endpoint and one WSDL each, as SOAMANAGER publishes them:

    purchase_orders  PurchaseOrderERPByElementsQueryResponse_In
                     /sap/bc/srt/xip/sap/ecc_purchaseorderqr/<client>/<binding>/<binding>
    goods_movements  MaterialDocumentERPByElementsQueryResponse_In
                     /sap/bc/srt/xip/sap/ecc_materialdocumentqr/<client>/<binding>/<binding>

Where each structure comes from:
- WSDL layout, namespaces (messages in http://sap.com/xi/SAPGlobal20/Global, types in
  http://sap.com/xi/APPL/SE/Global, no elementFormDefault), binding, `StandardMessageFault`,
  `ExchangeFaultData`, `Log`/`LogItem`: SAP's published ECC_CUSTOMER002QR WSDL
  (CustomerSimpleByNameAndAddressQueryResponse_In);
- the ERP PurchaseOrder (ID, PurchaseOrderDate, SellerParty/InternalID; Item: ID, Quantity,
  PlantID, Product/InternalID, Price/NetPrice {Amount, BaseQuantity}, Confirmation {ID,
  ProcessingTypeCode, Quantity, DeliveryDateTime}, ScheduleLine {ID, DeliveryDateTime, Quantity})
  and its element order, GDTs Quantity, Amount, Price, LOCAL_DateTime, PartyInternalID, PlantID:
  SAP's PurchaseOrderChangeRequestConfirmation_In WSDL;
- `QueryProcessingConditions`, `ResponseProcessingConditions`, range rows with
  `InclusionExclusionCode`/`IntervalBoundaryTypeCode` and SAP's boundary code list: SAP's
  Enterprise Services query pattern (SAP Help "query processing conditions", ES query messages);
- material documents: no published ES query for them was at hand; the service follows the same
  pattern with SAP's material document fields (MKPF/MSEG as API_MATERIAL_DOCUMENT_SRV names
  them: MaterialDocumentYear as FiscalYear, GoodsMovementType, ReversedMaterialDocument/-Year/-Item
  as ReversedMaterialDocumentReference {ID, FiscalYear, ItemID}).

Use:
    with EsServer(generate_dataset(), page_limit=5, faults=EsFaults(omit_paging=True)) as server:
        server.purchase_orders_url, server.goods_movements_url     # endpoints, no query string
        server.wsdl_url("purchase_orders")                          # endpoint + "?sap-client=..&wsdl"
        server.wsdl_text("purchase_orders"); server.write_wsdl("purchase_orders", tmp_path)
        server.orders, server.documents                             # the source, see es_data
        server.requests                                             # what was asked, see EsRequest

Requests need HTTP basic auth (`user`/`password`, also for `?wsdl` unless
`wsdl_requires_auth=False`; a failure is HTTP 401). A `sap-client` query parameter other than
`client` is answered with a SOAP fault. Every query is validated against the service's XML
Schema (a missing required element is a SOAP fault) and then by es_query's rules. Faults are
HTTP 500 with a StandardMessageFault detail. Page size: `QueryHitsMaximumNumberValue`, capped at
`page_limit` when set; with `QueryHitsUnlimitedIndicator` true, `page_limit` or everything.
"""
import base64
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from lxml import etree

from tests.support.es_data import EsDataset, MaterialDocument, PurchaseOrder
from tests.support.es_faults import EsFaults, answer_page
from tests.support.es_generator import generate_dataset
from tests.support.es_query import QueryConditions, QueryFault, SelectionRow, read_query
from tests.support.es_render import SOAP_NS, response_message, soap_fault
from tests.support.es_wsdl import MESSAGES_NS, SERVICES, EsService, message_schema, wsdl_text

MAX_BODY_BYTES = 1 << 20


@dataclass(frozen=True)
class EsRequest:
    """One POST as the server understood it (rows and conditions are empty when it was refused early)."""
    service: str
    status: int
    user: str | None
    sap_client: str | None
    soap_action: str | None
    rows: tuple[SelectionRow, ...] = ()
    conditions: QueryConditions | None = None
    page: int | None = None
    returned_ids: tuple[str, ...] = ()
    fault: str | None = None
    body: bytes = field(default=b"", repr=False)


class EsServer:
    def __init__(self, dataset: EsDataset | None = None, *, page_limit: int | None = None,
                 faults: EsFaults | None = None, user: str = "SRM_BRIDGE", password: str = "Init1234!",
                 client: str = "100", binding: str = "srm_bridge", wsdl_requires_auth: bool = True) -> None:
        self.dataset = dataset or generate_dataset()
        self.page_limit, self.faults = page_limit, faults or EsFaults()
        self.user, self.password, self.client, self.binding = user, password, client, binding
        self.wsdl_requires_auth = wsdl_requires_auth
        self._lock = threading.Lock()
        self._requests: list[EsRequest] = []
        self._counts = {key: 0 for key in SERVICES}
        self._stream_pages = {key: 0 for key in SERVICES}
        self._schemas = {key: message_schema(service) for key, service in SERVICES.items()}
        self._http: ThreadingHTTPServer | None = None

    # --- the source and what was asked ---------------------------------------------------------
    @property
    def orders(self) -> tuple[PurchaseOrder, ...]:
        return self.dataset.purchase_orders

    @property
    def documents(self) -> tuple[MaterialDocument, ...]:
        return self.dataset.material_documents

    @property
    def requests(self) -> list[EsRequest]:
        with self._lock:
            return list(self._requests)

    def requests_for(self, service: str) -> list[EsRequest]:
        return [request for request in self.requests if request.service == service]

    # --- where it listens ------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        if self._http is None:
            raise RuntimeError("the ES server is not started: use it as a context manager")
        host, port = self._http.server_address[:2]
        return f"http://{host}:{port}"

    def path(self, service: str) -> str:
        return f"/sap/bc/srt/xip/sap/{SERVICES[service].technical_name}/{self.client}/{self.binding}/{self.binding}"

    def url(self, service: str) -> str:
        return self.base_url + self.path(service)

    @property
    def purchase_orders_url(self) -> str:
        return self.url("purchase_orders")

    @property
    def goods_movements_url(self) -> str:
        return self.url("goods_movements")

    def wsdl_url(self, service: str) -> str:
        return f"{self.url(service)}?sap-client={self.client}&wsdl"

    def wsdl_text(self, service: str) -> str:
        return wsdl_text(SERVICES[service], f"{self.url(service)}?sap-client={self.client}", self.binding)

    def write_wsdl(self, service: str, directory: Path) -> Path:
        """The WSDL as a file, as a customer would ship it; its address points at this server."""
        target = Path(directory) / f"{SERVICES[service].technical_name}.wsdl"
        target.write_text(self.wsdl_text(service), encoding="utf-8")
        return target

    # --- lifecycle -------------------------------------------------------------------------------
    def __enter__(self) -> "EsServer":
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._http.daemon_threads = True
        threading.Thread(target=self._http.serve_forever, args=(0.05,), name="es-server", daemon=True).start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._http.shutdown()
        self._http.server_close()

    # --- answering -------------------------------------------------------------------------------
    def service_at(self, path: str) -> EsService | None:
        return next((SERVICES[key] for key in SERVICES if self.path(key) == path), None)

    def authorized(self, header: str | None) -> str | None:
        """The user of a valid basic-auth header, else None."""
        if not header or not header.startswith("Basic "):
            return None
        try:
            user, _, password = base64.b64decode(header[6:], validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        return user if (user, password) == (self.user, self.password) else None

    def answer(self, service: EsService, body: bytes, seen: dict) -> tuple[int, bytes]:
        """Status and SOAP answer of an authenticated query; `seen` collects what goes in the log."""
        with self._lock:
            self._counts[service.key] += 1
            number = self._counts[service.key]
        if seen["sap_client"] not in (None, self.client):
            return self._fault(seen, f"client {seen['sap_client']} does not exist in the system", "Client")
        if self.faults.applies_to(service.key) and self.faults.soap_fault_on_request == number:
            return self._fault(seen, f"request {number} failed: update of the result list was terminated", "Server")
        try:
            message = self._message(service, body)
            rows, conditions = read_query(message, service.selection_element)
            if conditions.maximum_number == 0:
                raise QueryFault("QueryHitsMaximumNumberValue must be at least 1")
        except QueryFault as fault:
            return self._fault(seen, str(fault), "Client")
        with self._lock:
            page = 1 if conditions.last_returned_object_id is None else self._stream_pages[service.key] + 1
            self._stream_pages[service.key] = page
        seen.update(rows=tuple(rows), conditions=conditions, page=page)
        objects = self.orders if service.key == "purchase_orders" else self.documents
        try:
            hits, paging, log = answer_page(objects, rows, conditions, page, self._page_size(conditions),
                                            self.faults if self.faults.applies_to(service.key) else EsFaults())
        except QueryFault as fault:
            return self._fault(seen, str(fault), "Client")
        seen["returned_ids"] = tuple(o.id for o in hits)
        return HTTPStatus.OK, response_message(service.response_element, hits, paging, log)

    def record(self, request: EsRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _message(self, service: EsService, body: bytes) -> etree._Element:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
        try:
            envelope = etree.fromstring(body, parser)
        except etree.XMLSyntaxError as error:
            raise QueryFault(f"the request is not well-formed XML: {error}") from None
        soap_body = envelope.find(f"{{{SOAP_NS}}}Body")
        if envelope.tag != f"{{{SOAP_NS}}}Envelope" or soap_body is None or len(soap_body) != 1:
            raise QueryFault("the request is not a SOAP 1.1 envelope with one body element")
        message = soap_body[0]
        expected = f"{{{MESSAGES_NS}}}{service.query_element}"
        if message.tag != expected:
            raise QueryFault(f"this service expects {expected}, not {message.tag}")
        schema = self._schemas[service.key]
        if not schema.validate(etree.ElementTree(message)):
            raise QueryFault(f"the request does not match the service's schema: {schema.error_log.last_error.message}")
        return message

    def _page_size(self, conditions: QueryConditions) -> int | None:
        if conditions.unlimited or conditions.maximum_number is None:
            return self.page_limit
        return min(conditions.maximum_number, self.page_limit or conditions.maximum_number)

    @staticmethod
    def _fault(seen: dict, text: str, code: str) -> tuple[int, bytes]:
        seen["fault"] = text
        return HTTPStatus.INTERNAL_SERVER_ERROR, soap_fault(text, code)


def _handler(server: EsServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            service = server.service_at(url.path)
            if service is None:
                return self._send(HTTPStatus.NOT_FOUND, b"no service at this path", "text/plain")
            if "wsdl" not in {key.lower() for key in parse_qs(url.query, keep_blank_values=True)}:
                return self._send(HTTPStatus.METHOD_NOT_ALLOWED, b"POST a SOAP request or GET ?wsdl", "text/plain")
            if server.wsdl_requires_auth and server.authorized(self.headers.get("Authorization")) is None:
                return self._unauthorized()
            self._send(HTTPStatus.OK, server.wsdl_text(service.key).encode(), "text/xml; charset=utf-8")

        def do_POST(self) -> None:
            url = urlsplit(self.path)
            service = server.service_at(url.path)
            length = int(self.headers.get("Content-Length") or 0)
            if service is None or length > MAX_BODY_BYTES:
                self.close_connection = True
                status = HTTPStatus.NOT_FOUND if service is None else HTTPStatus.REQUEST_ENTITY_TOO_LARGE
                return self._send(status, status.phrase.encode(), "text/plain")
            body = self.rfile.read(length)
            clients = parse_qs(url.query).get("sap-client")
            seen = {"sap_client": clients[0] if clients else None, "soap_action": self.headers.get("SOAPAction")}
            user = server.authorized(self.headers.get("Authorization"))
            if user is None:
                server.record(EsRequest(service.key, HTTPStatus.UNAUTHORIZED, None, **seen, body=body))
                return self._unauthorized()
            if not (self.headers.get("Content-Type") or "").startswith("text/xml"):
                status, answer = HTTPStatus.UNSUPPORTED_MEDIA_TYPE, soap_fault("SOAP 1.1 expects text/xml", "Client")
                seen["fault"] = "SOAP 1.1 expects text/xml"
            else:
                status, answer = server.answer(service, body, seen)
            server.record(EsRequest(service.key, status, user, body=body, **seen))
            self._send(status, answer, "text/xml; charset=utf-8")

        def _unauthorized(self) -> None:
            self.send_response(HTTPStatus.UNAUTHORIZED)
            self.send_header("WWW-Authenticate", f'Basic realm="SAP NetWeaver Application Server [ES/{server.client}]"')
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _send(self, status: int, payload: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format, *args) -> None:
            pass

    return Handler
