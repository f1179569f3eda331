"""Scorecards written onto Salesforce Accounts by the write-back consumer, over HTTPS, 200 records a call."""
from datetime import date, datetime, timezone

import pytest

from config import load_settings
from connectors.salesforce import SalesforceClient
from domain.records import SupplierAccount, normalize_vendor_id
from domain.scorecards import KpiValues, Scorecard
from sandbox.generator import generate_salesforce
from sandbox.serve import start_salesforce
from store.outbox import replay
from store.records import store_accounts
from store.scorecards import save_scorecards
from store.sync_state import quarantined
from sync.batch_consumer import BatchConsumer
from sync.consumer import DUPLICATE, HANDLED, QUARANTINED, STALE, Incoming
from sync.envelope import enqueue_many
from sync.publisher import Publisher
from sync.relay import drain
from sync.write_back import SalesforceWriteBack
from tests.support.events import EXAMPLES, GROUP

NOW = datetime(2026, 7, 1, tzinfo=timezone.utc)
SUPPLIERS = 1001  # the generator leaves the last supplier without an Account: 1,000 Accounts with a vendor


@pytest.fixture
def org(tmp_path):
    dataset = generate_salesforce(SUPPLIERS, seed=4, as_of=date(2026, 6, 30))
    with_vendor = [a for a in dataset["accounts"] if a.get("SAP_Vendor_Id__c")]
    with_vendor[10]["Reject_Updates__c"] = True
    server, app, ca = start_salesforce(dataset, tls_dir=tmp_path / "ca")
    yield app, server.url, ca, with_vendor
    server.stop()


def card(supplier: str, period: str, score: float, status: str = "final") -> Scorecard:
    return Scorecard(supplier_id=supplier, period=period, as_of=date(2026, 6, 30), status=status,
                     kpis=KpiValues(otd_pct=score, quality_ppm=120.0), kpi_scores={}, score=score, grade="B")


def test_a_thousand_accounts_in_five_calls_one_refused_and_replays_change_nothing(org, sqlite_engine, tmp_path):
    app, url, ca, accounts = org
    settings = load_settings(salesforce={"login_url": url, "verify": str(ca), "retry_initial_s": 0},
                             broker={"folder": tmp_path / "broker"})
    vendors = [normalize_vendor_id(a["SAP_Vendor_Id__c"]) for a in accounts]
    with sqlite_engine.begin() as connection:
        store_accounts(connection, [SupplierAccount(id=a["Id"], name=a["Name"], vendor_id=a["SAP_Vendor_Id__c"],
                                                    modstamp=a["SystemModstamp"]) for a in accounts])
        cards = [card(v, "2026-05", 70.0) for v in vendors] + [card(v, "2026-06", 80.0 + n % 10)
                                                              for n, v in enumerate(vendors)]
        save_scorecards(connection, cards, NOW)
        enqueue_many(connection, settings.broker, [("scorecard.published.v1", c.supplier_id, c) for c in cards], NOW)
    with Publisher(settings.broker) as publisher:
        assert drain(sqlite_engine, publisher, settings.broker, lambda: NOW).sent == 2000

    binding = next(q for q in settings.broker.queues if q.name == settings.salesforce.write_back.queue)
    consumer = BatchConsumer(sqlite_engine, settings.broker, "salesforce",
                             SalesforceWriteBack(SalesforceClient(settings.salesforce), settings.salesforce),
                             lambda: NOW, binding, batch_size=2000)
    before = app.api_calls
    result = consumer.run(max_events=2000, idle_timeout_s=5)
    assert result.outcomes == {HANDLED: 1999, QUARANTINED: 1}
    assert app.api_calls - before == 5  # 1,000 Accounts, 200 a call; the refused one is not retried
    written = {normalize_vendor_id(a["SAP_Vendor_Id__c"]): a for a in app.accounts if a.get("SAP_Vendor_Id__c")}
    assert written[vendors[0]]["Supplier_Score__c"] == 80.0 and written[vendors[0]]["Scorecard_Period__c"] == "2026-06"
    assert "Supplier_Score__c" not in written[vendors[10]]
    with sqlite_engine.connect() as connection:
        [dead] = quarantined(connection)
    assert "FIELD_CUSTOM_VALIDATION_EXCEPTION" in dead["reason"] and accounts[10]["Id"] in dead["reason"]

    with sqlite_engine.begin() as connection:
        assert replay(connection, since=NOW) == 2000
    with Publisher(settings.broker) as publisher:
        drain(sqlite_engine, publisher, settings.broker, lambda: NOW)
    calls = app.api_calls
    again = consumer.run(max_events=2000, idle_timeout_s=5)
    assert again.outcomes == {DUPLICATE: 1000, STALE: 1000} and app.api_calls == calls


