"""Hostile and malformed SAP answers, served over real HTTP behind the real WSDL: refused, never obeyed."""
import gzip
import resource
import time
import zlib
from datetime import datetime, timezone

import pytest

from connectors.errors import ConnectorError, PayloadError, TransientError
from tests.support.sap_answers import Servers, envelope, order

SINCE, UNTIL = datetime(1970, 1, 1, tzinfo=timezone.utc), datetime(2100, 1, 1, tzinfo=timezone.utc)


@pytest.fixture
def scripted():
    servers = Servers()
    yield servers
    servers.stop()


@pytest.fixture
def answering(scripted):
    def serve(body: bytes, status: str = "200 OK", content_type: str = "text/xml; charset=utf-8"):
        return scripted.connector((status, [("Content-Type", content_type)], body))
    return serve


def pull(connector) -> list:
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


def test_either_global_namespace_is_accepted(answering):
    [page] = pull(answering(envelope(order(), response_ns="http://sap.com/xi/APPL/SE/Global")))
    assert [o.id for o in page.records] == ["4500000001"]


@pytest.mark.parametrize("due, zone, day", [
    ("2026-05-09T22:00:00Z", "CET", "2026-05-10"),        # the plant's midnight, as a UTC instant (summer time)
    ("2026-01-09T23:00:00Z", "CET", "2026-01-10"),        # winter time
    ("2026-05-10T00:00:00", "CET", "2026-05-10"),         # the plant's wall-clock time
    ("2026-05-10T06:00:00+09:00", "JAPAN", "2026-05-10"),
    ("2026-05-10T03:00:00Z", "America/Chicago", "2026-05-09"),
    ("2026-05-10T20:00:00Z", "UTC+8", "2026-05-11"),
])
def test_a_delivery_date_is_the_plants_calendar_date(answering, due, zone, day):
    [page] = pull(answering(envelope(order(due=due, zone=zone))))
    assert page.records[0].items[0].schedule_lines[0].due.isoformat() == day


def test_an_unknown_time_zone_code_quarantines_the_order(answering):
    [page] = pull(answering(envelope(order(due="2026-05-09T22:00:00Z", zone="MARS") + order(po_id="4500000002"))))
    assert [o.id for o in page.records] == ["4500000002"]
    assert "time zone code 'MARS' is unknown" in page.rejected[0].reason and "sap.time_zones" in page.rejected[0].reason


def _bomb(decompressed_mb: int) -> bytes:
    """Zeros that gzip to about a thousandth of their size."""
    packer, zeros = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS), bytes(1024 * 1024)
    return b"".join(packer.compress(zeros) for _ in range(decompressed_mb)) + packer.flush()


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_a_gzip_bomb_fails_the_stream_with_memory_bounded(scripted):
    bomb = _bomb(1024)  # 1 GiB of zeros, 1 MB on the wire
    headers = [("Content-Type", "text/xml"), ("Content-Encoding", "gzip"), ("Content-Length", str(len(bomb)))]
    connector = scripted.connector(("200 OK", headers, bomb), max_response_mb=4)
    with pytest.raises(PayloadError, match=r"exceeds sap.max_response_mb=4 \(counted decompressed\)"):
        pull(connector)
    assert _peak_rss_mb() < 900, "the answer was decompressed whole"


def test_an_endless_body_fails_the_stream_with_memory_bounded(scripted):
    def endless():
        chunk = b"<PurchaseOrder>" * 4096
        while True:
            yield chunk

    connector = scripted.connector(("200 OK", [("Content-Type", "text/xml")], endless), max_response_mb=8)
    started = time.monotonic()
    with pytest.raises(PayloadError, match="exceeds sap.max_response_mb=8"):
        pull(connector)
    assert time.monotonic() - started < 30


def test_a_trickling_server_cannot_outlive_the_operation_timeout(scripted):
    body = envelope(order())

    def trickle():
        for byte in body:
            time.sleep(0.2)
            yield bytes([byte])

    headers = [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))]
    connector = scripted.connector(("200 OK", headers, trickle), operation_timeout_s=1.5, max_attempts=2)
    started = time.monotonic()
    with pytest.raises(TransientError, match=r"did not finish answering within sap.operation_timeout_s=1.5"):
        pull(connector)
    assert time.monotonic() - started < 2 * 1.5 + 2  # two attempts, each cut off at its deadline


def test_a_gzip_bomb_as_the_wsdl_is_refused(scripted):
    from tests.support.sap_answers import ScriptedAnswers
    from sandbox import http
    bomb = _bomb(256)

    def wsdl_bomb(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/xml"), ("Content-Encoding", "gzip")])
        return [bomb]

    server = http.start(wsdl_bomb)
    scripted.running.append(server)
    from config.settings import SapSettings
    from connectors.sap import SapConnector
    connector = SapConnector(SapSettings(purchase_orders={"url": server.url + ScriptedAnswers().path},
                                         max_response_mb=2, max_attempts=1))
    with pytest.raises(PayloadError, match="loading a WSDL exceeds sap.max_response_mb=2"):
        pull(connector)


def test_a_well_behaved_gzip_answer_is_read(scripted):
    body = gzip.compress(envelope(order()))
    connector = scripted.connector(("200 OK", [("Content-Type", "text/xml"), ("Content-Encoding", "gzip")], body))
    [page] = pull(connector)
    assert [o.id for o in page.records] == ["4500000001"]


def test_an_html_error_page_names_its_status(answering):
    with pytest.raises(ConnectorError, match="HTTP 404"):
        pull(answering(b"<html>Not found</html>", status="404 Not Found", content_type="text/html"))


def test_the_scripted_server_reads_each_request_whole():
    """Unread request bytes would make closing the socket send a reset, which can cut the answer short."""
    import io
    from tests.support.sap_answers import ScriptedAnswers
    request = io.BytesIO(b"<soap-env:Envelope/>")
    ScriptedAnswers(b"<answer/>")({"REQUEST_METHOD": "POST", "CONTENT_LENGTH": "20", "wsgi.input": request},
                                  lambda status, headers: None)
    assert request.tell() == 20
