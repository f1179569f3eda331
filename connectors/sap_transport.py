"""SOAP to SAP, shared by every SAP profile: one zeep client per service, and bounded exchanges.

zeep reads each service's WSDL (`<url>?wsdl`, or a WSDL file the customer ships) and builds each
request envelope; the exchange itself is ours. An answer is read as a stream of decompressed
bytes, counted against `sap.max_response_mb`, and the whole exchange (connect, send, every byte
of the answer) is cut off at `sap.operation_timeout_s`: a gzip bomb, an endless body or a server
trickling one byte a second ends with a clear error while memory stays bounded. WSDL downloads
are bounded the same way.

    ConnectorError          an endpoint that is not configured, a WSDL file that is not there
    ├── TransientError      5xx, 429, timeouts (the whole exchange), connection errors: retried
    ├── AuthError           401/403, a failed TLS handshake (trust or client certificate), a client
    │                       certificate or key file that is not there
    ├── RemoteFault         SOAP fault, other 4xx, an operation the WSDL does not offer: not retried
    └── PayloadError        an answer over its size bound, a DTD, XML that does not match the WSDL

Each call has one retry budget (`sap.max_attempts`); nothing here retries inside it.
"""
import threading
import time
from typing import Any, Callable

import requests
import urllib3.exceptions
import zeep
import zeep.exceptions
from lxml import etree
from zeep.transports import Transport
from zeep.wsdl.bindings.soap import Soap11Binding

from config.files import missing_file
from config.settings import SapSettings
from connectors.cancel import Cancel
from connectors.errors import AuthError, ConnectorError, PayloadError, RemoteFault, ResponseTooLarge, TransientError
from connectors.http import ConfiguredSession
from connectors.kept import Kept
from connectors.retry import transient_retry

CHUNK = 64 * 1024


def with_client(url: str, client: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}sap-client={client}"


def _session(settings: SapSettings) -> requests.Session:
    for setting, path in (("sap.client_cert", settings.client_cert), ("sap.client_key", settings.client_key)):
        if problem := missing_file(setting, path):
            raise AuthError(problem)
    session = ConfiguredSession(settings.verify)
    session.headers["Accept-Encoding"] = "gzip, deflate"
    if settings.user:
        session.auth = (settings.user, settings.password.get_secret_value())
    if settings.client_cert:
        session.cert = (str(settings.client_cert), str(settings.client_key)) if settings.client_key \
            else str(settings.client_cert)
    return session