def test_a_locked_record_is_tried_again_and_written(org, sqlite_engine, tmp_path):
    app, url, ca, accounts = org
    accounts[20]["Lock_Once__c"] = True
    settings = load_settings(salesforce={"login_url": url, "verify": str(ca), "retry_initial_s": 0},
                             broker={"folder": tmp_path / "broker"})
    vendor = normalize_vendor_id(accounts[20]["SAP_Vendor_Id__c"])
    with sqlite_engine.begin() as connection:
        store_accounts(connection, [SupplierAccount(id=accounts[20]["Id"], name="Locked", vendor_id=vendor,
                                                    modstamp=accounts[20]["SystemModstamp"])])
        save_scorecards(connection, [card(vendor, "2026-06", 91.0)], NOW)
        [event] = enqueue_many(connection, settings.broker, [("scorecard.published.v1", vendor, card(vendor, "2026-06", 91.0))], NOW)
    consumer = BatchConsumer(sqlite_engine, settings.broker, "salesforce",
                             SalesforceWriteBack(SalesforceClient(settings.salesforce), settings.salesforce),
                             lambda: NOW, settings.broker.queues[1], batch_size=200)
    before = app.api_calls
    assert consumer.deliver_batch([Incoming(event.model_dump_json().encode(), event.id)]).outcomes == {HANDLED: 1}
    assert app.api_calls - before == 2 and accounts[20]["Supplier_Score__c"] == 91.0


def test_a_peer_benchmark_on_a_queue_bound_to_everything_is_handled_without_a_call(sqlite_engine, tmp_path):
    """Percentile ranks are not an Account's field: the write-back leaves benchmarks alone."""
    settings = load_settings(salesforce={"login_url": "https://127.0.0.1:9", "retry_initial_s": 0},
                             broker={"folder": tmp_path / "broker"})
    with sqlite_engine.begin() as connection:
        [event] = enqueue_many(connection, settings.broker,
                               [("benchmark.published.v1", GROUP, EXAMPLES["benchmark.published.v1"])], NOW)
    consumer = BatchConsumer(sqlite_engine, settings.broker, "salesforce",
                             SalesforceWriteBack(SalesforceClient(settings.salesforce), settings.salesforce),
                             lambda: NOW, settings.broker.queues[0], batch_size=200)
    assert consumer.deliver_batch([Incoming(event.model_dump_json().encode(), event.id)]).outcomes == {HANDLED: 1}


def test_a_provisional_month_never_reaches_the_account(org, sqlite_engine, tmp_path):
    app, url, ca, accounts = org
    settings = load_settings(salesforce={"login_url": url, "verify": str(ca), "retry_initial_s": 0},
                             broker={"folder": tmp_path / "broker"})
    vendor = normalize_vendor_id(accounts[30]["SAP_Vendor_Id__c"])
    june, july = card(vendor, "2026-06", 88.0), card(vendor, "2026-07", 12.0, status="provisional")
    with sqlite_engine.begin() as connection:
        store_accounts(connection, [SupplierAccount(id=accounts[30]["Id"], name="Running", vendor_id=vendor,
                                                    modstamp=accounts[30]["SystemModstamp"])])
        save_scorecards(connection, [june, july], NOW)
        events = enqueue_many(connection, settings.broker, [("scorecard.published.v1", vendor, c) for c in (june, july)],
                              NOW)
    consumer = BatchConsumer(sqlite_engine, settings.broker, "salesforce",
                             SalesforceWriteBack(SalesforceClient(settings.salesforce), settings.salesforce),
                             lambda: NOW, settings.broker.queues[1], batch_size=200)
    delivered = consumer.deliver_batch([Incoming(e.model_dump_json().encode(), e.id) for e in events])
    assert delivered.outcomes == {HANDLED: 2}
    assert (accounts[30]["Supplier_Score__c"], accounts[30]["Scorecard_Period__c"]) == (88.0, "2026-06")
    with sqlite_engine.begin() as connection:
        [alone] = enqueue_many(connection, settings.broker, [("scorecard.published.v1", vendor, july)], NOW)
    before = app.api_calls
    assert consumer.deliver_batch([Incoming(alone.model_dump_json().encode(), alone.id)]).outcomes == {HANDLED: 1}
    assert app.api_calls == before and accounts[30]["Supplier_Score__c"] == 88.0
