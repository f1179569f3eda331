"""SAP connector: query services over SOAP, paged and incremental by change time.

zeep reads the WSDL, builds and sends each request (auth, timeouts) and turns SOAP faults into
errors; a 200 answer is read as a stream by `sap_xml` and mapped by `sap_records`, so a page
never becomes a tree of zeep objects and memory stays bounded by one page.

    ConnectorError
    ├── TransientError   5xx, 429, timeouts, connection errors: retried with jittered backoff
    ├── AuthError        401/403, a failed TLS handshake (trust or client certificate)
    ├── RemoteFault      SOAP fault, error-severity `Log` item, other 4xx: not retried
    └── PayloadError     not XML, a DTD, not the expected envelope, paging that does not advance

Operations and element names come from `settings.sap.purchase_orders` / `.goods_movements`.
"""
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import Any, Callable, Iterator

import requests
import zeep
import zeep.exceptions
from lxml import etree
from zeep.transports import Transport

from config.sap_mapping import GoodsMovementMapping, PurchaseOrderMapping
from config.settings import SapSettings
from connectors.cancel import Cancel
from connectors.errors import AuthError, ConnectorError, PayloadError, RemoteFault, TransientError
from connectors.http import ConfiguredSession
from connectors.retry import transient_retry
from connectors.sap_records import GoodsMovementReader, PurchaseOrderReader
from connectors.sap_xml import ResponsePage, paging_hint, parse_response
from domain.records import GoodsMovement, Page, PurchaseOrder, Rejected

log = logging.getLogger("srm_bridge.connectors.sap")

WARNING_SEVERITY, ERROR_SEVERITY = 2, 3


class _SoapTransport(Transport):
    """Refuses what is not a SOAP envelope (an HTML error page, a proxy's 503) before zeep parses it."""

    def post_xml(self, address: str, envelope: Any, headers: dict) -> requests.Response:
        response = super().post_xml(address, envelope, headers)
        content_type = response.headers.get("Content-Type", "")
        if response.status_code != 200 and ("xml" not in content_type or b"Envelope" not in response.content[:2048]):
            raise zeep.exceptions.TransportError(status_code=response.status_code, content=response.content[:500])
        return response


def _with_client(url: str, client: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}sap-client={client}"


def _session(settings: SapSettings) -> requests.Session:
    session = ConfiguredSession(settings.verify)
    if settings.user:
        session.auth = (settings.user, settings.password.get_secret_value())
    if settings.client_cert:
        session.cert = (str(settings.client_cert), str(settings.client_key)) if settings.client_key \
            else str(settings.client_cert)
    return session


