"""Salesforce pull: HTTP calls and peak RSS for a large org, REST paging and Bulk API 2.0, in a fresh process.

The stand-in runs in its own process; the calls are counted on the connector's own HTTP session.
"""
import json
import subprocess
import sys
from datetime import datetime, timezone

from bench.harness import Result, measure
from bench.sap import own_peak_rss_mb, stand_in
from config.settings import SalesforceSettings
from connectors.salesforce import SalesforceClient, SalesforceConnector

SINCE, UNTIL = datetime(1970, 1, 1, tzinfo=timezone.utc), datetime(2100, 1, 1, tzinfo=timezone.utc)


def pull(name: str, accounts: int, bulk: bool) -> Result:
    """Runs `python -m bench.salesforce` so that the peak RSS is this pull's alone."""
    done = subprocess.run([sys.executable, "-m", "bench.salesforce", name, str(accounts), "bulk" if bulk else "rest"],
                          capture_output=True, text=True, check=True)
    return Result(**json.loads(done.stdout.strip().splitlines()[-1]))


def _pull_here(name: str, accounts: int, bulk: bool) -> Result:
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
    result.peak_rss_mb = own_peak_rss_mb()
    result.reference, result.ratio = "HTTP calls (ratio column)", float(calls)
    return result


if __name__ == "__main__":
    print(json.dumps(_pull_here(sys.argv[1], int(sys.argv[2]), sys.argv[3] == "bulk").__dict__))
