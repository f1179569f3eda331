"""Hostile and malformed SAP answers, served over real HTTP behind the real WSDL: refused, never obeyed."""
from datetime import datetime, timezone

import pytest

from config.settings import SapSettings
from connectors.errors import ConnectorError, PayloadError
from connectors.sap import SapConnector
from sandbox import http
from sandbox.sap_server import NS, PATH, SOAP_ENV, SapStandIn

SINCE, UNTIL = datetime(1970, 1, 1, tzinfo=timezone.utc), datetime(2100, 1, 1, tzinfo=timezone.utc)
RESPONSE = "PurchaseOrderERPByElementsResponse_sync"


def envelope(inner: str, prolog: str = "", envelope_ns: str = SOAP_ENV, response_ns: str = NS) -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?>{prolog}<soap-env:Envelope xmlns:soap-env="{envelope_ns}">'
            f'<soap-env:Body><n0:{RESPONSE} xmlns:n0="{response_ns}">{inner}'
            "<ResponseProcessingConditions><ReturnedQueryHitsNumberValue>1</ReturnedQueryHitsNumberValue>"
            "<MoreHitsAvailableIndicator>false</MoreHitsAvailableIndicator></ResponseProcessingConditions>"
            f"</n0:{RESPONSE}></soap-env:Body></soap-env:Envelope>").encode()


def order(po_id: str = "4500000001", vendor: str = "100001", unit: str = "EA", quantity: str = "100",
          due: str = "2026-05-10T00:00:00", extra: str = "") -> str:
    return (f"<PurchaseOrder><ID>{po_id}</ID><LastChangeDateTime>2026-04-01T08:00:00Z</LastChangeDateTime>"
            f"<PurchaseOrderDate>2026-04-01</PurchaseOrderDate><SellerParty><InternalID>{vendor}</InternalID>"
            f"</SellerParty><CurrencyCode>EUR</CurrencyCode><Item><ID>00010</ID><Product><InternalID>M-1"
            f"</InternalID></Product><PlantID>1000</PlantID><Quantity unitCode=\"{unit}\">{quantity}</Quantity>"
            f"<NetPrice><Amount currencyCode=\"EUR\">10.00</Amount><BaseQuantity unitCode=\"{unit}\">1</BaseQuantity>"
            f"</NetPrice><ScheduleLine><ID>0001</ID><DeliveryDateTime>{due}</DeliveryDateTime>"
            f"<Quantity unitCode=\"{unit}\">{quantity}</Quantity></ScheduleLine>{extra}</Item></PurchaseOrder>")


class FixedAnswer:
    """The real stand-in's WSDL; every POST answered with the given body."""

    def __init__(self, body: bytes, status: str = "200 OK", content_type: str = "text/xml; charset=utf-8") -> None:
        self.wsdl = SapStandIn({})
        self.body, self.status, self.content_type = body, status, content_type

    def __call__(self, environ, start_response):
        if environ["REQUEST_METHOD"] == "GET":
            return self.wsdl(environ, start_response)
        start_response(self.status, [("Content-Type", self.content_type), ("Content-Length", str(len(self.body)))])
        return [self.body]


@pytest.fixture
def answering():
    servers = []

    def serve(body: bytes, **options) -> SapConnector:
        server = http.start(FixedAnswer(body, **options), path=PATH)
        servers.append(server)
        return SapConnector(SapSettings(url=server.url, max_attempts=3, retry_initial_s=0))

    yield serve
    for server in servers:
        server.stop()


def pull(connector: SapConnector) -> list:
    return list(connector.purchase_orders(SINCE, UNTIL))


def test_xxe_is_refused_and_never_reads_the_file(answering, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    prolog = f'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file://{secret}">]>'
    with pytest.raises(PayloadError, match="document type") as refused:
        pull(answering(envelope(order(po_id="&xxe;"), prolog=prolog)))
    assert "TOP-SECRET" not in str(refused.value)


def test_entity_expansion_is_refused(answering):
    lol = "".join(f'<!ENTITY l{n} "{("&l" + str(n - 1) + ";") * 10}">' for n in range(1, 10))
    prolog = f'<!DOCTYPE x [<!ENTITY l0 "lol">{lol}]>'
    with pytest.raises(PayloadError, match="document type"):
        pull(answering(envelope(order(vendor="&l9;"), prolog=prolog)))


@pytest.mark.parametrize("body, reason", [
    (envelope(order(extra="<x>" * 5000 + "</x>" * 5000)), "not well-formed"),
    (envelope(order(), envelope_ns="http://www.w3.org/2003/05/soap-envelope"), "SOAP 1.1"),
    (envelope(order(), response_ns="urn:somebody-else"), "expected"),
    (envelope(order())[:-120], "not well-formed"),
    (b"<html><body>Maintenance</body></html>", "SOAP 1.1"),
    (b"", "not well-formed"),
    (envelope(order(po_id="4" * 11_000_000)), "not well-formed"),  # libxml2 bounds a text node at 10 MB
], ids=["deep-nesting", "soap-1.2-namespace", "wrong-response-namespace", "truncated", "html-page", "empty",
        "huge-text-node"])
def test_malformed_answers_are_payload_errors(answering, body, reason):
    with pytest.raises(PayloadError, match=reason):
        pull(answering(body))


def test_an_html_error_page_is_a_transport_error_with_its_status(answering):
    with pytest.raises(ConnectorError, match="HTTP 502"):
        pull(answering(b"<html>Bad gateway</html>", status="502 Bad Gateway", content_type="text/html"))


@pytest.mark.parametrize("bad, reason", [
    (order(po_id="4500000002", quantity="-5"), "greater than 0"),
    (order(po_id="4500000003", unit="XYZ"), "unit 'XYZ' is unknown"),
    (order(po_id="4500000004", due=""), "due"),
    (order(po_id="4500000005", vendor=""), "vendor"),
    (order(po_id="4500000006", vendor="V" * 300), "longer than 255"),
    (order(po_id="4500000007", quantity="1.0001"), "decimal places"),
    (order(po_id="4500000008", due="2026-13-45T00:00:00"), "due"),
])
def test_a_bad_record_is_rejected_with_its_reason_and_raw_fragment_and_the_rest_kept(answering, bad, reason):
    [page] = pull(answering(envelope(order() + bad + order(po_id="4500000009"))))
    assert [o.id for o in page.records] == ["4500000001", "4500000009"]
    [rejected] = page.rejected
    assert reason in rejected.reason and rejected.raw.startswith("<PurchaseOrder") and rejected.key in bad
