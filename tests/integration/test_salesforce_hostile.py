"""A hostile or broken Salesforce org (tests/support/salesforce_org.py): refused, never obeyed.

Bad records are quarantined with their reason and raw JSON while the rest is stored; bad answers
fail the stream with a clear error; no request leaves the login URL or the session's instance;
no answer is read past `salesforce.max_response_mb`; the JWT audience is Salesforce's.
"""
import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from config import load_settings
from config.settings import SalesforceSettings
from connectors.errors import AuthError, PayloadError
from connectors.salesforce import SalesforceClient
from scheduler.bootstrap import App
from store.tables import quarantine, supplier_accounts
from sync.pipeline import run_sync
from sync.write_back import SalesforceWriteBack
from tests.support.salesforce_org import Org, Orgs, make_accounts, rsa_key_pair

SINCE, UNTIL = datetime(1970, 1, 1, tzinfo=timezone.utc), datetime(2100, 1, 1, tzinfo=timezone.utc)
BULK = {"bulk_threshold": 300, "bulk_page_size": 300, "bulk_poll_s": 0}


def pull(salesforce_orgs: Orgs, org: Org, **settings) -> list:
    return list(salesforce_orgs.connector(org, **settings).accounts(SINCE, UNTIL))


def spoil_page_1(page: int, answer: dict) -> dict:
    if page == 1:
        records = answer["records"]
        records[3]["Owner"] = "Buyer 3"
        records[4]["Owner"] = {"Name": 5}
        records[5] = 42
        records[6] = "001000000000000007"
        records[7]["IsDeleted"] = "no"
        records[8]["IsDeleted"] = 1
        records[9]["Name"] = 12345
        records[10] = dict(records[2])
        records[11]["SystemModstamp"] = 1777777777
    return answer


def test_bad_records_are_quarantined_with_reason_and_raw_json_and_the_rest_is_stored(engine, salesforce_orgs):
    org = Org(make_accounts(450))
    org.answer = spoil_page_1
    server = salesforce_orgs.start(org)
    bridge = App(settings=load_settings(salesforce=salesforce_orgs.settings(server)), engine=engine)
    [result] = run_sync(engine, bridge.streams(["salesforce"]), datetime(2026, 7, 1, tzinfo=timezone.utc)).streams
    assert (result.outcome, result.stored, result.quarantined) == ("succeeded", 441, 9)
    with engine.connect() as connection:
        rows = {row.reason: row for row in connection.execute(select(quarantine))}
        stored = set(connection.execute(select(supplier_accounts.c.account_id)).scalars())
    assert len(stored) == 441 and org.accounts[12]["Id"] in stored and org.accounts[2]["Id"] in stored
    reasons = " | ".join(rows)
    for expected in ("Owner is a JSON str, not an object or null", "Owner.Name is a JSON int, not a string or null",
                     "the record is a JSON int, not an object", "the record is a JSON str, not an object",
                     'IsDeleted is "no", not true or false', "IsDeleted is 1, not true or false",
                     "| Name is a JSON int, not a string or null",
                     f"duplicate of Account {org.accounts[2]['Id']} earlier in this page",
                     "SystemModstamp is a JSON int, not a string or null"):
        assert expected in f"| {reasons}"
    owner_row = next(row for reason, row in rows.items() if reason.startswith("Owner is a JSON str"))
    assert json.loads(owner_row.raw)["Owner"] == "Buyer 3" and owner_row.record_key == org.accounts[3]["Id"]
    assert json.loads(next(row.raw for reason, row in rows.items() if "JSON int, not an object" in reason)) == 42


@pytest.mark.parametrize("bulk", [False, True], ids=["rest", "bulk"])
def test_is_deleted_is_parsed_strictly_never_as_truthy(salesforce_orgs, bulk):
    org = Org(make_accounts(600))
    org.accounts[5]["IsDeleted"], org.accounts[6]["IsDeleted"] = "no", "yes"
    options = BULK if bulk else {}
    pages = pull(salesforce_orgs, org, **options)
    rejected = {r.key: r.reason for page in pages for r in page.rejected}
    assert rejected == {org.accounts[5]["Id"]: 'IsDeleted is "no", not true or false',
                        org.accounts[6]["Id"]: 'IsDeleted is "yes", not true or false'}
    deleted = {a.id for page in pages for a in page.records if a.is_deleted}
    assert deleted == {a["Id"] for a in org.accounts if a["IsDeleted"] is True}


