"""Salesforce pulls against an org written from Salesforce's guides (tests/support/salesforce_org.py).

A full pull equals the source; paging fails closed (the run fails, the cursor stays at the last
stored page); the API budget counts the connected app's own quota; one retry budget per call.
"""
import socket
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from config import load_settings
from config.settings import SalesforceSettings
from connectors.errors import TransientError
from connectors.salesforce import SalesforceClient, SalesforceConnector
from connectors.salesforce_http import Usage, parse_limit_info
from domain.records import normalize_vendor_id
from scheduler.bootstrap import App
from store.records import utc
from store.sync_state import read_cursor, recent_runs
from store.tables import supplier_accounts
from sync.pipeline import run_sync
from tests.support.salesforce_org import Org, Orgs, make_accounts

SINCE, UNTIL = datetime(1970, 1, 1, tzinfo=timezone.utc), datetime(2100, 1, 1, tzinfo=timezone.utc)
NOW = datetime(2026, 7, 1, tzinfo=timezone.utc)
BULK = {"bulk_threshold": 300, "bulk_page_size": 300, "bulk_poll_s": 0}  # sets of 300 rows, read as pages of 200


def sync(engine, salesforce_orgs: Orgs, org: Org, **settings):
    server = salesforce_orgs.start(org)
    bridge = App(settings=load_settings(salesforce=salesforce_orgs.settings(server, **settings)), engine=engine)
    [result] = run_sync(engine, bridge.streams(["salesforce"]), NOW).streams
    with engine.connect() as connection:
        cursor = read_cursor(connection, "salesforce.accounts")
        run = recent_runs(connection, 1)[0]
        stored = [(account, utc(modstamp)) for account, modstamp in connection.execute(
            select(supplier_accounts.c.account_id, supplier_accounts.c.modstamp))]
    return result, cursor, run, stored


def expected(account: dict) -> tuple:
    return (account["Id"], account["Name"], normalize_vendor_id(account["SAP_Vendor_Id__c"]), account["OwnerId"],
            f"Buyer {account['OwnerId'][-2:]}", account["Industry"], account["Supplier_Tier__c"], account["IsDeleted"])


def pulled(pages) -> list[tuple]:
    return sorted((a.id, a.name, a.vendor_id, a.owner_id, a.owner_name, a.industry, a.tier, a.is_deleted)
                  for page in pages for a in page.records)


def test_a_rest_pull_equals_the_source_and_survives_an_expired_session(salesforce_orgs):
    org = Org(make_accounts(650), app_limit=1000)
    connector = salesforce_orgs.connector(org)
    pages = connector.accounts(SINCE, UNTIL)
    first = next(pages)
    org.expire_sessions()
    rest = list(pages)
    assert len(rest) == 3 and not any(page.rejected for page in [first, *rest])
    assert pulled([first, *rest]) == sorted(expected(a) for a in org.accounts)
    assert [page.cursor for page in [first, *rest]] == sorted(page.cursor for page in [first, *rest])
    assert connector.client.api_share() == org.api_calls / 1000  # the app's quota is the tighter one


def test_a_bulk_pull_of_gzipped_csv_equals_the_source(salesforce_orgs):
    org = Org(make_accounts(650))
    pages = list(salesforce_orgs.connector(org, **BULK).accounts(SINCE, UNTIL))
    assert len(org.jobs) == 1 and [job["sets"] for job in org.jobs.values()] == [3]
    assert pulled(pages) == sorted(expected(a) for a in org.accounts)
    assert [page.cursor for page in pages[:-1]] == [None] * (len(pages) - 1)
    assert pages[-1].cursor == max(a.modstamp for page in pages for a in page.records)


def cycle_back_to_page_1(page: int, answer: dict) -> dict:
    """Page 3 points back at page 2's address: A → B → A, a cycle no immediate-repeat check sees."""
    if page == 1:
        cycle_back_to_page_1.first = answer["nextRecordsUrl"]
    if page == 3:
        answer["nextRecordsUrl"] = cycle_back_to_page_1.first
    return answer


def on_page(number: int, change):
    def answer(page: int, body: dict) -> dict:
        if page == number:
            change(body)
        return body
    return answer


