"""Salesforce connector: supplier Accounts through simple-salesforce, paged by SystemModstamp.

Authenticates against a configurable login URL (My Domain or the stand-in) with OAuth 2.0 client
credentials, the JWT bearer flow (a private key file) or username/password (sandboxes), renews
the session on `INVALID_SESSION_ID` without losing the page, streams `queryAll` page by page so
an org never has to fit in memory, and stops cleanly when the org's API budget (or the connected
app's own quota) runs low. Every call, its login included, shares one retry budget.
"""
import logging
import time
from datetime import datetime, timezone
from typing import Any, Callable, Iterator

import jwt
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceError,
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceRefusedRequest,
)

from config.settings import SalesforceSettings
from connectors.cancel import Cancel
from connectors.errors import AuthError, LimitExceeded, PayloadError, RemoteFault, TransientError
from connectors.kept import Kept
from connectors.retry import transient_retry
from connectors.salesforce_bulk import BulkJobFailed, bulk_accounts
from connectors.salesforce_http import GuardedSession, Usage, next_records_path, parse_limit_info
from connectors.salesforce_records import TokenAnswer, account_page, query_answer, token_answer
from domain.records import Page, SupplierAccount

log = logging.getLogger("srm_bridge.connectors.salesforce")


def soql_datetime(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class SalesforceClient:
    """A simple-salesforce client whose session is renewed when Salesforce expires it."""

    def __init__(self, settings: SalesforceSettings, cancel: Cancel | None = None, kept: Kept | None = None) -> None:
        """`kept`: the process's Salesforce session, used when there is one and replaced when renewed."""
        self.settings, self.kept = settings, kept
        self.cancel = cancel or Cancel()
        self.http = GuardedSession(settings.verify, settings.max_response_mb)
        self.http.allow(settings.login_url)
        self.http.hooks["response"].append(self._observe)
        self.api_usage: list[Usage] = []
        self.usage_unreadable = False
        self.retry_after_s: float | None = None
        self.retrying = transient_retry(settings.max_attempts, settings.retry_initial_s,
                                        wait_hint=lambda: self.retry_after_s, cancel=self.cancel)
        self.sf: Salesforce | None = None
        if kept is not None and kept.salesforce is not None:
            self._use(kept.salesforce)

    def _observe(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        """Every answer: the API usage it reports, and how long a refusal asks us to wait."""
        header = response.headers.get("Sforce-Limit-Info")
        if header is not None:
            usage = parse_limit_info(header)
            if usage is None and not self.usage_unreadable:
                log.warning("Sforce-Limit-Info not understood; the API budget guard (salesforce.max_api_share) "
                            "keeps the last usage it could read", extra={"header": header[:200]})
            self.usage_unreadable = usage is None
            self.api_usage = usage if usage is not None else self.api_usage
        retry_after = response.headers.get("Retry-After", "")
        self.retry_after_s = min(float(retry_after), 300.0) if retry_after.isdigit() else None

    def api_share(self) -> float | None:
        """The tighter of the org's and the connected app's used share, as Salesforce last reported them."""
        return max((u.used / u.limit for u in self.api_usage if u.limit), default=None)

    def _check_budget(self, doing: str) -> None:
        """The org's daily budget and the connected app's quota both count; the tighter one stops the run."""
        share = self.settings.max_api_share
        spent = [u for u in self.api_usage if u.limit and u.used >= u.limit * share]
        if spent:
            usage = max(spent, key=lambda u: u.used / u.limit)
            raise LimitExceeded(f"Salesforce API budget: {usage.describe()} ({usage.name}), at or above "
                                f"salesforce.max_api_share={share}; stopped before {doing}")

    def _grant(self) -> dict[str, str]:
        """The token request for the configured flow; secrets stay in the form, never in a log line."""
        s = self.settings
        if s.auth == "jwt":
            claims = {"iss": s.client_id, "sub": s.username, "aud": s.audience, "exp": int(time.time()) + 180}
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

    def _open_session(self) -> None:
        """One token request, retried only by the caller's budget; a redirect is refused, never followed."""
        url = f"{self.settings.login_url.rstrip('/')}/services/oauth2/token"
        try:
            response = self.http.post(url, data=self._grant(), timeout=self.settings.timeout_s)
        except requests.exceptions.SSLError as exc:
            raise AuthError(f"TLS handshake with {url} failed (check salesforce.verify): {exc}") from None
        except (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            raise TransientError(f"Salesforce login at {url} failed (check that salesforce.login_url is right and "
                                 f"reachable): {type(exc).__name__}: {exc}") from None
        except PayloadError as exc:
            raise AuthError(f"Salesforce login at {url} failed (check salesforce.login_url): {exc}") from None
        if response.status_code >= 500:
            raise TransientError(f"Salesforce login at {url} answered HTTP {response.status_code}")
        if response.status_code != 200:
            raise AuthError(f"Salesforce login at {url} refused (HTTP {response.status_code}): {_oauth_error(response)}")
        try:
            body = response.json()
        except ValueError:
            raise AuthError(f"Salesforce login at {url} answered something that is not JSON") from None
        grant = token_answer(body, url)
        self._use(grant)
        if self.kept is not None:
            self.kept.salesforce = grant
        log.debug("Salesforce session opened", extra={"instance_url": grant.instance_url, "auth": self.settings.auth})

    def _use(self, grant: TokenAnswer) -> None:
        self.http.allow(grant.instance_url)
        self.sf = Salesforce(instance_url=grant.instance_url, session_id=grant.access_token,
                             version=self.settings.api_version, session=self.http)

    def login(self) -> None:
        """Open a session now (`config check --connect`), within one retry budget."""
        self.retrying(self._open_session)

    def call(self, request: Callable[[Salesforce], Any], doing: str) -> Any:
        """Run one API request, its login included, within one retry budget; renew an expired session once."""
        def attempt() -> Any:
            self._check_budget(doing)
            if self.sf is None:
                self._open_session()
            try:
                return request(self.sf)
            except SalesforceExpiredSession:
                log.info("Salesforce session expired, renewing", extra={"doing": doing})
                self.sf = None
                self._open_session()
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


def _oauth_error(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if not isinstance(body, dict):
        return str(body)[:200]
    error = f"{body.get('error')}: {body.get('error_description')}"
    if "audience" in str(body.get("error_description")):
        error += " (check salesforce.jwt_audience and salesforce.sandbox)"
    return error


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
        that cannot be created or fails falls back to REST paging. Paging fails closed: the stream
        ends only on `done: true`; a missing or repeated `nextRecordsUrl` is a `PayloadError`.
        """
        settings = self.client.settings
        where = f"WHERE SystemModstamp >= {soql_datetime(since)} AND SystemModstamp < {soql_datetime(until)}"
        soql = f"SELECT {', '.join(self.fields)} FROM Account {where}"
        options = {"Sforce-Query-Options": f"batchSize={settings.page_size}"}
        answer = query_answer(self.client.call(
            lambda sf: sf.query(f"{soql} ORDER BY SystemModstamp, Id", include_deleted=True, headers=options,
                                timeout=settings.timeout_s), "querying Accounts"), "querying Accounts")
        if settings.bulk_threshold and not answer.done and answer.totalSize >= settings.bulk_threshold:
            try:
                yield from bulk_accounts(self.client, soql)
                return
            except BulkJobFailed as exc:
                log.warning("Bulk API 2.0 job failed; reading through the REST API instead", extra={"error": str(exc)})
        seen: set[str] = set()
        while True:
            yield account_page(answer.records, settings)
            if answer.done:
                return
            path = next_records_path(answer.nextRecordsUrl)
            if path in seen:
                raise PayloadError(f"Salesforce gave nextRecordsUrl {path} a second time: the paging would loop")
            seen.add(path)
            answer = query_answer(self.client.call(
                lambda sf: sf.query_more(path, identifier_is_url=True, headers=options, timeout=settings.timeout_s),
                "paging Accounts"), "paging Accounts")
