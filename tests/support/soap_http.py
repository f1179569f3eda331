"""Plumbing the SOAP test servers share (es_server, bapi_server): a threaded HTTP server on port 0,
basic-auth logon, SOAP 1.1 envelopes read safely and written with SAP's prefixes, and a resolver
for WSDL schemas that import one another. Nothing here knows a service or a message.
"""
import base64
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from lxml import etree

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
MAX_BODY_BYTES = 1 << 20


class EnvelopeError(ValueError):
    """A request body that is not a SOAP 1.1 envelope with one message."""


def read_envelope(body: bytes) -> etree._Element:
    """The one element in the Body of a SOAP 1.1 envelope; entities, DTDs and the network stay off."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        envelope = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as error:
        raise EnvelopeError(f"the request is not well-formed XML: {error}") from None
    soap_body = envelope.find(f"{{{SOAP_NS}}}Body")
    if envelope.tag != f"{{{SOAP_NS}}}Envelope" or soap_body is None or len(soap_body) != 1:
        raise EnvelopeError("the request is not a SOAP 1.1 envelope with one body element")
    return soap_body[0]


def read_message(body: bytes, expected: str, schema: etree.XMLSchema) -> etree._Element:
    """The message of a SOAP 1.1 request: the element `expected` ({namespace}name), valid against `schema`."""
    message = read_envelope(body)
    if message.tag != expected:
        raise EnvelopeError(f"this service expects {expected}, not {message.tag}")
    if not schema.validate(etree.ElementTree(message)):
        raise EnvelopeError(f"the request does not match the service's schema: {schema.error_log.last_error.message}")
    return message


def envelope_body() -> etree._Element:
    """The Body of a new envelope as SAP writes it: prefix soap-env, an empty Header."""
    envelope = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap={"soap-env": SOAP_NS})
    etree.SubElement(envelope, f"{{{SOAP_NS}}}Header")
    return etree.SubElement(envelope, f"{{{SOAP_NS}}}Body")


def serialize(body: etree._Element) -> bytes:
    return etree.tostring(body.getroottree(), xml_declaration=True, encoding="utf-8")


def basic_auth_user(header: str | None, user: str, password: str) -> str | None:
    """The user of a basic-auth header naming `user` and `password`, else None."""
    if not header or not header.startswith("Basic "):
        return None
    try:
        given, _, secret = base64.b64decode(header[6:], validate=True).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return given if (given, secret) == (user, password) else None


class ImportResolver(etree.Resolver):
    """Serves `text` for a schemaLocation ending in `suffix`, so one schema can import another."""
    def __init__(self, suffix: str, text: bytes) -> None:
        super().__init__()
        self.suffix, self.text = suffix, text

    def resolve(self, url, public_id, context):
        return self.resolve_string(self.text, context) if url.endswith(self.suffix) else None


class SoapServerBase:
    """A test server's lifecycle and logon: `with` starts it on 127.0.0.1, port 0, in a daemon thread.

    A subclass names its `handler_class` (a SoapHandlerBase with its do_POST), the user and
    password it accepts, whether `?wsdl` needs them, and maps a path to an endpoint key."""
    thread_name = "soap-server"
    handler_class: type["SoapHandlerBase"]
    user: str
    password: str
    wsdl_requires_auth: bool
    realm: str
    _http: ThreadingHTTPServer | None = None

    def endpoint_at(self, path: str) -> str | None:
        raise NotImplementedError

    def wsdl_text(self, key: str) -> str:
        raise NotImplementedError

    def authorized(self, header: str | None) -> str | None:
        """The user of a valid basic-auth header, else None."""
        return basic_auth_user(header, self.user, self.password)

    @property
    def base_url(self) -> str:
        if self._http is None:
            raise RuntimeError(f"the {self.thread_name} is not started: use it as a context manager")
        host, port = self._http.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self):
        handler = type("Handler", (self.handler_class,), {"endpoints": self})
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._http.daemon_threads = True
        threading.Thread(target=self._http.serve_forever, args=(0.05,), name=self.thread_name, daemon=True).start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._http.shutdown()
        self._http.server_close()


class SoapHandlerBase(BaseHTTPRequestHandler):
    """GET `?wsdl` of an endpoint, the checks every POST starts with, and the replies."""
    protocol_version = "HTTP/1.1"
    endpoints: SoapServerBase

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        key = self.endpoints.endpoint_at(url.path)
        if key is None:
            return self.send_payload(HTTPStatus.NOT_FOUND, b"no service at this path", "text/plain")
        if "wsdl" not in {name.lower() for name in parse_qs(url.query, keep_blank_values=True)}:
            return self.send_payload(HTTPStatus.METHOD_NOT_ALLOWED, b"POST a SOAP request or GET ?wsdl", "text/plain")
        if self.endpoints.wsdl_requires_auth and self.endpoints.authorized(self.headers.get("Authorization")) is None:
            return self.send_unauthorized()
        self.send_payload(HTTPStatus.OK, self.endpoints.wsdl_text(key).encode(), "text/xml; charset=utf-8")

    def read_post(self) -> tuple[str, bytes] | None:
        """The endpoint key and body of a POST, or None once it was answered 404 or 413."""
        key = self.endpoints.endpoint_at(urlsplit(self.path).path)
        length = int(self.headers.get("Content-Length") or 0)
        if key is None or length > MAX_BODY_BYTES:
            self.close_connection = True
            status = HTTPStatus.NOT_FOUND if key is None else HTTPStatus.REQUEST_ENTITY_TOO_LARGE
            self.send_payload(status, status.phrase.encode(), "text/plain")
            return None
        return key, self.rfile.read(length)

    def sap_client(self) -> str | None:
        clients = parse_qs(urlsplit(self.path).query).get("sap-client")
        return clients[0] if clients else None

    def send_payload(self, status: int, payload: bytes, content_type: str, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def send_unauthorized(self) -> None:
        self.send_response(HTTPStatus.UNAUTHORIZED)
        self.send_header("WWW-Authenticate", f'Basic realm="{self.endpoints.realm}"')
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format, *args) -> None:
        pass