PAGING_FAILURES = {
    "done-false-without-next": (on_page(2, lambda body: body.pop("nextRecordsUrl")), "gives no nextRecordsUrl"),
    "next-url-repeated-later": (cycle_back_to_page_1, "a second time: the paging would loop"),
    "done-missing": (on_page(1, lambda body: body.pop("done")), "done: Field required"),
    "done-a-string": (on_page(2, lambda body: body.update(done="false")), "done: Input should be a valid boolean"),
    "total-size-a-string": (on_page(1, lambda body: body.update(totalSize="650")),
                            "totalSize: Input should be a valid integer"),
    "records-missing": (on_page(2, lambda body: body.pop("records")), "records: Field required"),
    "records-an-object": (on_page(1, lambda body: body.update(records={})), "records: Input should be a valid list"),
    "next-url-a-number": (on_page(2, lambda body: body.update(nextRecordsUrl=42)), "nextRecordsUrl: Input should be"),
    "answer-a-list": (lambda page, body: [body] if page == 2 else body,
                      "query answer while paging Accounts is a JSON list, not an object"),
}


@pytest.mark.parametrize("case", PAGING_FAILURES, ids=list(PAGING_FAILURES))
def test_rest_paging_fails_closed_and_keeps_the_cursor_at_the_last_stored_page(engine, salesforce_orgs, case):
    mutate, problem = PAGING_FAILURES[case]
    org = Org(make_accounts(650))
    org.answer = mutate
    result, cursor, run, stored = sync(engine, salesforce_orgs, org)
    assert (result.outcome, run["outcome"]) == ("failed", "failed")
    assert result.error.startswith("PayloadError") and problem in result.error
    assert cursor == (max(modstamp for _, modstamp in stored) if stored else None)
    assert len(stored) < len(org.accounts)


@pytest.mark.parametrize("locator, problem", [
    (lambda n, following: "MzAw" if n == 2 else following, "Sforce-Locator 'MzAw' a second time"),
    (lambda n, following: None if n == 2 else following, "has no Sforce-Locator header"),
], ids=["locator-repeated", "locator-missing"])
def test_bulk_paging_fails_closed_and_leaves_the_cursor(sqlite_engine, salesforce_orgs, locator, problem):
    org = Org(make_accounts(1000))
    org.locator = locator
    result, cursor, run, stored = sync(sqlite_engine, salesforce_orgs, org, **BULK)
    assert (result.outcome, run["outcome"]) == ("failed", "failed")
    assert result.error.startswith("PayloadError") and problem in result.error
    assert cursor is None and 0 < len(stored) < len(org.accounts)  # unordered sets: the cursor waits for the last


def test_a_bulk_set_shorter_than_announced_fails_the_stream(sqlite_engine, salesforce_orgs):
    org = Org(make_accounts(700))
    org.dropped_rows = 1
    result, cursor, _, stored = sync(sqlite_engine, salesforce_orgs, org, **BULK)
    assert result.outcome == "failed" and "announced 300 records (Sforce-NumberOfRecords) but held 299" in result.error
    assert cursor is None and len(stored) == 200


def test_the_connected_apps_own_quota_stops_the_run_when_it_is_the_tighter_one(sqlite_engine, salesforce_orgs):
    org = Org(make_accounts(1000), api_limit=100_000, app_limit=5)
    result, cursor, _, stored = sync(sqlite_engine, salesforce_orgs, org, max_api_share=0.5)
    assert result.outcome == "stopped" and "per-app-api-usage" in result.error
    assert "3 of 5 daily requests of connected app 'srm-bridge-tests' used" in result.error
    assert len(stored) == 600 and cursor == max(modstamp for _, modstamp in stored)


@pytest.mark.parametrize("header, usage", [
    ("api-usage=25/5000; per-app-api-usage=17/250(appName=sample-connected-app)",
     [Usage("api-usage", 25, 5000), Usage("per-app-api-usage", 17, 250, "sample-connected-app")]),
    ("api-usage=10018/100000; api-bursts=1/750", [Usage("api-usage", 10018, 100000)]),
    ("api-usage=18/5000", [Usage("api-usage", 18, 5000)]),
    ("api-usage=18 of 5000", None),
])
def test_sforce_limit_info_in_its_documented_forms(header, usage):
    assert parse_limit_info(header) == usage


def test_an_unreachable_salesforce_is_retried_within_one_budget(caplog):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    settings = SalesforceSettings(login_url=f"https://127.0.0.1:{port}", max_attempts=3, retry_initial_s=0)
    caplog.set_level("WARNING", logger="srm_bridge.connectors")
    with pytest.raises(TransientError, match="ConnectionError"):
        list(SalesforceConnector(SalesforceClient(settings)).accounts(SINCE, UNTIL))
    assert [r.getMessage() for r in caplog.records].count("transient failure, retrying") == 2