@pytest.mark.parametrize("change, problem", [
    (lambda answer: {k: v for k, v in answer.items() if k != "access_token"}, "access_token: Field required"),
    (lambda answer: {k: v for k, v in answer.items() if k != "instance_url"}, "instance_url: Field required"),
    (lambda answer: {**answer, "access_token": 42}, "access_token: Input should be a valid string"),
    (lambda answer: {**answer, "instance_url": "http://127.0.0.1:1"}, "is not an https origin"),
    (lambda answer: {**answer, "instance_url": "https://127.0.0.1:1@127.0.0.1:2"}, "is not an https origin"),
    (lambda answer: [answer], "the token answer is a JSON list, not an object"),
], ids=["no-access-token", "no-instance-url", "numeric-token", "plain-http-instance", "user-info-instance", "a-list"])
def test_a_token_answer_without_a_usable_session_is_an_auth_error(salesforce_orgs, change, problem):
    org = Org(make_accounts(3))
    org.token_answer = change
    with pytest.raises(AuthError, match="Salesforce login at ") as refused:
        pull(salesforce_orgs, org)
    assert problem in str(refused.value)


@pytest.fixture
def trap(salesforce_orgs):
    """Another host the client would trust (same CA): it must never be asked anything."""
    server = salesforce_orgs.start(Org([]))
    yield server
    assert server.org.requests == [], "a request reached a host other than the org's"


def test_the_token_call_never_follows_a_redirect(salesforce_orgs, trap):
    org = Org(make_accounts(3))
    org.token_redirect = f"{trap.url}/services/oauth2/token"
    with pytest.raises(AuthError, match="HTTP 307 redirecting .* redirects are not followed") as refused:
        pull(salesforce_orgs, org)
    assert org.client_secret not in str(refused.value)


@pytest.mark.parametrize("next_url", [
    "@127.0.0.1:{port}/services/data/v59.0/query/01gD0000002HU6KIAW-200",
    "https://127.0.0.1:{port}/services/data/v59.0/query/01gD0000002HU6KIAW-200",
    "//127.0.0.1:{port}/services/data/v59.0/query/01gD0000002HU6KIAW-200",
    "/services/data/v59.0/query/01gD0000002HU6KIAW-200?@127.0.0.1:{port}",
    "/services/data/v59.0/query/../../../../services/oauth2/token",
], ids=["user-info", "absolute", "scheme-relative", "query-string", "dot-segments"])
def test_a_next_records_url_never_leads_off_the_instance(salesforce_orgs, trap, next_url):
    org = Org(make_accounts(450))
    org.answer = lambda page, answer: {**answer, "nextRecordsUrl": next_url.format(port=trap.httpd.server_port)} \
        if page == 1 else answer
    with pytest.raises(PayloadError, match="nextRecordsUrl .* is not a /services/data/vXX.X/query/<locator> path"):
        pull(salesforce_orgs, org)


def test_a_query_never_follows_a_redirect(salesforce_orgs, trap):
    org = Org(make_accounts(3))
    org.query_redirect = trap.url
    with pytest.raises(PayloadError, match="HTTP 302 redirecting .* redirects are not followed"):
        pull(salesforce_orgs, org)


def test_a_bulk_locator_is_checked_before_it_is_used(salesforce_orgs, trap):
    org = Org(make_accounts(700))
    org.locator = lambda n, following: f"@127.0.0.1:{trap.httpd.server_port}/x" if following != "null" else following
    with pytest.raises(PayloadError, match="which is not a locator"):
        pull(salesforce_orgs, org, **BULK)


