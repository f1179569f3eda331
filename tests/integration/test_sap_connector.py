"""The SAP connector against the SAP stand-in over real HTTP."""
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from config.settings import SapSettings
from connectors.errors import AuthError, RemoteFault, TransientError
from connectors.sap import SapConnector
from sandbox.faults import Faults
from sandbox.generator import generate_sap
from sandbox.serve import start_sap
from sandbox.tls import client_certificate

SINCE, UNTIL = datetime(1970, 1, 1, tzinfo=timezone.utc), datetime(2100, 1, 1, tzinfo=timezone.utc)
DATASET = generate_sap(4, 3, seed=11, as_of=date(2026, 6, 30))


@pytest.fixture
def sap():
    servers = []

    def start(dataset=DATASET, faults=None, **settings):
        server, app = start_sap(dataset, faults=faults)
        servers.append(server)
        options = {"url": server.url, "page_size": 7, "retry_initial_s": 0, **settings}
        return SapConnector(SapSettings(**options)), app

    yield start
    for server in servers:
        server.stop()


def test_full_pull_equals_the_dataset(sap):
    connector, app = sap()
    pages = list(connector.purchase_orders(SINCE, UNTIL))
    orders = [po for page in pages for po in page.records]
    assert len(pages) > 2 and len(orders) == len(DATASET["purchase_orders"])
    assert {po.id for po in orders} == {po["id"] for po in DATASET["purchase_orders"]}
    source = {po["id"]: po for po in DATASET["purchase_orders"]}
    for order in orders:
        raw = source[order.id]
        assert order.vendor == raw["vendor"] and order.order_date.isoformat() == raw["order_date"]
        assert [(i.id, i.quantity, i.net_price, i.price_unit) for i in order.items] == [
            (i["id"], Decimal(i["quantity"]), Decimal(i["net_price"]), i["price_unit"]) for i in raw["items"]]
        assert [(l.id, l.due.isoformat()) for i in order.items for l in i.schedule_lines] == [
            (l["id"], l["due"]) for i in raw["items"] for l in i["schedule_lines"]]
    movements = [m for page in connector.goods_movements(SINCE, UNTIL) for m in page.records]
    assert sorted(m.key for m in movements) == sorted(
        f"{m['document']}/{m['year']}/{m['line']}" for m in DATASET["goods_movements"])
    assert any(m.reverses is not None for m in movements) or not any("reverses" in m for m in DATASET["goods_movements"])


def test_window_selects_by_change_time(sap):
    connector, _ = sap()
    lower, upper = datetime(2026, 5, 1, tzinfo=timezone.utc), datetime(2026, 6, 1, tzinfo=timezone.utc)
    ids = {po.id for page in connector.purchase_orders(lower, upper) for po in page.records}
    expected = {po["id"] for po in DATASET["purchase_orders"] if "2026-05-01" <= po["changed_at"] < "2026-06-01"}
    assert ids == expected and ids


def test_transient_503_pages_are_retried(sap):
    connector, app = sap(faults=Faults(fail_rate=0.3, seed=3), max_attempts=10)
    orders = [po for page in connector.purchase_orders(SINCE, UNTIL) for po in page.records]
    assert len(orders) == len(DATASET["purchase_orders"])


def test_persistent_503_gives_up_as_transient(sap):
    connector, _ = sap(faults=Faults(fail_rate=1.0), max_attempts=2)
    with pytest.raises(TransientError, match="HTTP 503"):
        list(connector.purchase_orders(SINCE, UNTIL))


def test_business_fault_is_not_retried(sap):
    connector, app = sap(faults=Faults(fault_on_page=2), max_attempts=5)
    pages = connector.purchase_orders(SINCE, UNTIL)
    next(pages)
    with pytest.raises(RemoteFault, match="injected fault on request 2"):
        next(pages)
    assert app.requests_served == 2


def test_wrong_password_is_an_auth_error(sap):
    connector, _ = sap(password="wrong")
    with pytest.raises(AuthError, match="HTTP 401"):
        list(connector.purchase_orders(SINCE, UNTIL))


def test_unreachable_endpoint_is_transient():
    connector = SapConnector(SapSettings(url="http://127.0.0.1:9/sap", max_attempts=1, connect_timeout_s=1))
    with pytest.raises(TransientError, match="unreachable"):
        list(connector.purchase_orders(SINCE, UNTIL))


def test_malformed_records_are_rejected_and_the_rest_kept(sap):
    dataset = generate_sap(1, 1, seed=2, as_of=date(2026, 6, 30))
    bad = dict(dataset["goods_movements"][0], document="5999999999", quantity="-5")
    no_vendor = dict(dataset["purchase_orders"][0], id="4599999999", vendor="")
    dataset = {"purchase_orders": dataset["purchase_orders"] + [no_vendor],
               "goods_movements": dataset["goods_movements"] + [bad]}
    connector, _ = sap(dataset=dataset)
    po_pages = list(connector.purchase_orders(SINCE, UNTIL))
    rejected = [r for page in po_pages for r in page.rejected]
    assert [r.key for r in rejected] == ["4599999999"] and "vendor" in rejected[0].reason
    assert sum(len(p.records) for p in po_pages) == len(dataset["purchase_orders"]) - 1
    mv_pages = list(connector.goods_movements(SINCE, UNTIL))
    [movement_rejected] = [r for page in mv_pages for r in page.rejected]
    assert movement_rejected.key.startswith("5999999999/") and "quantity" in movement_rejected.reason
    assert '"-5' in movement_rejected.raw or "-5" in movement_rejected.raw


def test_stalled_requests_time_out_and_are_retried(sap):
    connector, app = sap(faults=Faults(timeout_rate=0.3, stall_s=3, seed=5), operation_timeout_s=0.5, max_attempts=10)
    orders = [po for page in connector.purchase_orders(SINCE, UNTIL) for po in page.records]
    assert len(orders) == len(DATASET["purchase_orders"])


def test_client_certificate_over_https(tmp_path):
    server, _ = start_sap(DATASET, user=None, tls_dir=tmp_path / "tls")
    try:
        ca = tmp_path / "tls" / "ca.pem"
        with_cert = SapConnector(SapSettings(url=server.url, user=None, client_cert=client_certificate(ca),
                                             verify=str(ca), page_size=50))
        assert sum(len(page.records) for page in with_cert.purchase_orders(SINCE, UNTIL)) == len(
            DATASET["purchase_orders"])
        without = SapConnector(SapSettings(url=server.url, verify=str(ca), max_attempts=3))
        with pytest.raises(AuthError, match="TLS handshake"):
            list(without.purchase_orders(SINCE, UNTIL))
        untrusted = SapConnector(SapSettings(url=server.url, user=None, client_cert=client_certificate(ca)))
        with pytest.raises(AuthError, match="CERTIFICATE_VERIFY_FAILED"):
            list(untrusted.purchase_orders(SINCE, UNTIL))
    finally:
        server.stop()