class SapTransport:
    """The session, the limits and the retry policy every SAP call shares."""

    def __init__(self, settings: SapSettings, cancel: Cancel | None = None) -> None:
        self.settings = settings
        self.session = _session(settings)
        self.max_bytes = int(settings.max_response_mb * 1024 * 1024)
        self.retrying = transient_retry(settings.max_attempts, settings.retry_initial_s, cancel=cancel)

    def guard(self, call: Callable[[], Any], doing: str) -> Any:
        """Run a call with retries, translating library errors into the connector error tree."""
        def attempt() -> Any:
            try:
                return call()
            except zeep.exceptions.TransportError as exc:
                if exc.status_code >= 500 or exc.status_code == 429:
                    raise TransientError(f"SAP answered HTTP {exc.status_code} while {doing}") from None
                raise
            except requests.exceptions.SSLError as exc:
                raise AuthError(f"TLS handshake with SAP failed while {doing} (check sap.verify and the client "
                                f"certificate): {exc}") from None
            except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                    requests.exceptions.InvalidSchema) as exc:
                raise ConnectorError(f"not a usable SAP URL while {doing} (check sap.url and sap.*.url): {exc}") from None
            except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
                raise TransientError(f"SAP unreachable while {doing}: {type(exc).__name__}") from None

        try:
            return self.retrying(attempt)
        except ConnectorError:
            raise
        except zeep.exceptions.Fault as exc:
            raise RemoteFault(f"SAP fault while {doing}: {exc.message}") from None
        except zeep.exceptions.TransportError as exc:
            raise _http_error(exc.status_code, doing) from None
        except (zeep.exceptions.DTDForbidden, zeep.exceptions.EntitiesForbidden) as exc:
            raise PayloadError(f"SAP response while {doing} declares a DTD or entities, refused: {exc}") from None
        except (zeep.exceptions.XMLSyntaxError, zeep.exceptions.XMLParseError, etree.XMLSyntaxError) as exc:
            raise PayloadError(f"SAP response while {doing} is not valid XML: {exc}") from None
        except (zeep.exceptions.Error, ArithmeticError, ValueError, TypeError, AttributeError) as exc:
            raise PayloadError(f"SAP request or response for {doing} does not match the WSDL: {exc!r}") from None

    def read(self, response: requests.Response, deadline: float, doing: str) -> bytes:
        """The decompressed body, at most `max_response_mb`, all of it before `deadline` (time.monotonic)."""
        watchdog = threading.Timer(max(0.0, deadline - time.monotonic()), _interrupt, (response,))
        watchdog.daemon = True
        watchdog.start()
        body = bytearray()
        try:
            while chunk := response.raw.read1(CHUNK, decode_content=True):
                body += chunk
                if len(body) > self.max_bytes:
                    raise ResponseTooLarge(
                        f"SAP's answer while {doing} exceeds sap.max_response_mb={self.settings.max_response_mb:g} "
                        "(counted decompressed): raise the setting or lower sap.page_size")
                if time.monotonic() >= deadline:
                    break
        except (urllib3.exceptions.HTTPError, OSError):
            if time.monotonic() < deadline:
                raise
        finally:
            watchdog.cancel()
            response.close()
        if time.monotonic() >= deadline:
            raise TransientError(f"SAP did not finish answering within sap.operation_timeout_s="
                                 f"{self.settings.operation_timeout_s:g} while {doing}")
        return bytes(body)

    def post(self, url: str, body: bytes, headers: dict[str, str], doing: str,
             refused: Callable[[requests.Response], None]) -> bytes:
        """One exchange (no retry): the body of a 200 answer; `refused` raises for any other status."""
        deadline = time.monotonic() + self.settings.operation_timeout_s
        response = self.session.post(url, data=body, headers=headers, stream=True,
                                     timeout=(self.settings.connect_timeout_s, self.settings.operation_timeout_s))
        response._content = self.read(response, deadline, doing)
        if response.status_code != 200:
            content_type = response.headers.get("Content-Type", "")
            if "xml" not in content_type or b"Envelope" not in response.content[:2048]:
                raise zeep.exceptions.TransportError(status_code=response.status_code, content=response.content[:500])
            refused(response)
            raise zeep.exceptions.TransportError(status_code=response.status_code, content=response.content[:500])
        return response.content


def _interrupt(response: requests.Response) -> None:
    """Wake a read blocked on a silent server once the exchange is out of time."""
    try:
        response.raw.shutdown()
    except (AttributeError, ValueError, RuntimeError, OSError):
        pass  # the answer was complete and its connection already released


def _http_error(status: int, doing: str) -> Exception:
    if status in (401, 403):
        return AuthError(f"SAP refused the credentials (HTTP {status}) while {doing}")
    if status >= 500 or status == 429:
        return TransientError(f"SAP answered HTTP {status} while {doing}")
    return RemoteFault(f"SAP answered HTTP {status} while {doing}")


class _BoundedTransport(Transport):
    """zeep's WSDL and schema downloads, with the same size and time bounds as the exchanges."""

    def __init__(self, sap: SapTransport) -> None:
        super().__init__(session=sap.session, timeout=sap.settings.connect_timeout_s,
                         operation_timeout=sap.settings.operation_timeout_s)
        self.sap = sap

    def _load_remote_data(self, url: str) -> bytes:
        deadline = time.monotonic() + self.sap.settings.operation_timeout_s
        response = self.session.get(url, stream=True, timeout=(self.sap.settings.connect_timeout_s,
                                                               self.sap.settings.operation_timeout_s))
        content = self.sap.read(response, deadline, "loading a WSDL")
        if response.status_code != 200:
            raise zeep.exceptions.TransportError(status_code=response.status_code, content=content[:500])
        return content


