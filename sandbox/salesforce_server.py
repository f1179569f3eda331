"""Salesforce stand-in: the REST API over HTTPS, served from a dataset of Accounts.

OAuth 2.0 client credentials, JWT bearer and username/password (`/services/oauth2/token`), `query/` and `queryAll/` with
`nextRecordsUrl` paging and `Sforce-Query-Options: batchSize`, sObject Collections updates
(`PATCH composite/sobjects`), Bulk API 2.0 query jobs (create, poll, CSV results paged with
`Sforce-Locator`), `Sforce-Limit-Info`, and error bodies as JSON arrays
(`INVALID_SESSION_ID` on 401) as the real API sends them. Field names are case-insensitive and
answered in their own case; standard Account fields a dataset lacks are null (`account_schema`).
A JWT's `aud` must be https://login.salesforce.com (https://test.salesforce.com for a sandbox org)
or one of the connected app's community URLs, as Salesforce requires.
"""
import csv
import io
import json
import secrets
import threading
import time
from dataclasses import replace
from typing import Callable
from urllib.parse import parse_qs

import jwt

from sandbox.faults import UNAVAILABLE_PAGE, Faults
from sandbox.account_schema import RELATIONSHIPS, AccountSchema, UnknownField
from sandbox.soql import Query, SoqlError, field_value, parse

API_VERSION = "59.0"
DAILY_BUDGET = 15000


def _error(status: str, code: str, message: str) -> tuple[str, list, bytes]:
    return status, [("Content-Type", "application/json")], json.dumps([{"message": message, "errorCode": code}]).encode()


