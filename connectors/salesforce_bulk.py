"""Bulk API 2.0 query jobs for large Account pulls: create, poll, read the CSV results set by set.

Fails closed: every results set must say with `Sforce-Locator` whether another follows (the string
`null` on the last one); a locator already seen in the job is a cycle; a set whose
`Sforce-NumberOfRecords` disagrees with the rows read was cut short. Results come in no particular
order, so only the last page carries the cursor.
"""
import csv
import io
import re
import time
from typing import TYPE_CHECKING, Any, Iterator

import requests
from simple_salesforce import Salesforce
from simple_salesforce.util import exception_handler

from connectors.errors import PayloadError, RemoteFault
from connectors.salesforce_http import BULK_LOCATOR
from connectors.salesforce_records import account_page, bulk_row
from domain.records import Page, SupplierAccount

if TYPE_CHECKING:
    from connectors.salesforce import SalesforceClient

JOB_ID = re.compile(r"[A-Za-z0-9]{15,18}")


class BulkJobFailed(RemoteFault):
    """The job could not be created or did not complete: nothing was read yet, REST paging may take over."""


def bulk_accounts(client: "SalesforceClient", soql: str) -> Iterator[Page[SupplierAccount]]:
    job_id = _complete_job(client, soql)
    settings = client.settings
    locator: str | None = None
    seen: set[str] = set()
    newest, held = None, None
    while True:
        response = client.call(lambda sf: _results(sf, job_id, locator, settings.bulk_page_size, settings.timeout_s),
                               f"reading Bulk API 2.0 results of {job_id}")
        following = _following(response, job_id, seen)
        rows = 0
        for page in _csv_pages(client, response, job_id):
            rows += len(page.records) + len(page.rejected)
            newest = max(filter(None, (newest, page.cursor)), default=None)
            page.cursor = None
            if held is not None:
                yield held
            held = page
        announced = response.headers.get("Sforce-NumberOfRecords", "")
        if announced.isdigit() and int(announced) != rows:
            raise PayloadError(f"Bulk API 2.0 results of {job_id} announced {announced} records "
                               f"(Sforce-NumberOfRecords) but held {rows}: the set was cut short")
        if following is None:
            break
        locator = following
    if held is not None:
        held.cursor = newest
        yield held


def _complete_job(client: "SalesforceClient", soql: str) -> str:
    settings = client.settings
    try:
        job = client.call(lambda sf: sf.restful("jobs/query", method="POST", timeout=settings.timeout_s, json={
            "operation": "queryAll", "query": soql, "contentType": "CSV"}), "creating a Bulk API 2.0 job")
    except RemoteFault as exc:
        raise BulkJobFailed(str(exc)) from None
    job_id = job.get("id") if isinstance(job, dict) else None
    if not isinstance(job_id, str) or not JOB_ID.fullmatch(job_id):
        raise PayloadError(f"Bulk API 2.0 job creation answered no usable job id: {str(job)[:200]}")
    deadline = time.monotonic() + settings.bulk_timeout_s
    while True:
        status = client.call(lambda sf: sf.restful(f"jobs/query/{job_id}", timeout=settings.timeout_s),
                             f"polling Bulk API 2.0 job {job_id}")
        state = status.get("state") if isinstance(status, dict) else None
        if not isinstance(state, str):
            raise PayloadError(f"Bulk API 2.0 job {job_id} status has no state: {str(status)[:200]}")
        if state == "JobComplete":
            return job_id
        if state in ("Failed", "Aborted"):
            raise BulkJobFailed(f"Bulk API 2.0 job {job_id} {state}: {str(status.get('errorMessage'))[:200]}")
        if time.monotonic() > deadline:
            raise BulkJobFailed(f"Bulk API 2.0 job {job_id} not complete after {settings.bulk_timeout_s}s")
        client.cancel.sleep(settings.bulk_poll_s)


def _results(sf: Salesforce, job_id: str, locator: str | None, page_size: int, timeout: float) -> requests.Response:
    params = {"maxRecords": page_size, **({"locator": locator} if locator else {})}
    response = sf.session.get(f"{sf.base_url}jobs/query/{job_id}/results", params=params, headers=sf.headers,
                              timeout=timeout, stream=True)
    if response.status_code != 200:
        exception_handler(response, "jobs/query")  # raises the simple-salesforce error for the status
    return response


def _following(response: requests.Response, job_id: str, seen: set[str]) -> str | None:
    """The next set's locator, or None after the last set; anything else fails the stream."""
    locator = response.headers.get("Sforce-Locator")
    problem = None
    if locator is None:
        problem = "has no Sforce-Locator header, so whether more results follow is unknown"
    elif locator == "null":
        return None
    elif not BULK_LOCATOR.fullmatch(locator):
        problem = f"gave Sforce-Locator {locator[:200]!r}, which is not a locator"
    elif locator in seen:
        problem = f"gave Sforce-Locator {locator!r} a second time: the results would loop"
    if problem:
        response.close()
        raise PayloadError(f"Bulk API 2.0 results of {job_id} {problem}")
    seen.add(locator)
    return locator


def _csv_pages(client: "SalesforceClient", response: requests.Response, job_id: str) -> Iterator[Page[SupplierAccount]]:
    """The CSV body read as a bounded stream, `page_size` rows at a time, so a set never sits in memory."""
    settings = client.settings
    rows: list[dict[Any, Any]] = []
    try:
        for row in csv.DictReader(io.TextIOWrapper(client.http.bounded(response), encoding="utf-8", newline="")):
            rows.append(row)
            if len(rows) == settings.page_size:
                yield account_page(rows, settings, shape=bulk_row)
                rows = []
    except (csv.Error, UnicodeDecodeError) as exc:
        raise PayloadError(f"Bulk API 2.0 results of {job_id} are not UTF-8 CSV: {exc}") from None
    finally:
        response.close()
    if rows:
        yield account_page(rows, settings, shape=bulk_row)
