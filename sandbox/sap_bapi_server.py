"""SAP stand-in for BAPIs published as web services: one SOAMANAGER service per function module.

BAPI_GOODSMVT_GETITEMS, BAPI_PO_GETITEMS and BAPI_PO_GETDETAIL1 each have their own endpoint,
`/sap/bc/srt/rfc/sap/<service>/<client>/<service>/<binding>`, and WSDL (`<endpoint>?wsdl`), in
RFC or mc-style naming (`sap_bapi_ddic`, `sap_bapi_wsdl`). Calls are read and answered as SAP's
SOAP runtime does (`sap_bapi_soap`), by the functions' own rules (`sap_bapi_functions`), from
the dataset (`sap_bapi_data`). Basic auth and the `sap-client` parameter are checked (a failed
logon is HTTP 401). Faults: 503 pages and stalls, a SOAP fault on the Nth call, and
(`Faults.return_error_on`) an HTTP 200 answer whose RETURN holds an error row, the way a BAPI
reports that it failed. Nothing here knows srm-bridge's connector or its settings.
"""
import base64
import binascii
import threading
from collections import deque
from typing import Callable
from urllib.parse import parse_qs

from sandbox.faults import UNAVAILABLE_PAGE, Faults
from sandbox.sap_bapi_data import catalogue
from sandbox.sap_bapi_ddic import FUNCTIONS, STYLES
from sandbox.sap_bapi_functions import Call, RangeError, Result, goodsmvt_getitems, message, po_getdetail1, po_getitems
from sandbox.sap_bapi_soap import RequestFault, fault, read_call, response
from sandbox.sap_bapi_wsdl import wsdl

SERVICES = {"BAPI_GOODSMVT_GETITEMS": "ZSRM_GOODSMVT_GETITEMS", "BAPI_PO_GETITEMS": "ZSRM_PO_GETITEMS",
            "BAPI_PO_GETDETAIL1": "ZSRM_PO_GETDETAIL1"}
XML = "text/xml; charset=utf-8"


class SapBapiStandIn:
    """WSGI application; `GET <endpoint>?wsdl` serves a service's WSDL, `POST <endpoint>` calls its function."""

    def __init__(self, dataset: dict, style: str = "rfc", user: str | None = "SRM_BRIDGE", password: str = "sandbox",
                 client: str = "100", faults: Faults | None = None, binding: str = "srm_bridge",
                 date_format: str = "1", system_zone: str = "UTC") -> None:
        self.style = STYLES[style]
        self.user, self.password, self.client, self.binding = user, password, client, binding
        self.faults = faults or Faults()
        self.date_format, self.system_zone = date_format, system_zone
        self.paths = {f"/sap/bc/srt/rfc/sap/{service.lower()}/{client}/{service.lower()}/{binding}": name
                      for name, service in SERVICES.items()}
        self.received: deque[tuple[str, bytes]] = deque(maxlen=1000)  # (function, request body), for tests
        self.calls = {name: 0 for name in SERVICES}
        self.in_flight = self.max_in_flight = 0
        self._lock = threading.Lock()
        self.load(dataset)

    def load(self, dataset: dict) -> None:
        """Replace the served data (tests use it to simulate changes in SAP)."""
        self.catalogue = catalogue(dataset, self.system_zone)

    def urls(self, base: str) -> dict[str, str]:
        """Each function module's endpoint under the server's base URL."""
        return {name: base + path for path, name in self.paths.items()}

    def __call__(self, environ: dict, start_response: Callable) -> list[bytes]:
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        path = environ.get("PATH_INFO", "")
        name = self.paths.get(path)
        if name is None:
            start_response("404 Not Found", [("Content-Type", "text/html")])
            return [b"<html><body>404 Service cannot be reached</body></html>"]
        if not self._authorised(environ.get("HTTP_AUTHORIZATION", ""), query):
            start_response("401 Unauthorized", [("Content-Type", "text/html"), (
                "WWW-Authenticate", f'Basic realm="SAP NetWeaver Application Server [ERP/{self.client}]"')])
            return [b"<html><body>Logon failed</body></html>"]
        if environ["REQUEST_METHOD"] == "GET" and "wsdl" in query:
            host = environ.get("HTTP_HOST", f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}")
            start_response("200 OK", [("Content-Type", XML)])
            return [wsdl(FUNCTIONS[name], self.style, SERVICES[name], self.binding,
                         f"{environ['wsgi.url_scheme']}://{host}{path}")]
        if environ["REQUEST_METHOD"] != "POST":
            start_response("405 Method Not Allowed", [("Content-Type", "text/plain")])
            return [b"POST a SOAP envelope, or GET ?wsdl"]
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self.calls[name] += 1
        try:
            status, content_type, body = self._answer(name, environ)
        finally:
            with self._lock:
                self.in_flight -= 1
        start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
        return [body]

    def _authorised(self, header: str, query: dict) -> bool:
        """Basic auth in the `sap-client` asked for (without a user, TLS has required a client certificate)."""
        if query.get("sap-client", [self.client])[0] != self.client:
            return False
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

    def _answer(self, name: str, environ: dict) -> tuple[str, str, bytes]:
        number, injected = self.faults.next()
        if injected == "unavailable":
            return "503 Service Unavailable", "text/html", UNAVAILABLE_PAGE
        payload = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        self.received.append((name, payload))
        if injected == "business" or not environ.get("CONTENT_TYPE", "").startswith("text/xml"):
            return "500 Internal Server Error", XML, fault("Server" if injected == "business" else "Client")
        function = FUNCTIONS[name]
        try:
            call, named = read_call(payload, function, self.style)
            result = _injected_error(name, number) if injected == "return_error" else self._run(name, call)
        except RequestFault:
            return "500 Internal Server Error", XML, fault("Client")
        except RangeError:
            return "500 Internal Server Error", XML, fault("Server")
        return "200 OK", XML, response(function, self.style, result, named)

    def _run(self, name: str, call: Call) -> Result:
        if name == "BAPI_GOODSMVT_GETITEMS":
            return goodsmvt_getitems(self.catalogue, call)
        if name == "BAPI_PO_GETITEMS":
            return po_getitems(self.catalogue, call)
        return po_getdetail1(self.catalogue, call, self.date_format)


def _injected_error(name: str, number: int) -> Result:
    """No data, and one error row in RETURN (BAPIRETURN for BAPI_PO_GETITEMS, BAPIRET2 otherwise)."""
    row = message("E", "ZS", "001", "Injected error on call & of the sandbox", str(number),
                  old=name == "BAPI_PO_GETITEMS")
    exports = {"POHEADER": {}, "POEXPIMPHEADER": {}} if name == "BAPI_PO_GETDETAIL1" else {}
    return Result(exports=exports, tables={"RETURN": [row]})
