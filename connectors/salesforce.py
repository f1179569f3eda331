"""Salesforce connector: supplier Accounts through simple-salesforce, paged by SystemModstamp.

Authenticates against a configurable login URL (My Domain or the stand-in) with OAuth 2.0 client
credentials, the JWT bearer flow (a private key file) or username/password (sandboxes), renews
the session on `INVALID_SESSION_ID` without losing the page, streams `queryAll` page by page so
an org never has to fit in memory, and stops cleanly when the org's API budget runs low.
"""
import csv
import io
import logging
import time
from datetime import datetime, timezone
from typing import Any, Callable, Iterator

import jwt
import requests
from pydantic import ValidationError
from simple_salesforce import Salesforce
from simple_salesforce.util import exception_handler
from simple_salesforce.exceptions import (
    SalesforceError,
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceRefusedRequest,
)

from config.settings import SalesforceSettings
from connectors.cancel import Cancel
from connectors.http import ConfiguredSession
from connectors.errors import AuthError, LimitExceeded, PayloadError, RemoteFault, TransientError
from connectors.retry import transient_retry
from domain.records import Page, Rejected, SupplierAccount

log = logging.getLogger("srm_bridge.connectors.salesforce")


def soql_datetime(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class SalesforceClient:
    """A simple-salesforce client whose session is renewed when Salesforce expires it."""

    def __init__(self, settings: SalesforceSettings, cancel: Cancel | None = None) -> None:
        self.settings = settings
        self.cancel = cancel or Cancel()
        self.http = ConfiguredSession(settings.verify)
        self.http.hooks["response"].append(self._observe)
        self.api_usage: tuple[int, int] | None = None
        self.retry_after_s: float | None = None
        self.retrying = transient_retry(settings.max_attempts, settings.retry_initial_s,
                                        wait_hint=lambda: self.retry_after_s, cancel=self.cancel)
        self.sf: Salesforce | None = None

    def _observe(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        """Every answer: the API usage it reports, and how long a refusal asks us to wait."""
        usage = response.headers.get("Sforce-Limit-Info", "")
        if usage.startswith("api-usage="):
            used, _, limit = usage.removeprefix("api-usage=").partition("/")
            if used.isdigit() and limit.isdigit():
                self.api_usage = (int(used), int(limit))
        retry_after = response.headers.get("Retry-After", "")
        self.retry_after_s = min(float(retry_after), 300.0) if retry_after.isdigit() else None

    def _check_budget(self, doing: str) -> None:
        if self.api_usage and self.api_usage[1] and self.api_usage[0] >= self.api_usage[1] * self.settings.max_api_share:
            used, limit = self.api_usage
            raise LimitExceeded(f"Salesforce API budget: {used} of {limit} daily requests used, at or above "
                                f"salesforce.max_api_share={self.settings.max_api_share}; stopped before {doing}")

    def _grant(self) -> dict[str, str]:
        """The token request for the configured flow; secrets stay in the form, never in a log line."""
        s = self.settings
        if s.auth == "jwt":
            claims = {"iss": s.client_id, "sub": s.username, "aud": s.jwt_audience or s.login_url.rstrip("/"),
                      "exp": int(time.time()) + 180}
            try:
                key = s.private_key_file.read_bytes()
                assertion = jwt.encode(claims, key, algorithm="RS256")
            except (OSError, ValueError, jwt.PyJWTError) as exc:
                raise AuthError(f"cannot sign the JWT with {s.private_key_file}: {type(exc).__name__}: {exc}") from None
            return {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion}
        if s.auth == "password":
            token = s.security_token.get_secret_value() if s.security_token else ""
            return {"grant_type": "password", "client_id": s.client_id,
                    "client_secret": s.client_secret.get_secret_value(), "username": s.username,
                    "password": s.password.get_secret_value() + token}
        return {"grant_type": "client_credentials", "client_id": s.client_id,
                "client_secret": s.client_secret.get_secret_value()}

    def login(self) -> None:
        url = f"{self.settings.login_url.rstrip('/')}/services/oauth2/token"
        form = self._grant()

        def attempt() -> requests.Response:
            try:
                response = self.http.post(url, data=form, timeout=self.settings.timeout_s)
            except requests.exceptions.SSLError as exc:
                raise AuthError(f"TLS handshake with {url} failed (check salesforce.verify): {exc}") from None
            except (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
                raise TransientError(f"Salesforce login at {url} failed: {type(exc).__name__}: {exc}") from None
            if response.status_code >= 500:
                raise TransientError(f"Salesforce login at {url} answered HTTP {response.status_code}")
            return response

        response = self.retrying(attempt)
        if response.status_code != 200:
            raise AuthError(f"Salesforce login at {url} refused (HTTP {response.status_code}): {_oauth_error(response)}")
        grant = response.json()
        self.sf = Salesforce(instance_url=grant["instance_url"], session_id=grant["access_token"],
                             version=self.settings.api_version, session=self.http)
        log.debug("Salesforce session opened", extra={"instance_url": grant["instance_url"],
                                                      "auth": self.settings.auth})

    def call(self, request: Callable[[Salesforce], Any], doing: str) -> Any:
        """Run one API request with retries; renew the session once if Salesforce expired it."""
        def attempt() -> Any:
            self._check_budget(doing)
            if self.sf is None:
                self.login()
            try:
                return request(self.sf)
            except SalesforceExpiredSession:
                log.info("Salesforce session expired, renewing", extra={"doing": doing})
                self.login()
                return request(self.sf)
            except requests.exceptions.SSLError as exc:
                raise AuthError(f"TLS handshake with Salesforce failed while {doing} (check salesforce.verify): "
                                f"{exc}") from None
            except (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
                raise TransientError(f"Salesforce unreachable while {doing}: {type(exc).__name__}") from None
            except SalesforceGeneralError as exc:
                if exc.status >= 500:
                    raise TransientError(f"Salesforce answered HTTP {exc.status} while {doing}") from None
                raise

        try:
            return self.retrying(attempt)
        except (AuthError, LimitExceeded, TransientError):
            raise
        except SalesforceExpiredSession:
            raise AuthError(f"Salesforce rejected a freshly renewed session while {doing}") from None
        except SalesforceRefusedRequest as exc:
            if "REQUEST_LIMIT_EXCEEDED" in str(exc.content):
                raise LimitExceeded(f"Salesforce API request limit exceeded while {doing}") from None
            raise RemoteFault(f"Salesforce refused the request while {doing}: {_sf_error(exc)}") from None
        except SalesforceError as exc:
            raise RemoteFault(f"Salesforce error while {doing} (HTTP {exc.status}): {_sf_error(exc)}") from None
        except ValueError as exc:
            raise PayloadError(f"Salesforce answer while {doing} is not JSON: {exc}") from None


def _csv_results(sf: Salesforce, job_id: str, locator: str | None, page_size: int, timeout: float) -> requests.Response:
    params = {"maxRecords": page_size, **({"locator": locator} if locator else {})}
    response = sf.session.get(f"{sf.base_url}jobs/query/{job_id}/results", params=params, headers=sf.headers,
                              timeout=timeout, stream=True)
    if response.status_code != 200:
        exception_handler(response, "jobs/query")  # raises the simple-salesforce error for the status
    return response


def _bulk_row(row: dict[str, str]) -> dict:
    """A Bulk API CSV row in the shape the REST API gives: nested relationships, booleans, nulls."""
    record: dict = {}
    for name, value in row.items():
        value = None if value == "" else value
        if "." in name:
            relation, field = name.split(".", 1)
            record.setdefault(relation, {})[field] = value
        else:
            record[name] = value
    record["IsDeleted"] = record.get("IsDeleted") == "true"
    return record


def _oauth_error(response: requests.Response) -> str:
    try:
        body = response.json()
        return f"{body.get('error')}: {body.get('error_description')}"
    except ValueError:
        return response.text[:200]


def _sf_error(exc: SalesforceError) -> str:
    content = exc.content
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return f"{content[0].get('errorCode')}: {content[0].get('message')}"
    return str(content)[:200]


class SalesforceConnector:
    def __init__(self, client: SalesforceClient) -> None:
        self.client = client
        settings = client.settings
        self.fields = ["Id", "Name", "OwnerId", "Owner.Name", "Industry", settings.vendor_id_field,
                       settings.tier_field, settings.risk_field, "SystemModstamp", "IsDeleted"]

    def accounts(self, since: datetime, until: datetime) -> Iterator[Page[SupplierAccount]]:
        """Accounts changed in `[since, until)`, deleted ones included, in (SystemModstamp, Id) order.

        When the first page says at least `bulk_threshold` rows match, they are read through a
        Bulk API 2.0 job instead (unordered, so the cursor moves only with the last page); a job
        that fails falls back to REST paging.
        """
        where = f"WHERE SystemModstamp >= {soql_datetime(since)} AND SystemModstamp < {soql_datetime(until)}"
        soql = f"SELECT {', '.join(self.fields)} FROM Account {where}"
        options = {"Sforce-Query-Options": f"batchSize={self.client.settings.page_size}"}
        timeout = self.client.settings.timeout_s
        result = self.client.call(
            lambda sf: sf.query(f"{soql} ORDER BY SystemModstamp, Id", include_deleted=True, headers=options,
                                timeout=timeout), "querying Accounts")
        threshold = self.client.settings.bulk_threshold
        if threshold and not result.get("done", True) and result.get("totalSize", 0) >= threshold:
            try:
                yield from self._bulk(soql)
                return
            except (RemoteFault, PayloadError) as exc:
                log.warning("Bulk API 2.0 job failed; reading through the REST API instead", extra={"error": str(exc)})
        while True:
            yield self._page(result.get("records", []))
            if result.get("done", True):
                return
            next_url = result.get("nextRecordsUrl")
            if not next_url:
                raise PayloadError("Salesforce says more records follow but gives no nextRecordsUrl")
            result = self.client.call(
                lambda sf: sf.query_more(next_url, identifier_is_url=True, headers=options, timeout=timeout),
                "paging Accounts")
            if result.get("nextRecordsUrl") == next_url:
                raise PayloadError(f"Salesforce paging does not advance past {next_url}")

    def _bulk(self, soql: str) -> Iterator[Page[SupplierAccount]]:
        settings = self.client.settings
        job = self.client.call(lambda sf: sf.restful("jobs/query", method="POST", timeout=settings.timeout_s, json={
            "operation": "queryAll", "query": soql, "contentType": "CSV"}), "creating a Bulk API 2.0 job")
        job_id = job["id"]
        deadline = time.monotonic() + settings.bulk_timeout_s
        while True:
            status = self.client.call(lambda sf: sf.restful(f"jobs/query/{job_id}", timeout=settings.timeout_s),
                                      f"polling Bulk API 2.0 job {job_id}")
            if status["state"] == "JobComplete":
                break
            if status["state"] in ("Failed", "Aborted"):
                raise RemoteFault(f"Bulk API 2.0 job {job_id} {status['state']}: {status.get('errorMessage')}")
            if time.monotonic() > deadline:
                raise PayloadError(f"Bulk API 2.0 job {job_id} not complete after {settings.bulk_timeout_s}s")
            self.client.cancel.sleep(settings.bulk_poll_s)
        locator, newest, held = None, None, None
        while locator != "null":
            response = self.client.call(lambda sf: _csv_results(sf, job_id, locator, settings.bulk_page_size,
                                                                settings.timeout_s),
                                        f"reading Bulk API 2.0 results of {job_id}")
            locator = response.headers.get("Sforce-Locator", "null")
            for page in self._csv_pages(response, job_id):
                newest = max(filter(None, (newest, page.cursor)), default=None)
                page.cursor = None
                if held is not None:
                    yield held
                held = page
        if held is not None:
            held.cursor = newest  # the last page carries the cursor: results come in no particular order
            yield held

    def _csv_pages(self, response: requests.Response, job_id: str) -> Iterator[Page[SupplierAccount]]:
        """The CSV body read as a stream, `page_size` rows at a time, so a results page never sits in memory."""
        response.raw.decode_content = True
        response.raw.auto_close = False  # let the text wrapper see the end of the body instead of a closed file
        rows: list[dict] = []
        try:
            for row in csv.DictReader(io.TextIOWrapper(response.raw, encoding="utf-8", newline="")):
                rows.append(_bulk_row(row))
                if len(rows) == self.client.settings.page_size:
                    yield self._page(rows)
                    rows = []
        except (requests.RequestException, OSError) as exc:
            raise TransientError(f"reading Bulk API 2.0 results of {job_id} broke off: {type(exc).__name__}") from None
        except (csv.Error, UnicodeDecodeError) as exc:
            raise PayloadError(f"Bulk API 2.0 results of {job_id} are not UTF-8 CSV: {exc}") from None
        finally:
            response.close()
        if rows:
            yield self._page(rows)

    def _page(self, rows: list[dict]) -> Page[SupplierAccount]:
        settings = self.client.settings
        page: Page[SupplierAccount] = Page(records=[])
        for row in rows:
            try:
                page.records.append(SupplierAccount(
                    id=row["Id"], name=row.get("Name") or "", vendor_id=row.get(settings.vendor_id_field) or None,
                    owner_id=row.get("OwnerId"), owner_name=(row.get("Owner") or {}).get("Name"),
                    industry=row.get("Industry"), tier=row.get(settings.tier_field),
                    risk_rating=row.get(settings.risk_field), is_deleted=bool(row.get("IsDeleted")),
                    modstamp=row.get("SystemModstamp"),
                ))
            except (ValidationError, KeyError) as exc:
                page.rejected.append(Rejected(key=str(row.get("Id")), reason=str(exc).replace("\n", " "), raw=str(row)))
        if page.records:
            page.cursor = max(record.modstamp for record in page.records)
        return page
