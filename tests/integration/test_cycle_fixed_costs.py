"""Fixed costs are paid once per process: the cycles of `srm-bridge run` after the first read no WSDL
and open no Salesforce session while the kept one is valid."""
from datetime import date, datetime, timezone

import pytest

from config import load_settings
from connectors.cancel import Cancel
from sandbox.generator import generate_salesforce, generate_sap
from sandbox.serve import sap_endpoints, start_salesforce, start_sap
from scheduler.bootstrap import open_app
from scheduler.cycle import run_cycle
from scheduler.metrics import Metrics

TODAY = date.today()


@pytest.fixture
def stand_ins(tmp_path):
    sap_server, sap = start_sap(generate_sap(2, 2, seed=3, as_of=TODAY))
    salesforce_server, salesforce, ca = start_salesforce(generate_salesforce(2, seed=3, as_of=TODAY),
                                                         tls_dir=tmp_path / "ca")
    settings = load_settings(database={"url": f"sqlite:///{tmp_path / 'srm.db'}"},
                             broker={"folder": str(tmp_path / "broker")},
                             sap={**sap_endpoints(sap_server, sap), "settle_seconds": 0, "retry_initial_s": 0},
                             salesforce={"login_url": salesforce_server.url, "verify": str(ca), "retry_initial_s": 0})
    yield open_app(settings=settings), sap, salesforce
    sap_server.stop()
    salesforce_server.stop()


def cycle(app) -> None:
    report = run_cycle(app, Cancel(), Metrics(), datetime.now(timezone.utc))
    assert report.ok, report.errors or [s for s in report.streams if s.outcome == "failed"]


def test_later_cycles_read_no_wsdl_and_keep_the_salesforce_session(stand_ins):
    app, sap, salesforce = stand_ins
    cycle(app)
    assert (sap.wsdls_served, len(salesforce.tokens)) == (2, 1)  # one WSDL per service, one login
    served = sap.requests_served
    cycle(app)
    assert sap.requests_served > served, "the second cycle asked SAP again"
    assert (sap.wsdls_served, len(salesforce.tokens)) == (2, 1)


def test_an_expired_kept_session_is_renewed_once(stand_ins):
    app, _, salesforce = stand_ins
    cycle(app)
    salesforce.expire_sessions()
    cycle(app)
    assert len(salesforce.tokens) == 1
    cycle(app)
    assert len(salesforce.tokens) == 1