class SoapService:
    """One SAP service: its WSDL, its SOAP 1.1 binding and its endpoint (`sap-client` appended)."""

    def __init__(self, transport: SapTransport, name: str, url: str | None, wsdl_file: str | None,
                 setting: str, kept: Kept | None = None) -> None:
        if not url and not wsdl_file:
            raise ConnectorError(f"no endpoint for SAP {name}: set {setting}.url (or sap.url)")
        if problem := missing_file(f"{setting}.wsdl", wsdl_file):
            raise ConnectorError(problem)
        self.transport, self.name, self.setting = transport, name, setting
        client = transport.settings.client
        wsdl = wsdl_file or with_client(f"{url}?wsdl", client)
        zeep_settings = zeep.Settings(strict=True, xml_huge_tree=False, forbid_dtd=True, forbid_entities=True,
                                      forbid_external=True)
        parsed = kept.wsdls.get(wsdl) if kept is not None else None
        self.zeep = transport.guard(lambda: zeep.Client(parsed or wsdl, transport=_BoundedTransport(transport),
                                                        settings=zeep_settings), f"loading the WSDL of {name}")
        if kept is not None:
            kept.wsdls[wsdl] = self.zeep.wsdl
        self.bindings = [b for b in self.zeep.wsdl.bindings.values() if isinstance(b, Soap11Binding)]
        self.address = with_client(url or self._published_address(), client)
        self._proxies: dict[str, Any] = {}

    def _published_address(self) -> str:
        for service in self.zeep.wsdl.services.values():
            for port in service.ports.values():
                if port.binding in self.bindings and port.binding_options.get("address"):
                    return port.binding_options["address"]
        raise ConnectorError(f"the WSDL of SAP {self.name} names no SOAP 1.1 address: set {self.setting}.url")

    def binding(self, operation: str) -> Soap11Binding:
        for binding in self.bindings:
            if operation in binding._operations:
                return binding
        offered = sorted({name for binding in self.bindings for name in binding._operations})
        raise RemoteFault(f"the WSDL of SAP {self.name} has no SOAP 1.1 operation {operation} "
                          f"(check {self.setting}.operation; it offers {', '.join(offered) or 'none'})")

    def request_elements(self, operation: str) -> set[str]:
        """Local names of the request message's child elements, as the WSDL declares them."""
        body = self.binding(operation).get(operation).input.body
        return {name for name, _ in body.type.elements} if body is not None else set()

    def response_qname(self, operation: str) -> str:
        try:
            return self.binding(operation).get(operation).output.body.qname.text
        except AttributeError as exc:
            raise RemoteFault(f"the WSDL of SAP {self.name} gives {operation} no response element: {exc}") from None

    def request(self, operation: str, arguments: dict[str, Any]) -> bytes:
        """The request envelope zeep builds from the WSDL."""
        binding = self.binding(operation)
        proxy = self._proxies.get(binding.name.text)
        if proxy is None:
            proxy = self._proxies[binding.name.text] = self.zeep.create_service(binding.name, self.address)
        envelope = self.transport.guard(lambda: self.zeep.create_message(proxy, operation, **arguments),
                                        f"building the {operation} request")
        return etree.tostring(envelope, encoding="utf-8", xml_declaration=True)

    def call(self, operation: str, arguments: dict[str, Any] | None = None, body: bytes | None = None) -> bytes:
        """Send one request, built from `arguments` (or `body`, as `request` built it); return the body of a 200
        answer, raise the mapped error otherwise."""
        binding = self.binding(operation)
        definition = binding.get(operation)
        body = self.request(operation, arguments or {}) if body is None else body
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{definition.soapaction or ""}"'}

        def refused(response: requests.Response) -> None:
            binding.process_reply(self.zeep, definition, response)  # a SOAP fault: zeep raises it as Fault

        return self.transport.guard(lambda: self.transport.post(self.address, body, headers, operation, refused),
                                    operation)
