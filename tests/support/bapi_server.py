"""A test server for SAP BAPIs published as SOAP web services, written from SAP's published
artifacts, not from sandbox/.

It publishes three function modules over real HTTP (a socket on port 0, a background thread),
each as its own SOAMANAGER service with its own endpoint and WSDL, in one naming style:

    BAPI_GOODSMVT_GETITEMS  /sap/bc/srt/rfc/sap/<service>/<client>/<service>/<binding>
    BAPI_PO_GETITEMS        (same layout; service definition ZWS_<function> unless renamed,
    BAPI_PO_GETDETAIL1       lower case in the path, binding lower case too)

Where each part comes from (details in the module named):
- interfaces and structures (bapi_catalog, bapi_ddic/): SAP/fundamental-tools field catalogs
  bapi_po_getdetail1.js, bapi_po_getitems.js, bapi_po_create1.js (BAPIMEPOHEADERX) and the older
  model/PURCHASE_ORDER catalog (BAPIEKPOC); SAP's source of BAPI_GOODSMVT_GETITEMS (its TABLES,
  the M3 102, M7 220 and M7 842 messages) and of MAP2E_MSEG_TO_2017_GM_ITEM_SHOW (MSEG field of
  each BAPI2017_GM_ITEM_SHOW component);
- WSDL layout, RFC and mc-style naming, elementary types (bapi_wsdl, bapi_values): WSDLs
  SOAMANAGER generated for function modules (ZWS_BAPI_SALESORDER_CREATE, mc-style services);
- messages of the purchasing class 06 (019 "Document & does not exist"): SAP's message class 06.

Use:
    with BapiServer(generate_dataset(), style="mc", faults=BapiFaults(throttle={PO_GETDETAIL1: 3})) as server:
        server.url(PO_GETDETAIL1)                      # endpoint, no query string
        server.wsdl_url(PO_GETDETAIL1)                 # endpoint + "?sap-client=100&wsdl"
        server.wsdl_text(...); server.write_wsdl(PO_GETDETAIL1, tmp_path)
        server.orders, server.documents                # the source, see bapi_data
        server.requests, server.calls_to(function)     # what was asked, see BapiCall
        server.in_flight, server.max_in_flight         # calls being answered now / at most at once

Constructor: BapiServer(dataset=None (generate_dataset()), *, style="rfc" | "mc", faults=None
(bapi_faults), user="SRM_BRIDGE", password="Init1234!", client="100", binding="SRM_BRIDGE",
services={function: service definition} (default ZWS_<function>), date_format="1",
wsdl_requires_auth=True).

Requests need HTTP basic auth (`user`/`password`, also for `?wsdl` unless
`wsdl_requires_auth=False`); a failed logon, and a `sap-client` query parameter naming another
client (no such user there), is HTTP 401. `date_format` is the technical user's date format
(SU01 DATFM "1" DD.MM.YYYY ... "6" YYYY-MM-DD), used by the CHAR 10 DELIVERY_DATE of POSCHEDULE.
"""
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Mapping

from tests.support.bapi_catalog import FUNCTIONS, STYLES
from tests.support.bapi_data import BapiDataset, MaterialDocument, PurchaseOrder
from tests.support.bapi_faults import BapiFaults
from tests.support.bapi_functions import Result, call
from tests.support.bapi_generator import generate_dataset
from tests.support.bapi_ranges import RangeError, RangeRow
from tests.support.bapi_soap import RequestFault, read_call, response, soap_fault
from tests.support.bapi_wsdl import soap_action, write_wsdl, wsdl_text
from tests.support.soap_http import SoapHandlerBase, SoapServerBase

GOODSMVT_GETITEMS, PO_GETITEMS, PO_GETDETAIL1 = "BAPI_GOODSMVT_GETITEMS", "BAPI_PO_GETITEMS", "BAPI_PO_GETDETAIL1"


@dataclass(frozen=True)
class BapiCall:
    """One POST as the server understood it; `call` is its number for its function (None when it
    was refused before counting: unknown path, failed logon)."""
    function: str
    call: int | None
    status: int
    user: str | None
    sap_client: str | None
    soap_action: str | None
    imports: Mapping[str, object] = field(default_factory=dict)
    ranges: Mapping[str, tuple[RangeRow, ...]] = field(default_factory=dict)
    tables: tuple[str, ...] = ()                       # table parameters the request named
    sent: Mapping[str, int] = field(default_factory=dict)   # rows per table in the answer
    returns: tuple[tuple[str, str, str], ...] = ()     # (TYPE, ID or CODE, NUMBER) of each RETURN row sent
    fault: str | None = None
    started: float = 0.0                               # time.monotonic() when received / answered
    finished: float = 0.0
    body: bytes = field(default=b"", repr=False)