class SapClient:
    """One zeep client per connector, built from settings; every call has a timeout and a retry policy."""

    def __init__(self, settings: SapSettings, cancel: Cancel | None = None) -> None:
        self.settings = settings
        transport = _SoapTransport(session=_session(settings), timeout=settings.connect_timeout_s,
                                   operation_timeout=settings.operation_timeout_s)
        zeep_settings = zeep.Settings(strict=True, xml_huge_tree=False, forbid_dtd=True,
                                      forbid_entities=True, forbid_external=True)
        self.retrying = transient_retry(settings.max_attempts, settings.retry_initial_s, cancel=cancel)
        wsdl = _with_client(f"{settings.url}?wsdl", settings.client)
        self.zeep = self._guard(lambda: zeep.Client(wsdl, transport=transport, settings=zeep_settings),
                                "loading the WSDL")
        name = next(iter(self.zeep.wsdl.bindings))
        self.binding = self.zeep.wsdl.bindings[name]
        self.service = self.zeep.create_service(name, _with_client(settings.url, settings.client))

    def _guard(self, call: Callable[[], Any], doing: str) -> Any:
        """Run a zeep call with retries, translating library errors into the connector error tree."""
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
            except (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
                raise TransientError(f"SAP unreachable while {doing}: {type(exc).__name__}") from None

        try:
            return self.retrying(attempt)
        except (TransientError, AuthError):
            raise
        except zeep.exceptions.Fault as exc:
            raise RemoteFault(f"SAP fault while {doing}: {exc.message}") from None
        except zeep.exceptions.TransportError as exc:
            raise _http_error(exc.status_code, doing) from None
        except (zeep.exceptions.DTDForbidden, zeep.exceptions.EntitiesForbidden) as exc:
            raise PayloadError(f"SAP response while {doing} declares a DTD or entities, refused: {exc}") from None
        except (zeep.exceptions.XMLSyntaxError, zeep.exceptions.XMLParseError, etree.XMLSyntaxError) as exc:
            raise PayloadError(f"SAP response while {doing} is not valid XML: {exc}") from None
        except zeep.exceptions.LookupError as exc:
            raise RemoteFault(f"the SAP service has no {doing} (check sap.*.operation / selection): {exc}") from None
        except (zeep.exceptions.Error, ArithmeticError, ValueError, TypeError, AttributeError) as exc:
            raise PayloadError(f"SAP request or response for {doing} does not match the WSDL: {exc!r}") from None

    def response_qname(self, operation: str) -> str:
        try:
            return self.binding.get(operation).output.body.qname.text
        except (ValueError, AttributeError) as exc:
            raise RemoteFault(f"the SAP WSDL has no operation {operation} (check sap.*.operation): {exc}") from None

    def fetch(self, operation: str, **arguments: Any) -> bytes:
        """Send one request; return the body of a 200 answer, raise the mapped error otherwise."""
        def call() -> bytes:
            with self.zeep.settings(raw_response=True):
                response = getattr(self.service, operation)(**arguments)
            if response.status_code != 200:  # a SOAP fault: zeep raises it as Fault
                self.binding.process_reply(self.zeep, self.binding.get(operation), response)
                raise zeep.exceptions.TransportError(status_code=response.status_code, content=response.content[:500])
            return response.content

        return self._guard(call, operation)


def _http_error(status: int, doing: str) -> Exception:
    if status in (401, 403):
        return AuthError(f"SAP refused the credentials (HTTP {status}) while {doing}")
    if status >= 500 or status == 429:
        return TransientError(f"SAP answered HTTP {status} while {doing}")
    return RemoteFault(f"SAP answered HTTP {status} while {doing}")


def _check_log(page: ResponsePage, operation: str) -> None:
    for severity, note in page.log:
        if severity == WARNING_SEVERITY:
            log.warning("SAP warning", extra={"operation": operation, "note": note})
    errors = [note for severity, note in page.log if severity >= ERROR_SEVERITY]
    if errors:
        raise RemoteFault(f"SAP {operation} reported errors: " + "; ".join(errors))


class SapConnector:
    """Pull purchase orders and goods movements changed in `[since, until)`, page by page."""

    def __init__(self, settings: SapSettings, cancel: Cancel | None = None) -> None:
        self.settings = settings
        self.cancel = cancel
        self._client: SapClient | None = None
        limit = (settings.units, settings.max_field_chars)
        self.read_order = PurchaseOrderReader(settings.purchase_orders, *limit)
        self.read_document = GoodsMovementReader(settings.goods_movements, *limit)

    @property
    def client(self) -> SapClient:
        """Built on first use, so an unreachable SAP fails the run that needs it, not start-up."""
        if self._client is None:
            self._client = SapClient(self.settings, self.cancel)
        return self._client

    def reach(self) -> Iterator[tuple[str, str, ConnectorError | None]]:
        """Each query service in turn (`config check --connect`): its WSDL address, and why it failed to load
        or lacks the configured operation (None when it is fine)."""
        address = _with_client(f"{self.settings.url}?wsdl", self.settings.client)
        for name, mapping in (("purchase_orders", self.settings.purchase_orders),
                              ("goods_movements", self.settings.goods_movements)):
            try:
                self.client.response_qname(mapping.operation)
            except ConnectorError as exc:
                yield name, address, exc
            else:
                yield name, address, None

    def _pages(self, mapping: PurchaseOrderMapping | GoodsMovementMapping, extract: Callable,
               since: datetime, until: datetime) -> Iterator[ResponsePage]:
        """Pages in order; the next page is requested while this one is parsed (keyset from a byte-level hint,
        checked against the parsed page: a wrong hint costs one request, never a wrong page)."""
        client, operation = self.client, mapping.operation
        response_qname = client.response_qname(operation)

        def request(after: str | None) -> bytes:
            return client.fetch(operation, **{
                mapping.selection: {"SelectionByLastChangeDateTime": {"LowerBoundaryDateTime": since,
                                                                      "UpperBoundaryDateTime": until}},
                "QueryProcessingConditions": {"QueryHitsMaximumNumberValue": self.settings.page_size,
                                              "LastReturnedObjectID": after}})

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sap-prefetch") as prefetch:
            after: str | None = None
            upcoming: tuple[str, Future] | None = None
            content = request(None)
            while True:
                hint = paging_hint(content)
                if hint is not None and hint != after:
                    upcoming = (hint, prefetch.submit(request, hint))
                page = parse_response(content, response_qname, mapping.object, extract)
                _check_log(page, operation)
                yield page
                if not page.more:
                    return
                if not page.objects or not page.last_id or page.last_id == after:
                    raise PayloadError(f"SAP {operation} reports more hits but paging does not advance past {after!r}")
                after = page.last_id
                if upcoming is not None and upcoming[0] == after:
                    content = upcoming[1].result()
                else:
                    content = request(after)
                upcoming = None

    def purchase_orders(self, since: datetime, until: datetime) -> Iterator[Page[PurchaseOrder]]:
        for response in self._pages(self.settings.purchase_orders, self.read_order, since, until):
            yield _page(response.objects)

    def goods_movements(self, since: datetime, until: datetime) -> Iterator[Page[GoodsMovement]]:
        for response in self._pages(self.settings.goods_movements, self.read_document, since, until):
            yield _page([line for lines in response.objects for line in lines])


def _page(records: list) -> Page:
    page: Page = Page(records=[])
    for record in records:
        (page.rejected if isinstance(record, Rejected) else page.records).append(record)
    page.cursor = max((r.changed_at for r in page.records), default=None)
    return page