@pytest.mark.parametrize("bulk", [False, True], ids=["rest-page", "bulk-csv"])
@pytest.mark.parametrize("shape", ["gzip-bomb", "endless"])
def test_an_answer_larger_than_max_response_mb_fails_the_stream(salesforce_orgs, bulk, shape):
    org = Org(make_accounts(600))
    org.padding_bytes, org.endless = (64 * 2**20, False) if shape == "gzip-bomb" else (0, True)
    options = BULK if bulk else {}
    org.stretched = ("results",) if bulk else ("query",)
    with pytest.raises(PayloadError, match=r"larger than salesforce.max_response_mb \(1 MB decompressed\)"):
        pull(salesforce_orgs, org, max_response_mb=1, **options)


def test_a_rest_page_within_the_bound_is_read_whole(salesforce_orgs):
    org = Org(make_accounts(450))
    org.padding_bytes = 512 * 1024
    assert sum(len(page.records) for page in pull(salesforce_orgs, org, max_response_mb=1)) == 450


@pytest.fixture
def key_pair(tmp_path):
    return rsa_key_pair(tmp_path)


def jwt_org(public_key: str, **options) -> Org:
    org = Org(make_accounts(3), **options)
    org.jwt_public_key = public_key
    return org


def test_the_jwt_audience_is_login_salesforce_com_by_default_never_the_login_url(salesforce_orgs, key_pair):
    private_key, public_key = key_pair
    org = jwt_org(public_key)
    assert sum(len(page.records) for page in pull(salesforce_orgs, org, auth="jwt", username=org.username,
                                                   private_key_file=private_key)) == 3


def test_a_sandbox_org_needs_test_salesforce_com_and_says_which_setting(salesforce_orgs, key_pair):
    private_key, public_key = key_pair
    org = jwt_org(public_key, sandbox=True)
    with pytest.raises(AuthError, match=r"audience is invalid \(check salesforce.jwt_audience and salesforce.sandbox"):
        pull(salesforce_orgs, org, auth="jwt", username=org.username, private_key_file=private_key)
    assert sum(len(page.records) for page in pull(salesforce_orgs, org, auth="jwt", username=org.username, sandbox=True,
                                                   private_key_file=private_key)) == 3


def test_a_community_url_audience_is_sent_as_configured(salesforce_orgs, key_pair):
    private_key, public_key = key_pair
    org = jwt_org(public_key)
    org.audiences = ["https://suppliers.example.force.com/customers"]
    assert sum(len(page.records) for page in pull(salesforce_orgs, org, auth="jwt", username=org.username,
                                                   private_key_file=private_key,
                                                   jwt_audience="https://suppliers.example.force.com/customers")) == 3


def test_jwt_audience_settings():
    assert SalesforceSettings().audience == "https://login.salesforce.com"
    assert SalesforceSettings(sandbox=True).audience == "https://test.salesforce.com"
    assert SalesforceSettings(login_url="https://acme.my.salesforce.com").audience == "https://login.salesforce.com"
    with pytest.raises(ValueError, match="refuses a My Domain URL as the JWT audience"):
        SalesforceSettings(jwt_audience="https://acme--uat.sandbox.my.salesforce.com")


@pytest.mark.parametrize("answer", [
    lambda results: {"results": results}, lambda results: results[:1], lambda results: ["ok"] * len(results),
    lambda results: [{**r, "errors": "none"} for r in results], lambda results: [{**r, "errors": [3]} for r in results],
    lambda results: [{**r, "success": "true"} for r in results],
    "redirect",
], ids=["an-object", "too-few", "strings", "errors-a-string", "error-a-number", "success-a-string", "redirect"])
def test_a_malformed_collections_answer_fails_each_record_and_never_the_consumer(salesforce_orgs, trap, answer):
    org = Org(make_accounts(3))
    if answer == "redirect":
        org.query_redirect = trap.url
    else:
        org.collection_answer = answer
    server = salesforce_orgs.start(org)
    settings = SalesforceSettings(**salesforce_orgs.settings(server))
    write_back = SalesforceWriteBack(SalesforceClient(settings), settings)
    records = [("event-1", {"attributes": {"type": "Account"}, "id": org.accounts[0]["Id"], "Supplier_Score__c": 80}),
               ("event-2", {"attributes": {"type": "Account"}, "id": org.accounts[1]["Id"], "Supplier_Score__c": 70})]
    errors = write_back._write(records)
    assert set(errors) == {"event-1", "event-2"} and all(errors.values())