class BapiServer(SoapServerBase):
    thread_name = "BAPI server"

    def __init__(self, dataset: BapiDataset | None = None, *, style: str = "rfc", faults: BapiFaults | None = None,
                 user: str = "SRM_BRIDGE", password: str = "Init1234!", client: str = "100",
                 binding: str = "SRM_BRIDGE", services: Mapping[str, str] | None = None, date_format: str = "1",
                 wsdl_requires_auth: bool = True) -> None:
        self.dataset = dataset or generate_dataset()
        self.style = STYLES[style]
        self.faults = faults or BapiFaults()
        self.user, self.password, self.client, self.binding = user, password, client, binding
        self.services = {name: f"ZWS_{name}" for name in FUNCTIONS} | dict(services or {})
        self.date_format, self.wsdl_requires_auth = date_format, wsdl_requires_auth
        self._lock = threading.Lock()
        self._requests: list[BapiCall] = []
        self._counts = {name: 0 for name in FUNCTIONS}
        self.in_flight = self.max_in_flight = 0
        self.realm = f"SAP NetWeaver Application Server [ERP/{client}]"

    # --- the source and what was asked ---------------------------------------------------------
    @property
    def orders(self) -> tuple[PurchaseOrder, ...]:
        return self.dataset.orders

    @property
    def documents(self) -> tuple[MaterialDocument, ...]:
        return self.dataset.documents

    @property
    def requests(self) -> list[BapiCall]:
        with self._lock:
            return list(self._requests)

    def calls_to(self, function: str) -> list[BapiCall]:
        return [request for request in self.requests if request.function == function]

    # --- where it listens ------------------------------------------------------------------------
    def path(self, function: str) -> str:
        service = self.services[function].lower()
        return f"/sap/bc/srt/rfc/sap/{service}/{self.client}/{service}/{self.binding.lower()}"

    def url(self, function: str) -> str:
        return self.base_url + self.path(function)

    def wsdl_url(self, function: str) -> str:
        return f"{self.url(function)}?sap-client={self.client}&wsdl"

    def wsdl_text(self, function: str) -> str:
        return wsdl_text(FUNCTIONS[function], self.style, self.services[function], self.binding, self.url(function))

    def write_wsdl(self, function: str, directory: Path) -> Path:
        """The WSDL as a file, as a customer would ship it; its address points at this server."""
        return write_wsdl(self.wsdl_text(function), directory, self.services[function])

    def soap_action(self, function: str) -> str:
        return soap_action(FUNCTIONS[function], self.style, self.services[function])

    # --- answering -------------------------------------------------------------------------------
    def endpoint_at(self, path: str) -> str | None:
        """The function module published at `path`."""
        return next((name for name in FUNCTIONS if self.path(name) == path), None)

    def answer(self, name: str, body: bytes, content_type: str, seen: dict) -> tuple[int, bytes, dict]:
        """Status, payload and extra headers for an authenticated call; `seen` fills the log."""
        with self._lock:
            self._counts[name] += 1
            number = seen["call"] = self._counts[name]
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            time.sleep(self.faults.delay(name))
            return self._answer(name, number, body, content_type, seen)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _answer(self, name: str, number: int, body: bytes, content_type: str, seen: dict) -> tuple[int, bytes, dict]:
        faults, function = self.faults, FUNCTIONS[name]
        for switch, status in (("throttle", HTTPStatus.TOO_MANY_REQUESTS), ("unavailable", HTTPStatus.SERVICE_UNAVAILABLE)):
            if faults.hits(switch, name, number):
                seen["fault"] = f"{switch} on call {number}"
                return status, status.phrase.encode(), {"Retry-After": str(faults.retry_after)}
        if not content_type.startswith("text/xml"):
            return self._fault(seen, f"SOAP 1.1 expects text/xml, not {content_type!r}", "Client",
                               HTTPStatus.UNSUPPORTED_MEDIA_TYPE)
        if faults.hits("soap_fault", name, number):
            return self._fault(seen, f"soap_fault on call {number}", "Server")
        try:
            received = read_call(body, function, self.style)
        except RequestFault as fault:
            return self._fault(seen, str(fault), "Client")
        request = received.request
        seen.update(imports=dict(request.imports), tables=received.named,
                    ranges={t: tuple(RangeRow(r["SIGN"], r["OPTION"], r["LOW"], r["HIGH"]) for r in rows)
                            for t, rows in request.tables.items() if t.endswith("_RA")})
        try:
            result = faults.apply(name, number, call(function, self.dataset, request, self.date_format))
        except RangeError as error:
            return self._fault(seen, f"the selection failed: {error}", "Server")
        seen.update(sent=_sent(function, result, received.named), returns=_returns(result))
        return HTTPStatus.OK, response(function, self.style, result, received.named), {}

    def record(self, request: BapiCall) -> None:
        with self._lock:
            self._requests.append(request)

    @staticmethod
    def _fault(seen: dict, text: str, code: str, status: int = HTTPStatus.INTERNAL_SERVER_ERROR) -> tuple[int, bytes, dict]:
        seen["fault"] = text
        return status, soap_fault(code), {}


def _sent(function, result: Result, named: tuple[str, ...]) -> dict[str, int]:
    return {p.name: len(result.tables.get(p.name, [])) for p in function.parameters
            if p.is_table and (not p.optional or p.name in named)}


def _returns(result: Result) -> tuple[tuple[str, str, str], ...]:
    return tuple((row["TYPE"], row.get("ID", row.get("CODE", "")), row.get("NUMBER", ""))
                 for row in result.tables.get("RETURN", []))


class _Handler(SoapHandlerBase):
    endpoints: BapiServer

    def do_POST(self) -> None:
        started = time.monotonic()
        received = self.read_post()
        if received is None:
            return
        name, body = received
        server = self.endpoints
        seen = {"sap_client": self.sap_client(), "soap_action": self.headers.get("SOAPAction")}
        user = server.authorized(self.headers.get("Authorization"))
        if user is None or seen["sap_client"] not in (None, server.client):
            server.record(BapiCall(name, None, HTTPStatus.UNAUTHORIZED, None, **seen, started=started,
                                   finished=time.monotonic(), body=body))
            return self.send_unauthorized()
        seen["call"] = None
        status, payload, headers = server.answer(name, body, self.headers.get("Content-Type") or "", seen)
        server.record(BapiCall(name, status=status, user=user, started=started, finished=time.monotonic(),
                               body=body, **seen))
        content_type = "text/xml; charset=utf-8" if payload.startswith(b"<?xml") else "text/plain"
        self.send_payload(status, payload, content_type, headers)


BapiServer.handler_class = _Handler
