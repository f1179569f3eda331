"""The SAP connector against the SAP stand-in over real HTTP."""
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
import requests
from lxml import etree

from config.settings import SapSettings
from connectors.errors import AuthError, ConnectorError, RemoteFault, TransientError
from connectors.sap import SapConnector
from sandbox.faults import Faults
from sandbox.generator import generate_sap
from sandbox.serve import sap_endpoints, start_sap
from sandbox.tls import client_certificate

SINCE, UNTIL = datetime(1970, 1, 1, tzinfo=timezone.utc), datetime(2100, 1, 1, tzinfo=timezone.utc)
DATASET = generate_sap(4, 3, seed=11, as_of=date(2026, 6, 30))


@pytest.fixture
def sap():
    servers = []

    def start(dataset=DATASET, faults=None, **settings):
        server, app = start_sap(dataset, faults=faults)
        servers.append(server)
        options = {**sap_endpoints(server, app), "page_size": 7, "retry_initial_s": 0, **settings}
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
            (l["id"], l["due"]) for i in raw["items"] for l in i["schedule_lines"]]  # plant-local dates, not UTC's
        assert [(c.quantity, c.due.isoformat(), c.seen_on.isoformat(), c.confirmed_on) for i in order.items
                for c in i.confirmations] == [(Decimal(c["quantity"]), c["due"], c["date"], None)
                                              for i in raw["items"] for c in i["confirmations"]]
    movements = [m for page in connector.goods_movements(SINCE, UNTIL) for m in page.records]
    assert sorted(m.key for m in movements) == sorted(
        f"{m['document']}/{m['year']}/{m['line']}" for m in DATASET["goods_movements"])
    assert any(m.reverses is not None for m in movements) or not any("reverses" in m for m in DATASET["goods_movements"])


def test_window_selects_by_change_time(sap):
    connector, _ = sap()
    lower, upper = datetime(2026, 5, 1, tzinfo=timezone.utc), datetime(2026, 6, 1, tzinfo=timezone.utc)
    ids = {po.id for page in connector.purchase_orders(lower, upper) for po in page.records}
    changed = {po["id"]: max([po["changed_at"][:10]] + [c["date"] for i in po["items"] for c in i["confirmations"]])
               for po in DATASET["purchase_orders"]}  # confirming an order changes it
    expected = {po_id for po_id, day in changed.items() if "2026-05-01" <= day < "2026-06-01"}
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
    server, app = start_sap(DATASET, user=None, tls_dir=tmp_path / "tls")
    services = sap_endpoints(server, app)
    try:
        ca = tmp_path / "tls" / "ca.pem"
        with_cert = SapConnector(SapSettings(**services, user=None, client_cert=client_certificate(ca),
                                             verify=str(ca), page_size=50))
        assert sum(len(page.records) for page in with_cert.purchase_orders(SINCE, UNTIL)) == len(
            DATASET["purchase_orders"])
        without = SapConnector(SapSettings(**services, verify=str(ca), max_attempts=3))
        with pytest.raises(AuthError, match="TLS handshake"):
            list(without.purchase_orders(SINCE, UNTIL))
        untrusted = SapConnector(SapSettings(**services, user=None, client_cert=client_certificate(ca)))
        with pytest.raises(AuthError, match="CERTIFICATE_VERIFY_FAILED"):
            list(untrusted.purchase_orders(SINCE, UNTIL))
    finally:
        server.stop()


