"""The Salesforce connector against the Salesforce stand-in over HTTPS with a generated CA."""
from datetime import date, datetime, timezone

import pytest

from config.settings import SalesforceSettings
from connectors.errors import AuthError
from connectors.salesforce import SalesforceClient, SalesforceConnector
from sandbox.generator import generate_salesforce
from sandbox.serve import start_salesforce
from tests.support.salesforce_org import rsa_key_pair

SINCE, UNTIL = datetime(1970, 1, 1, tzinfo=timezone.utc), datetime(2100, 1, 1, tzinfo=timezone.utc)


@pytest.fixture
def salesforce(tmp_path):
    servers = []

    def start(dataset, **settings):
        server, app, ca_path = start_salesforce(dataset, tls_dir=tmp_path / f"ca{len(servers)}")
        servers.append(server)
        options = {"login_url": server.url, "verify": str(ca_path), "page_size": 200, "retry_initial_s": 0, **settings}
        return SalesforceConnector(SalesforceClient(SalesforceSettings(**options))), app

    yield start
    for server in servers:
        server.stop()


def test_pages_through_all_accounts_and_renews_an_expired_session(salesforce):
    dataset = generate_salesforce(650, seed=1, as_of=date(2026, 6, 30))
    connector, app = salesforce(dataset)
    pages = connector.accounts(SINCE, UNTIL)
    first = next(pages)
    app.expire_sessions()
    rest = list(pages)
    accounts = first.records + [a for page in rest for a in page.records]
    assert len(rest) == 3 and len(accounts) == 650
    assert len({a.id for a in accounts}) == 650
    assert accounts[0].vendor_id == "0000100001" and accounts[0].owner_name


def test_deleted_accounts_come_back_marked(salesforce):
    dataset = generate_salesforce(3, seed=1, as_of=date(2026, 6, 30))
    dataset["accounts"][1]["IsDeleted"] = True
    connector, _ = salesforce(dataset)
    accounts = [a for page in connector.accounts(SINCE, UNTIL) for a in page.records]
    assert [a.is_deleted for a in accounts].count(True) == 1


def test_incremental_window_on_system_modstamp(salesforce):
    dataset = generate_salesforce(3, seed=1, as_of=date(2026, 6, 30))
    dataset["accounts"][0]["SystemModstamp"] = "2026-07-02T10:00:00.000+0000"
    connector, _ = salesforce(dataset)
    lower = datetime(2026, 7, 1, tzinfo=timezone.utc)
    accounts = [a for page in connector.accounts(lower, UNTIL) for a in page.records]
    assert [a.id for a in accounts] == [dataset["accounts"][0]["Id"]]


def test_wrong_secret_is_an_auth_error_without_the_secret(salesforce):
    connector, _ = salesforce({"accounts": []}, client_secret="not-the-secret")
    with pytest.raises(AuthError) as caught:
        list(connector.accounts(SINCE, UNTIL))
    assert "invalid_client" in str(caught.value) and "not-the-secret" not in str(caught.value)


def test_untrusted_certificate_is_refused(salesforce):
    connector, _ = salesforce({"accounts": []}, verify=True, max_attempts=1)
    with pytest.raises(AuthError, match="TLS handshake .* CERTIFICATE_VERIFY_FAILED"):
        list(connector.accounts(SINCE, UNTIL))


def test_a_spent_api_budget_stops_the_run_cleanly_and_the_next_run_resumes(tmp_path, sqlite_engine):
    from config import load_settings
    from scheduler.bootstrap import App
    from store.sync_state import read_cursor
    from sqlalchemy import func, select

    from store.tables import supplier_accounts
    from sync.pipeline import run_sync

    dataset = generate_salesforce(999, seed=2, as_of=date(2026, 6, 30))
    server, app, ca = start_salesforce(dataset, tls_dir=tmp_path / "ca", api_budget=3)
    try:
        settings = load_settings(salesforce={"login_url": server.url, "verify": str(ca), "page_size": 200,
                                             "retry_initial_s": 0, "settle_seconds": 0})
        bridge = App(settings=settings, engine=sqlite_engine)
        now = datetime(2026, 7, 1, tzinfo=timezone.utc)
        [stopped] = run_sync(sqlite_engine, bridge.streams(["salesforce"]), now).streams
        assert (stopped.outcome, stopped.pages, stopped.stored) == ("stopped", 3, 600)
        assert "3 of 3 daily requests used" in stopped.error and "max_api_share" in stopped.error
        with sqlite_engine.connect() as connection:
            cursor = read_cursor(connection, "salesforce.accounts")
        assert cursor is not None

        app.api_calls = app.api_budget  # another integration spent the day's budget
        [refused] = run_sync(sqlite_engine, bridge.streams(["salesforce"]), now).streams
        assert (refused.outcome, refused.pages) == ("stopped", 0) and "limit exceeded" in refused.error
        with sqlite_engine.connect() as connection:
            assert read_cursor(connection, "salesforce.accounts") == cursor

        app.api_budget = 100
        [resumed] = run_sync(sqlite_engine, bridge.streams(["salesforce"]), now).streams
        assert resumed.outcome == "succeeded" and resumed.stored >= len(dataset["accounts"]) - 600
        with sqlite_engine.connect() as connection:
            assert connection.execute(select(func.count()).select_from(supplier_accounts)).scalar() == len(
                dataset["accounts"])
    finally:
        server.stop()


