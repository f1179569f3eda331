"""Salesforce pull: HTTP calls and peak RSS for a large org, REST paging and Bulk API 2.0, each in a fresh process.

The stand-in runs in its own process; the calls are counted on the connector's own HTTP session.
"""
from datetime import datetime, timezone

from bench.harness import Result, alone, measure
from bench.sap import stand_in
from config.settings import SalesforceSettings
from connectors.salesforce import SalesforceClient, SalesforceConnector

SINCE, UNTIL = datetime(1970, 1, 1, tzinfo=timezone.utc), datetime(2100, 1, 1, tzinfo=timezone.utc)


def pull(name: str, accounts: int, bulk: bool) -> Result:
    """In a process of its own, so that the peak RSS is this pull's alone; `calls`: HTTP calls it made."""
    return alone(name, "bench.salesforce:pull_here", name, accounts, bulk)


def pull_here(name: str, accounts: int, bulk: bool) -> Result:
    calls = 0

    def count(response, *args, **kwargs):  # noqa: ANN001, ANN202 - a requests hook
        nonlocal calls
        calls += 1

    with stand_in("salesforce", "--suppliers", str(accounts + 1), "--seed", "1", "--as-of", "2026-06-30") as (url, ca):
        settings = SalesforceSettings(login_url=url, verify=ca, page_size=2000, bulk_threshold=10_000 if bulk else None,
                                      bulk_poll_s=0.2)
        connector = SalesforceConnector(SalesforceClient(settings))
        connector.client.http.hooks["response"].append(count)
        result = measure(name, lambda: sum(len(page.records) for page in connector.accounts(SINCE, UNTIL)))
    result.calls = calls
    return result