class SalesforceStandIn:
    def __init__(self, dataset: dict, client_id: str = "srm-bridge", client_secret: str = "sandbox",
                 token_ttl_s: float = 7200, faults: Faults | None = None, api_budget: int = DAILY_BUDGET,
                 sandbox_org: bool = False, community_urls: tuple[str, ...] = ()) -> None:
        self.client_id, self.client_secret, self.token_ttl_s = client_id, client_secret, token_ttl_s
        self.api_budget = api_budget
        self.users: dict[str, str] = {"integration@srm-bridge.example": "sandbox-password-token"}
        self.jwt_public_key: str | None = None
        self.jobs: dict[str, dict] = {}
        self.fail_bulk_jobs = False  # PEM; set it to accept JWT bearer assertions signed by its key
        self.faults = faults or Faults()
        self.accounts: list[dict] = list(dataset.get("accounts", ()))
        self.schema = AccountSchema(self.accounts)
        self.audiences = ("https://test.salesforce.com" if sandbox_org else "https://login.salesforce.com",
                          *community_urls)
        self.tokens: dict[str, float] = {}
        self.cursors: dict[str, tuple[list[dict], int]] = {}
        self.api_calls = 0
        self.lock = threading.Lock()

    def expire_sessions(self) -> None:
        with self.lock:
            self.tokens.clear()

    def __call__(self, environ: dict, start_response: Callable) -> list[bytes]:
        status, headers, body = self._route(environ)
        start_response(status, headers + [("Content-Length", str(len(body)))])
        return [body]

    def _route(self, environ: dict) -> tuple[str, list, bytes]:
        path, method = environ.get("PATH_INFO", ""), environ["REQUEST_METHOD"]
        if path == "/services/oauth2/token" and method == "POST":
            return self._token(environ)
        if not path.startswith(f"/services/data/v{API_VERSION}/"):
            return _error("404 Not Found", "NOT_FOUND", f"The requested resource does not exist: {path}")
        if not self._session_valid(environ.get("HTTP_AUTHORIZATION", "")):
            return _error("401 Unauthorized", "INVALID_SESSION_ID", "Session expired or invalid")
        _, fault = self.faults.next()
        if fault is not None:
            return "503 Service Unavailable", [("Content-Type", "text/html"), ("Retry-After", "1")], UNAVAILABLE_PAGE
        with self.lock:
            over = self.api_calls >= self.api_budget
            if not over:
                self.api_calls += 1
        limit_header = [("Sforce-Limit-Info", f"api-usage={self.api_calls}/{self.api_budget}")]
        if over:
            status, headers, body = _error("403 Forbidden", "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
            return status, headers + limit_header, body
        resource = path[len(f"/services/data/v{API_VERSION}/"):]
        if resource in ("limits/", "limits"):
            body = {"DailyApiRequests": {"Max": self.api_budget, "Remaining": self.api_budget - self.api_calls}}
            return "200 OK", [("Content-Type", "application/json")] + limit_header, json.dumps(body).encode()
        query = parse_qs(environ.get("QUERY_STRING", ""))
        if resource in ("query/", "query", "queryAll/", "queryAll") and "q" in query:
            status, headers, body = self._query(query["q"][0], resource.startswith("queryAll"),
                                                environ.get("HTTP_SFORCE_QUERY_OPTIONS", ""))
        elif resource.startswith(("query/", "queryAll/")):
            status, headers, body = self._more(resource.split("/", 1)[1])
        elif resource in ("jobs/query", "jobs/query/") and method == "POST":
            payload = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            status, headers, body = self._create_job(payload)
        elif resource.startswith("jobs/query/"):
            status, headers, body = self._job(resource.split("/")[2:], parse_qs(environ.get("QUERY_STRING", "")))
        elif resource == "composite/sobjects" and method == "PATCH":
            payload = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            status, headers, body = self._update_collection(payload)
        else:
            status, headers, body = _error("404 Not Found", "NOT_FOUND", f"The requested resource does not exist: {path}")
        return status, headers + limit_header, body

    def _token(self, environ: dict) -> tuple[str, list, bytes]:
        form = {k: v[0] for k, v in parse_qs(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
                                              .decode()).items()}
        host = environ.get("HTTP_HOST", f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}")
        refusal = self._refuse_grant(form)
        if refusal:
            code, description = refusal
            return "400 Bad Request", [("Content-Type", "application/json")], json.dumps(
                {"error": code, "error_description": description}).encode()
        token = "00D" + secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = time.monotonic() + self.token_ttl_s
        body = {"access_token": token, "instance_url": f"https://{host}", "token_type": "Bearer",
                "id": f"https://{host}/id/00D000000000001AAA/005000000000001AAA",
                "issued_at": str(int(time.time() * 1000)), "signature": secrets.token_urlsafe(16)}
        return "200 OK", [("Content-Type", "application/json")], json.dumps(body).encode()

    def _refuse_grant(self, form: dict[str, str]) -> tuple[str, str] | None:
        """Why this token request is refused, or None: client credentials, JWT bearer, username/password."""
        grant = form.get("grant_type", "")
        if grant == "client_credentials":
            if (form.get("client_id"), form.get("client_secret")) != (self.client_id, self.client_secret):
                return "invalid_client", "invalid client credentials"
            return None
        if grant == "password":
            if (form.get("client_id"), form.get("client_secret")) != (self.client_id, self.client_secret):
                return "invalid_client", "invalid client credentials"
            if self.users.get(form.get("username")) != form.get("password"):
                return "invalid_grant", "authentication failure"
            return None
        if grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            if self.jwt_public_key is None:
                return "invalid_grant", "no certificate is uploaded for this connected app"
            try:
                claims = jwt.decode(form.get("assertion", ""), self.jwt_public_key, algorithms=["RS256"],
                                    options={"require": ["iss", "sub", "aud", "exp"], "verify_aud": False})
            except jwt.PyJWTError as exc:
                return "invalid_grant", f"invalid assertion: {exc}"
            if claims["aud"] not in self.audiences:
                return "invalid_grant", "audience is invalid"
            if claims["iss"] != self.client_id or claims["sub"] not in self.users:
                return "invalid_grant", "user hasn't approved this consumer"
            return None
        return "unsupported_grant_type", f"grant type not supported: {grant}"

    def _session_valid(self, header: str) -> bool:
        scheme, _, token = header.partition(" ")
        with self.lock:
            expires = self.tokens.get(token) if scheme in ("Bearer", "OAuth") else None
        return expires is not None and expires > time.monotonic()

    def _query(self, soql: str, include_deleted: bool, options: str) -> tuple[str, list, bytes]:
        try:
            query = parse(soql)
        except SoqlError as exc:
            return _error("400 Bad Request", "MALFORMED_QUERY", str(exc))
        if query.sobject.lower() != "account":
            return _error("400 Bad Request", "INVALID_TYPE", f"sObject type '{query.sobject}' is not supported.")
        try:
            query = self._resolve(query)
        except UnknownField as exc:
            return _error("400 Bad Request", "INVALID_FIELD", f"No such column '{exc.args[0]}' on entity 'Account'.")
        batch = 2000
        for option in options.split(","):
            name, _, value = option.partition("=")
            if name.strip() == "batchSize" and value.strip().isdigit():
                batch = min(2000, max(200, int(value)))
        rows = [a for a in self.accounts if (include_deleted or not a.get("IsDeleted")) and query.matches(a)]
        rows.sort(key=query.sort_key)
        if query.limit is not None:
            rows = rows[: query.limit]
        records = [self._project(row, query.fields) for row in rows]
        return self._page(records, total=len(records), batch=batch, offset=0, locator=secrets.token_hex(8))

    def _more(self, locator_and_offset: str) -> tuple[str, list, bytes]:
        locator, _, offset = locator_and_offset.rpartition("-")
        with self.lock:
            cursor = self.cursors.get(locator)
        if cursor is None or not offset.isdigit():
            return _error("400 Bad Request", "INVALID_QUERY_LOCATOR", "invalid query locator")
        records, batch = cursor
        return self._page(records, total=len(records), batch=batch, offset=int(offset), locator=locator)

    def _page(self, records: list[dict], total: int, batch: int, offset: int, locator: str) -> tuple[str, list, bytes]:
        end = offset + batch
        body = {"totalSize": total, "done": end >= total, "records": records[offset:end]}
        if end < total:
            with self.lock:
                self.cursors[locator] = (records, batch)
            body["nextRecordsUrl"] = f"/services/data/v{API_VERSION}/query/{locator}-{end}"
        return "200 OK", [("Content-Type", "application/json")], json.dumps(body).encode()

    def _create_job(self, payload: bytes) -> tuple[str, list, bytes]:
        """Bulk API 2.0 query job: the result is fixed at creation; it completes on the second status poll."""
        try:
            request = json.loads(payload)
            query = self._resolve(parse(request["query"]))
        except (ValueError, KeyError, SoqlError) as exc:
            return _error("400 Bad Request", "INVALIDJOB", f"invalid job: {exc}")
        include_deleted = request.get("operation") == "queryAll"
        rows = [a for a in self.accounts if (include_deleted or not a.get("IsDeleted")) and query.matches(a)]
        job_id = "750" + secrets.token_hex(6)
        with self.lock:
            self.jobs[job_id] = {"fields": query.fields, "rows": rows, "polls": 0,
                                 "state": "Failed" if self.fail_bulk_jobs else "JobComplete"}
        return "200 OK", [("Content-Type", "application/json")], json.dumps(
            {"id": job_id, "operation": request.get("operation"), "state": "UploadComplete"}).encode()

    def _job(self, parts: list[str], query: dict) -> tuple[str, list, bytes]:
        with self.lock:
            job = self.jobs.get(parts[0])
        if job is None:
            return _error("404 Not Found", "NOT_FOUND", f"no job {parts[0]}")
        if len(parts) == 1 or parts[1] == "":
            job["polls"] += 1
            state = "InProgress" if job["polls"] < 2 else job["state"]
            body = {"id": parts[0], "state": state, "numberRecordsProcessed": len(job["rows"]) if state == "JobComplete" else 0}
            if state == "Failed":
                body["errorMessage"] = "InvalidBatch : Failed to process query"
            return "200 OK", [("Content-Type", "application/json")], json.dumps(body).encode()
        if job["state"] != "JobComplete" or job["polls"] < 2:
            return _error("400 Bad Request", "INVALIDJOB", "the job is not complete")
        size = int(query.get("maxRecords", ["50000"])[0])
        start = int(query.get("locator", ["0"])[0] or 0)
        chunk = job["rows"][start:start + size]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(job["fields"])
        for row in chunk:
            writer.writerow(["" if (v := self._value(row, f)) is None else str(v).lower() if isinstance(v, bool) else v
                             for f in job["fields"]])
        following = str(start + size) if start + size < len(job["rows"]) else "null"
        headers = [("Content-Type", "text/csv"), ("Sforce-Locator", following),
                   ("Sforce-NumberOfRecords", str(len(chunk)))]
        return "200 OK", headers, out.getvalue().encode()

    def _update_collection(self, payload: bytes) -> tuple[str, list, bytes]:
        """sObject Collections update: at most 200 records, each with its own result (`allOrNone` false).

        An Account whose `Reject_Updates__c` is true fails its custom validation; one with `Lock_Once__c`
        answers UNABLE_TO_LOCK_ROW once, as a record locked by another transaction would.
        """
        try:
            request = json.loads(payload)
            records = request["records"]
        except (ValueError, KeyError, TypeError):
            return _error("400 Bad Request", "JSON_PARSER_ERROR", "expected {\"allOrNone\": …, \"records\": [...]}")
        if len(records) > 200:
            return _error("400 Bad Request", "EXCEEDED_ID_LIMIT", "record limit exceeded: 200 at most")
        by_id = {account["Id"]: account for account in self.accounts}
        results = []
        with self.lock:
            for record in records:
                account = by_id.get(record.get("id"))
                if account is None or account.get("IsDeleted"):
                    results.append({"id": record.get("id"), "success": False, "errors": [{
                        "statusCode": "INVALID_CROSS_REFERENCE_KEY", "message": "invalid cross reference id",
                        "fields": []}]})
                elif account.pop("Lock_Once__c", False):
                    results.append({"id": account["Id"], "success": False, "errors": [{
                        "statusCode": "UNABLE_TO_LOCK_ROW", "message": "unable to obtain exclusive access to this record",
                        "fields": []}]})
                elif account.get("Reject_Updates__c"):
                    results.append({"id": account["Id"], "success": False, "errors": [{
                        "statusCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION", "message": "Account is locked for review",
                        "fields": []}]})
                else:
                    account.update({k: v for k, v in record.items() if k not in ("attributes", "id")})
                    results.append({"id": account["Id"], "success": True, "errors": []})
        return "200 OK", [("Content-Type", "application/json")], json.dumps(results).encode()

    def _resolve(self, query: Query) -> Query:
        """The query with every field name in its own case; `UnknownField` for a name Account lacks."""
        canonical = self.schema.canonical
        return replace(query, fields=[canonical(f) for f in query.fields], order=[canonical(f) for f in query.order],
                       conditions=[(canonical(f), compare, value) for f, compare, value in query.conditions])

    @staticmethod
    def _value(row: dict, field: str) -> object:
        value = field_value(row, field)
        return False if value is None and field == "IsDeleted" else value

    def _project(self, row: dict, fields: list[str]) -> dict:
        record: dict = {"attributes": {"type": "Account", "url": f"/services/data/v{API_VERSION}/sobjects/Account/{row['Id']}"}}
        for field in fields:
            if "." not in field:
                record[field] = self._value(row, field)
                continue
            relation, name = field.split(".", 1)
            id_field, sobject = RELATIONSHIPS[relation]
            if row.get(relation) is None and row.get(id_field) is None:
                record[relation] = None
                continue
            target = record.setdefault(relation, {"attributes": {
                "type": sobject, "url": f"/services/data/v{API_VERSION}/sobjects/{sobject}/{row.get(id_field)}"}})
            target[name] = row.get(id_field) if name == "Id" else field_value(row, field)
        return record