def test_jwt_bearer_and_password_logins_and_no_secret_in_the_logs(salesforce, tmp_path, caplog):
    dataset = generate_salesforce(5, seed=3, as_of=date(2026, 6, 30))
    private_key, public_key = rsa_key_pair(tmp_path)
    caplog.set_level("DEBUG")

    with_jwt, app = salesforce(dataset, auth="jwt", username="integration@srm-bridge.example",
                               private_key_file=private_key)
    app.jwt_public_key = public_key
    assert sum(len(page.records) for page in with_jwt.accounts(SINCE, UNTIL)) == len(dataset["accounts"])

    (tmp_path / "other").mkdir()
    other_key, _ = rsa_key_pair(tmp_path / "other")
    forged, app = salesforce(dataset, auth="jwt", username="integration@srm-bridge.example",
                             private_key_file=other_key)
    app.jwt_public_key = public_key
    with pytest.raises(AuthError, match="invalid assertion"):
        list(forged.accounts(SINCE, UNTIL))

    with_password, _ = salesforce(dataset, auth="password", username="integration@srm-bridge.example",
                                  password="sandbox-password", security_token="-token")
    assert sum(len(page.records) for page in with_password.accounts(SINCE, UNTIL)) == len(dataset["accounts"])
    wrong, _ = salesforce(dataset, auth="password", username="integration@srm-bridge.example", password="guess")
    with pytest.raises(AuthError, match="authentication failure"):
        list(wrong.accounts(SINCE, UNTIL))

    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "sandbox-password" not in logged and "BEGIN PRIVATE KEY" not in logged and "guess" not in logged


def test_incomplete_auth_settings_are_refused_at_start_up():
    with pytest.raises(ValueError, match="auth=jwt needs username and private_key_file"):
        SalesforceSettings(auth="jwt")


def test_a_large_pull_goes_through_bulk_api_2_and_survives_an_expired_session(salesforce):
    dataset = generate_salesforce(2500, seed=5, as_of=date(2026, 6, 30))
    dataset["accounts"][7]["IsDeleted"] = True
    connector, app = salesforce(dataset, bulk_threshold=1000, bulk_page_size=1000, bulk_poll_s=0)
    pages = connector.accounts(SINCE, UNTIL)
    first = next(pages)
    app.expire_sessions()  # in the middle of reading the job's results
    rest = list(pages)
    accounts = first.records + [a for page in rest for a in page.records]
    assert len(app.jobs) == 1 and len(rest) == 12  # 2,501 rows streamed from three CSV pages as pages of 200
    assert sorted(a.id for a in accounts) == sorted(a["Id"] for a in dataset["accounts"])
    assert [a.is_deleted for a in accounts if a.id == dataset["accounts"][7]["Id"]] == [True]
    assert next(a for a in accounts if a.vendor_id == "0000100001").owner_name
    assert first.cursor is None and rest[0].cursor is None  # unordered: the cursor moves with the last page only
    assert rest[-1].cursor == max(a.modstamp for a in accounts)


def test_a_failed_bulk_job_falls_back_to_rest(salesforce):
    dataset = generate_salesforce(1200, seed=6, as_of=date(2026, 6, 30))
    connector, app = salesforce(dataset, bulk_threshold=1000, bulk_poll_s=0)
    app.fail_bulk_jobs = True
    pages = list(connector.accounts(SINCE, UNTIL))
    assert len(app.jobs) == 1 and len(pages) == 6 and all(page.cursor for page in pages)
    assert sum(len(page.records) for page in pages) == len(dataset["accounts"])


def test_soql_field_names_are_case_insensitive_and_answered_in_their_own_case(salesforce):
    connector, _ = salesforce(generate_salesforce(3, seed=1, as_of=date(2026, 6, 30)))
    answer = connector.client.call(lambda sf: sf.query_all(
        "select id, NAME, industry, owner.name, sap_vendor_id__c, isdeleted from account "
        "where systemmodstamp >= 2000-01-01T00:00:00Z order by ID"), "querying in lower case")
    assert answer["totalSize"] == 3
    assert [set(record) for record in answer["records"]] == [
        {"attributes", "Id", "Name", "Industry", "Owner", "SAP_Vendor_Id__c", "IsDeleted"}] * 3
    assert all(record["Owner"]["Name"] for record in answer["records"])


def test_a_data_file_without_standard_fields_is_served_with_nulls(salesforce):
    accounts = [{"Id": f"001{n:012d}AAA", "Name": f"Supplier {n}", "SAP_Vendor_Id__c": str(100000 + n),
                 "OwnerId": "005000000000001AAA", "SystemModstamp": "2026-06-01T08:00:00.000+0000"} for n in range(3)]
    connector, _ = salesforce({"accounts": accounts})
    [page] = list(connector.accounts(SINCE, UNTIL))
    assert not page.rejected and [(a.industry, a.tier, a.risk_rating, a.owner_name, a.is_deleted)
                                  for a in page.records] == [(None, None, None, None, False)] * 3


def test_the_stand_in_checks_the_jwt_audience_as_salesforce_does(salesforce, tmp_path):
    dataset = generate_salesforce(3, seed=3, as_of=date(2026, 6, 30))
    private_key, public_key = rsa_key_pair(tmp_path)
    options = {"auth": "jwt", "username": "integration@srm-bridge.example", "private_key_file": private_key}
    my_domain, app = salesforce(dataset, **options, jwt_audience="https://127.0.0.1")
    app.jwt_public_key = public_key
    with pytest.raises(AuthError, match="audience is invalid"):
        list(my_domain.accounts(SINCE, UNTIL))
    sandbox, app = salesforce(dataset, **options, sandbox=True)
    app.jwt_public_key, app.audiences = public_key, ("https://test.salesforce.com",)
    assert sum(len(page.records) for page in sandbox.accounts(SINCE, UNTIL)) == 3