def test_a_client_certificate_that_is_not_there_fails_the_stream_in_one_line(tmp_path, caplog, monkeypatch):
    from click.testing import CliRunner

    from config import load_settings
    from scheduler.bootstrap import open_app
    from scheduler.cli import cli
    from store.sync_state import recent_runs
    from sync.pipeline import run_sync
    missing = tmp_path / "nowhere" / "client.pem"
    one_line = f"sap.client_cert (SRM_BRIDGE_SAP__CLIENT_CERT): there is no file {missing}"
    settings = load_settings(database={"url": f"sqlite:///{tmp_path / 'srm.db'}"},
                             sap={"url": "https://sap.example.com/sap", "user": None, "client_cert": str(missing)})
    app = open_app(settings=settings)
    report = run_sync(app.engine, app.streams(["sap"]), datetime.now(timezone.utc))
    with app.engine.connect() as connection:
        errors = {run["stream"]: (run["outcome"], run["error"]) for run in recent_runs(connection)}
    assert errors == {stream: ("failed", f"AuthError: {one_line}; point it at the file or unset it")
                      for stream in ("sap.purchase_orders", "sap.goods_movements")}
    assert not report.ok and not [r for r in caplog.records if r.exc_info or "retry" in r.getMessage()]
    monkeypatch.setenv("SRM_BRIDGE_SAP__CLIENT_CERT", str(missing))
    monkeypatch.setenv("SRM_BRIDGE_SAP__USER", "")
    checked = CliRunner().invoke(cli, ["config", "check"])
    assert checked.exit_code == 2 and checked.stderr.startswith(f"srm-bridge: {one_line}"), checked.output
    assert checked.stderr.count("\n") == 1


def test_the_request_carries_the_range_row_codes_and_paging_conditions(sap):
    connector, app = sap()
    lower, upper = datetime(2026, 5, 1, tzinfo=timezone.utc), datetime(2026, 6, 1, 12, 30, 0, 250000, tzinfo=timezone.utc)
    pages = list(connector.purchase_orders(lower, upper))
    first, second = (etree.fromstring(body) for body in list(app.received)[:2])
    query = first.find("{*}Body/{http://sap.com/xi/SAPGlobal20/Global}PurchaseOrderERPByElementsQuery_sync")
    row = query.find("PurchaseOrderSelectionByElements/SelectionByLastChangeDateTime")
    assert [(child.tag, child.text) for child in row] == [
        ("InclusionExclusionCode", "I"), ("IntervalBoundaryTypeCode", "2"),
        ("LowerBoundaryDateTime", "2026-05-01T00:00:00Z"), ("UpperBoundaryDateTime", "2026-06-01T12:30:00.250000Z")]
    conditions = query.find("ProcessingConditions")
    assert [(child.tag, child.text) for child in conditions] == [
        ("QueryHitsMaximumNumberValue", "7"), ("QueryHitsUnlimitedIndicator", "false")]
    assert second.findtext(".//ProcessingConditions/LastReturnedObjectID") == pages[0].records[-1].id


def test_goods_movements_are_read_from_their_own_endpoint(sap):
    connector, app = sap()
    connector.settings.purchase_orders.url = "http://127.0.0.1:9/nowhere"
    movements = [m for page in connector.goods_movements(SINCE, UNTIL) for m in page.records]
    assert len(movements) == len(DATASET["goods_movements"])
    assert all(b"MaterialDocumentERPByElementsQuery_sync" in body for body in app.received)


def test_one_url_for_both_services_names_the_missing_operation():
    """`sap.url` is the fallback for both; an ES endpoint serves one query, and the error says which setting to set."""
    server, app = start_sap(DATASET)
    try:
        url = app.urls(server.url)["purchase_orders"]
        connector = SapConnector(SapSettings(url=url, max_attempts=1))
        assert sum(len(page.records) for page in connector.purchase_orders(SINCE, UNTIL)) == len(DATASET["purchase_orders"])
        with pytest.raises(RemoteFault, match="no SOAP 1.1 operation MaterialDocumentERPByElementsQueryResponse_In "
                                              r"\(check sap.goods_movements.operation"):
            list(connector.goods_movements(SINCE, UNTIL))
    finally:
        server.stop()


def test_an_endpoint_is_required():
    with pytest.raises(ConnectorError, match=r"set sap.goods_movements.url \(or sap.url\)"):
        list(SapConnector(SapSettings()).goods_movements(SINCE, UNTIL))


def test_a_wsdl_file_shipped_by_the_customer(tmp_path):
    server, app = start_sap(DATASET)
    try:
        urls = app.urls(server.url)
        wsdl = tmp_path / "purchase_orders.wsdl"
        wsdl.write_bytes(requests.get(f"{urls['purchase_orders']}?wsdl", timeout=10).content)
        from_file = SapConnector(SapSettings(purchase_orders={"wsdl": wsdl}, page_size=50))  # its address: the WSDL's
        assert sum(len(page.records) for page in from_file.purchase_orders(SINCE, UNTIL)) == len(DATASET["purchase_orders"])
    finally:
        server.stop()
