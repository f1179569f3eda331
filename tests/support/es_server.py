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
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path

from lxml import etree

from tests.support.es_data import EsDataset, MaterialDocument, PurchaseOrder
from tests.support.es_faults import EsFaults, answer_page
from tests.support.es_generator import generate_dataset
from tests.support.es_query import QueryConditions, QueryFault, SelectionRow, read_query
from tests.support.es_render import response_message, soap_fault
from tests.support.es_wsdl import MESSAGES_NS, SERVICES, EsService, message_schema, wsdl_text
from tests.support.soap_http import EnvelopeError, SoapHandlerBase, SoapServerBase, read_message


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


class EsServer(SoapServerBase):
    thread_name = "ES server"

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
        self.realm = f"SAP NetWeaver Application Server [ES/{client}]"

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

    # --- answering -------------------------------------------------------------------------------
    def service_at(self, path: str) -> EsService | None:
        return next((SERVICES[key] for key in SERVICES if self.path(key) == path), None)

    def endpoint_at(self, path: str) -> str | None:
        service = self.service_at(path)
        return service.key if service else None

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
        try:
            return read_message(body, f"{{{MESSAGES_NS}}}{service.query_element}", self._schemas[service.key])
        except EnvelopeError as error:
            raise QueryFault(str(error)) from None

    def _page_size(self, conditions: QueryConditions) -> int | None:
        if conditions.unlimited or conditions.maximum_number is None:
            return self.page_limit
        return min(conditions.maximum_number, self.page_limit or conditions.maximum_number)

    @staticmethod
    def _fault(seen: dict, text: str, code: str) -> tuple[int, bytes]:
        seen["fault"] = text
        return HTTPStatus.INTERNAL_SERVER_ERROR, soap_fault(text, code)


class _Handler(SoapHandlerBase):
    endpoints: EsServer

    def do_POST(self) -> None:
        received = self.read_post()
        if received is None:
            return
        key, body = received
        server, service = self.endpoints, SERVICES[key]
        seen = {"sap_client": self.sap_client(), "soap_action": self.headers.get("SOAPAction")}
        user = server.authorized(self.headers.get("Authorization"))
        if user is None:
            server.record(EsRequest(service.key, HTTPStatus.UNAUTHORIZED, None, **seen, body=body))
            return self.send_unauthorized()
        if not (self.headers.get("Content-Type") or "").startswith("text/xml"):
            status, answer = HTTPStatus.UNSUPPORTED_MEDIA_TYPE, soap_fault("SOAP 1.1 expects text/xml", "Client")
            seen["fault"] = "SOAP 1.1 expects text/xml"
        else:
            status, answer = server.answer(service, body, seen)
        server.record(EsRequest(service.key, status, user, body=body, **seen))
        self.send_payload(status, answer, "text/xml; charset=utf-8")


EsServer.handler_class = _Handler
