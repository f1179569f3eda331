"""The web console as a WSGI application on a scored database: pages, figures, escaping, access."""
import base64
import re
from datetime import datetime, timezone

import pytest

from config import ConfigError, load_settings
from console.app import create_app
from console.queries import is_final
from domain.records import Rejected
from scheduler.bootstrap import open_app
from store.scorecards import load_scorecards
from store.sync_state import quarantine_records
from tests.support.populated import populate

HOSTILE = '<script>alert("owned")</script> & Sons'


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    settings = load_settings(database={"url": f"sqlite:///{tmp_path_factory.mktemp('console') / 'srm.db'}"})
    app = open_app(settings=settings)
    populate(app.engine, settings, names={"0000100001": HOSTILE})
    with app.engine.begin() as connection:
        quarantine_records(connection, "r1", "sap.purchase_orders", [Rejected(
            key="4500000099", reason="quantity is negative", raw="<PurchaseOrder><ID>4500000099</ID></PurchaseOrder>")],
            datetime.now(timezone.utc))
    return app


@pytest.fixture
def client(scored):
    return create_app(scored.settings, scored.engine).test_client()


def test_every_page_answers(client):
    for path in ("/", "/suppliers", "/suppliers/100002", "/suppliers/0000100002", "/quarantine", "/quarantine/1",
                 "/suppliers?sort=score&order=desc", "/suppliers?grade=D&category=Packaging"):
        assert client.get(path).status_code == 200, path
    assert client.get("/suppliers/9999999").status_code == 404
    assert client.get("/quarantine/999").status_code == 404
    assert client.get("/suppliers?sort=nonsense").status_code == 400


def test_the_suppliers_table_shows_each_latest_final_month(client, scored):
    with scored.engine.connect() as connection:
        latest = {card.supplier_id: card for card in load_scorecards(connection) if is_final(card)}
    page = client.get("/suppliers").get_data(as_text=True)
    rows = dict(re.findall(r'<tr data-supplier="(\d+)">.*?data-field="score">([^<]*)<', page, flags=re.DOTALL))
    assert rows == {supplier: f"{card.score:.1f}" for supplier, card in latest.items()}
    assert {card.period for card in latest.values()} == {"2026-06"}


def test_filters_and_sorting(client, scored):
    page = client.get("/suppliers?sort=score&order=desc").get_data(as_text=True)
    scores = [float(s) for s in re.findall(r'data-field="score">([\d.]+)<', page)]
    assert scores == sorted(scores, reverse=True) and len(scores) > 3
    only_d = client.get("/suppliers?grade=D").get_data(as_text=True)
    assert set(re.findall(r'class="grade grade-(\w)"', only_d)) == {"D"}


def test_values_from_sap_and_salesforce_are_shown_as_text(client):
    for path in ("/suppliers", "/suppliers/100001", "/quarantine/1"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>" not in page, path
    assert "&lt;script&gt;alert(&#34;owned&#34;)&lt;/script&gt; &amp; Sons" in client.get("/suppliers/100001").get_data(
        as_text=True)
    assert "&lt;PurchaseOrder&gt;&lt;ID&gt;4500000099" in client.get("/quarantine/1").get_data(as_text=True)


def test_the_supplier_page_has_its_charts_and_plans(client):
    page = client.get("/suppliers/100002").get_data(as_text=True)
    for chart in ("score", "kpi-otd_pct", "kpi-quality_ppm", "otd-pchart"):
        assert f'data-chart="{chart}"' in page, chart
    assert 'class="plan"' in page and "Audit trail" in page


def test_beyond_loopback_the_console_needs_credentials(scored):
    with pytest.raises(ConfigError, match="console.token"):
        create_app(scored.settings, scored.engine, bind_host="0.0.0.0")
    guarded = scored.settings.model_copy(update={"console": scored.settings.console.model_copy(
        update={"token": load_settings(console={"token": "s3cret"}).console.token})})
    client = create_app(guarded, scored.engine, bind_host="0.0.0.0").test_client()
    assert client.get("/").status_code == 401
    assert client.get("/", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    first = client.get("/suppliers?token=s3cret")
    assert first.status_code == 302 and "s3cret" not in first.headers["Set-Cookie"]
    assert client.get("/suppliers").status_code == 200  # the cookie now


def test_basic_auth(scored):
    settings = scored.settings.model_copy(update={"console": load_settings(
        console={"host": "0.0.0.0", "username": "buyer", "password": "pa:ss"}).console})
    client = create_app(settings, scored.engine).test_client()
    refused = client.get("/")
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Basic")
    good = base64.b64encode(b"buyer:pa:ss").decode()
    assert client.get("/", headers={"Authorization": f"Basic {good}"}).status_code == 200
    bad = base64.b64encode(b"buyer:nope").decode()
    assert client.get("/", headers={"Authorization": f"Basic {bad}"}).status_code == 401


def test_a_long_table_is_paged_with_its_sort_and_filters_kept(client, monkeypatch):
    monkeypatch.setattr("console.app.PAGE_SIZE", 4)
    first = client.get("/suppliers?sort=score&order=desc").get_data(as_text=True)
    second = client.get("/suppliers?sort=score&order=desc&page=2").get_data(as_text=True)
    scores = [float(s) for page in (first, second) for s in re.findall(r'data-field="score">([\d.]+)<', page)]
    assert len(scores) == 6 and scores == sorted(scores, reverse=True)
    assert "page 1 of 2" in first and "page=2" in first and "sort=score" in first
    assert "page 2 of 2" in second


def test_the_console_command_serves_through_the_service_http_server(scored, monkeypatch):
    """`srm-bridge console` and the service's endpoint share one HTTP server (scheduler/http.py)."""
    import threading
    import urllib.request

    from click.testing import CliRunner

    import scheduler.http
    from scheduler.cli import cli
    visits: list = []

    class Visited(scheduler.http.HttpServer):
        def start(self) -> "Visited":
            super().start()

            def visit() -> None:
                with urllib.request.urlopen(self.url + "/suppliers/100002", timeout=15) as page:
                    visits.append((page.status, page.read().decode()))
                self.stop()
            visitor = threading.Thread(target=visit)
            visitor.start()
            visits.append(visitor)
            return self

    monkeypatch.setattr(scheduler.http, "HttpServer", Visited)
    monkeypatch.setenv("SRM_BRIDGE_DATABASE__URL", scored.settings.database.url)
    done = CliRunner().invoke(cli, ["console", "--port", "0"], catch_exceptions=False)
    visits[0].join(15)
    assert done.exit_code == 0 and re.fullmatch(r"http://127\.0\.0\.1:\d+/\n", done.stdout)
    status, page = visits[1]
    assert status == 200 and "0000100002" in page
