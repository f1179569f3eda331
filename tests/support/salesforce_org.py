"""A small Salesforce org over HTTPS, written from Salesforce's published guides, not from the stand-in.

It shares nothing with `sandbox/salesforce_server.py` or `sandbox/soql.py`; only the throw-away
certificate authority of `sandbox/tls.py` is borrowed.

Followed documents:
- REST API Developer Guide: "Query" and "QueryAll" (`/services/data/vXX.X/query?q=` and `queryAll?q=`,
  answers `{totalSize, done, nextRecordsUrl, records}`, each record with `attributes {type, url}`, a
  child-to-parent relationship as a nested object or null), "Query More Results" (the
  `nextRecordsUrl` path, which says `query` even for a QueryAll), "Query Options Header"
  (`Sforce-Query-Options: batchSize=`, 200 to 2,000), "Limit Info Header" (`Sforce-Limit-Info:
  api-usage=25/5000; per-app-api-usage=17/250(appName=sample-connected-app)`), "Using Compression"
  (gzip when the client sends `Accept-Encoding: gzip`) and the error body `[{message, errorCode}]`.
- "OAuth 2.0 JWT Bearer Flow for Server-to-Server Integration", "OAuth 2.0 Client Credentials Flow"
  and "OAuth 2.0 Username-Password Flow": `POST /services/oauth2/token`, the answer `{access_token,
  instance_url, id, token_type, issued_at}`, errors `{error, error_description}`; the JWT `aud` is
  `https://login.salesforce.com`, `https://test.salesforce.com` for a sandbox, or a community URL.
- Bulk API 2.0 and Bulk API Developer Guide: "Create a Query Job", "Get Information About a Query
  Job", "Get Results for a Query Job" (CSV, `locator` and `maxRecords`, `Sforce-Locator` whose value
  is the string `null` on the last set, `Sforce-NumberOfRecords`) and "Use Compression for Bulk API
  2.0 Query Responses".
- REST API Developer Guide, "Update Multiple Records" (sObject Collections): `PATCH composite/sobjects`
  with `{allOrNone, records}`, answered with one `{id, success, errors}` per record.
- Object Reference, Account: `IsDeleted` is a boolean, `SystemModstamp` a dateTime, `Owner` the User.

Hostile switches (`Org` attributes) make it lie the ways a broken server or an attacker would.
"""
import base64
import gzip
import http.server
import json
import re
import secrets
import ssl
import threading
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from config.settings import SalesforceSettings
from connectors.salesforce import SalesforceClient, SalesforceConnector
from sandbox.tls import create_ca

LOGIN, TEST = "https://login.salesforce.com", "https://test.salesforce.com"
VERSIONED = re.compile(r"^/services/data/v(\d+\.\d)/(.*)$")
FIELDS = ("Id", "Name", "OwnerId", "Industry", "SAP_Vendor_Id__c", "Supplier_Tier__c", "Risk_Rating__c",
          "SystemModstamp", "IsDeleted")


def sf_datetime(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def make_accounts(count: int, start: datetime = datetime(2026, 5, 1, tzinfo=timezone.utc)) -> list[dict]:
    return [{"Id": f"001{n:015d}"[:18], "Name": f"Supplier {n}", "OwnerId": f"005{n % 7:015d}",
             "Industry": "Manufacturing" if n % 2 else None, "SAP_Vendor_Id__c": f"{100000 + n}",
             "Supplier_Tier__c": "Tier 1" if n % 3 == 0 else None, "Risk_Rating__c": None,
             "SystemModstamp": sf_datetime(start + timedelta(minutes=n)), "IsDeleted": n % 50 == 0}
            for n in range(1, count + 1)]


class Org:
    """The org's data and switches; `Server` answers from it."""

    def __init__(self, accounts: list[dict], api_limit: int = 100_000, app_limit: int | None = None,
                 sandbox: bool = False, client_id: str = "srm-bridge-tests", client_secret: str = "s3cret",
                 username: str = "integration@example.com", password: str = "pw") -> None:
        self.accounts = accounts
        self.users = {a["OwnerId"]: f"Buyer {a['OwnerId'][-2:]}" for a in accounts if a.get("OwnerId")}
        self.api_limit, self.app_limit, self.api_calls = api_limit, app_limit, 0
        self.audiences = [TEST if sandbox else LOGIN]  # plus community URLs, as a connected app allows
        self.client_id, self.client_secret, self.username, self.password = client_id, client_secret, username, password
        self.jwt_public_key: str | None = None
        self.tokens: set[str] = set()
        self.cursors: dict[str, tuple[list[dict], str]] = {}
        self.jobs: dict[str, dict] = {}
        self.requests: list[tuple[str, str, bytes]] = []  # (method, path, body) as received
        self.lock = threading.Lock()
        self.instance_url = ""  # set by `Server`
        # hostile switches
        self.token_redirect: str | None = None            # answer the token POST with a 307 there
        self.token_answer: Callable[[dict], dict] = lambda answer: answer
        self.query_redirect: str | None = None            # answer data GETs and PATCHes with a 302 there
        self.answer: Callable[[int, dict], Any] = lambda page, answer: answer  # each query answer, by page number
        self.locator: Callable[[int, str], str | None] = lambda n, locator: locator  # None: no header
        self.dropped_rows = 0                             # rows left out of each results set, still announced
        self.padding_bytes = 0                            # whitespace after each query answer or CSV set
        self.endless = False                              # query answers and CSV sets that never end
        self.stretched = ("query", "results")             # which answers the two switches above stretch
        self.job_state = "JobComplete"
        self.job_polls = 1                                # polls answered InProgress before the final state
        self.collection_answer: Callable[[list], Any] = lambda results: results  # sObject Collections answers

    def expire_sessions(self) -> None:
        self.tokens.clear()


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    org: Org

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        self._route("POST")

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        self._route("GET")

    def do_PATCH(self) -> None:  # noqa: N802 - stdlib name
        self._route("PATCH")

    def _route(self, method: str) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        url = urlsplit(self.path)
        with self.org.lock:
            self.org.requests.append((method, self.path, body))
        if method == "POST" and url.path == "/services/oauth2/token":
            return self._token(parse_qs(body.decode()))
        versioned = VERSIONED.match(url.path)
        if not versioned:
            return self._json(404, [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}])
        if self.headers.get("Authorization", "").removeprefix("Bearer ") not in self.org.tokens:
            return self._json(401, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}])
        with self.org.lock:
            self.org.api_calls += 1
            calls = self.org.api_calls
        if calls > self.org.api_limit or (self.org.app_limit is not None and calls > self.org.app_limit):
            return self._json(403, [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}])
        if self.org.query_redirect and method in ("GET", "PATCH"):
            return self._send(302, b"", [("Location", self.org.query_redirect + self.path)])
        version, rest = versioned.groups()
        query = parse_qs(url.query)
        if method == "GET" and rest in ("query", "query/", "queryAll", "queryAll/"):
            return self._query(version, query.get("q", [""])[0], include_deleted=rest.startswith("queryAll"))
        more = re.fullmatch(r"(?:query|queryAll)/([A-Za-z0-9]+)-(\d+)", rest)
        if method == "GET" and more:
            return self._more(version, more.group(1), int(more.group(2)))
        if method == "POST" and rest == "jobs/query":
            return self._create_job(version, json.loads(body or b"{}"))
        if method == "PATCH" and rest == "composite/sobjects":
            return self._update(json.loads(body or b"{}"))
        job = re.fullmatch(r"jobs/query/([A-Za-z0-9]+)(/results)?", rest)
        if method == "GET" and job and job.group(1) in self.org.jobs:
            if job.group(2):
                return self._results(job.group(1), query)
            return self._job_info(job.group(1))
        return self._json(404, [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}])

    # OAuth 2.0 token endpoint
    def _token(self, form: dict[str, list[str]]) -> None:
        org = self.org
        if org.token_redirect:
            return self._send(307, b"", [("Location", org.token_redirect)])
        value = {key: values[0] for key, values in form.items()}
        grant = value.get("grant_type")
        if grant == "client_credentials":
            if (value.get("client_id"), value.get("client_secret")) != (org.client_id, org.client_secret):
                return self._json(400, {"error": "invalid_client", "error_description": "invalid client credentials"})
        elif grant == "password":
            if (value.get("client_id"), value.get("client_secret")) != (org.client_id, org.client_secret):
                return self._json(400, {"error": "invalid_client", "error_description": "invalid client credentials"})
            if (value.get("username"), value.get("password")) != (org.username, org.password):
                return self._json(400, {"error": "invalid_grant", "error_description": "authentication failure"})
        elif grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            refusal = self._jwt_refusal(value.get("assertion", ""))
            if refusal:
                return self._json(400, {"error": "invalid_grant", "error_description": refusal})
        else:
            return self._json(400, {"error": "unsupported_grant_type", "error_description": "grant type not supported"})
        token = "00D000000000001!" + secrets.token_urlsafe(24)
        org.tokens.add(token)
        answer = {"access_token": token, "instance_url": org.instance_url,
                  "id": f"{LOGIN}/id/00D000000000001AAA/005000000000001AAA", "token_type": "Bearer",
                  "issued_at": str(int(datetime.now(timezone.utc).timestamp() * 1000))}
        self._json(200, org.token_answer(answer))

    def _jwt_refusal(self, assertion: str) -> str | None:
        org = self.org
        try:
            claims = jwt.decode(assertion, org.jwt_public_key or "", algorithms=["RS256"],
                                options={"verify_aud": False, "require": ["iss", "sub", "aud", "exp"]})
        except jwt.ExpiredSignatureError:
            return "expired authorization code"
        except jwt.PyJWTError:
            return "invalid assertion"
        if claims["aud"] not in org.audiences:
            return "audience is invalid"
        if claims["iss"] != org.client_id:
            return "invalid client credentials"
        if claims["sub"] != org.username:
            return "user hasn't approved this consumer"
        return None

    # REST API query
    def _query(self, version: str, soql: str, include_deleted: bool) -> None:
        match = re.fullmatch(r"SELECT (.+?) FROM Account(?: WHERE (.+?))?(?: ORDER BY (.+?))?", soql.strip(),
                             re.IGNORECASE)
        if not match:
            return self._json(400, [{"message": f"unexpected token in {soql[:80]!r}", "errorCode": "MALFORMED_QUERY"}])
        try:
            fields = [self._canonical(name.strip()) for name in match.group(1).split(",")]
            rows = [a for a in self.org.accounts if include_deleted or not a["IsDeleted"]]
            for condition in filter(None, re.split(r"\s+AND\s+", match.group(2) or "", flags=re.IGNORECASE)):
                rows = [a for a in rows if _holds(a, condition, self._canonical)]
            for field in reversed([self._canonical(f.strip()) for f in (match.group(3) or "").split(",") if f.strip()]):
                rows = sorted(rows, key=lambda a, f=field: _sortable(a.get(f)))
        except KeyError as unknown:
            return self._json(400, [{"message": f"No such column {unknown.args[0]!r} on entity 'Account'",
                                     "errorCode": "INVALID_FIELD"}])
        locator = secrets.token_hex(8)
        records = [self._record(version, account, fields) for account in rows]
        with self.org.lock:
            self.org.cursors[locator] = (records, version)
        self._more(version, locator, 0)

    def _more(self, version: str, locator: str, offset: int) -> None:
        records, _ = self.org.cursors.get(locator, ([], version))
        batch = 2000
        options = re.search(r"batchSize=(\d+)", self.headers.get("Sforce-Query-Options", ""))
        if options:
            batch = min(max(int(options.group(1)), 200), 2000)
        done = offset + batch >= len(records)
        answer: dict[str, Any] = {"totalSize": len(records), "done": done, "records": records[offset:offset + batch]}
        if not done:
            answer["nextRecordsUrl"] = f"/services/data/v{version}/query/{locator}-{offset + batch}"
        self._json(200, self.org.answer(offset // batch + 1, answer), stretch="query")

    def _canonical(self, name: str) -> str:
        """SOQL field names are case-insensitive; answers use the field's own case."""
        if name.lower() == "owner.name":
            return "Owner.Name"
        for field in FIELDS:
            if field.lower() == name.lower():
                return field
        raise KeyError(name)

    def _record(self, version: str, account: dict, fields: list[str]) -> dict:
        record: dict[str, Any] = {"attributes": {"type": "Account",
                                                 "url": f"/services/data/v{version}/sobjects/Account/{account['Id']}"}}
        for field in fields:
            if field == "Owner.Name":
                owner = account.get("OwnerId")
                record["Owner"] = None if owner is None else {
                    "attributes": {"type": "User", "url": f"/services/data/v{version}/sobjects/User/{owner}"},
                    "Name": self.org.users.get(owner)}
            else:
                record[field] = account.get(field)
        return record

    # sObject Collections
    def _update(self, request: dict) -> None:
        known = {a["Id"]: a for a in self.org.accounts}
        results = []
        for record in request.get("records", []):
            account = known.get(record.get("id"))
            if account is None:
                results.append({"id": record.get("id"), "success": False, "errors": [
                    {"statusCode": "INVALID_CROSS_REFERENCE_KEY", "message": "invalid cross reference id", "fields": []}]})
                continue
            account.update({k: v for k, v in record.items() if k not in ("attributes", "id")})
            results.append({"id": account["Id"], "success": True, "errors": []})
        self._json(200, self.org.collection_answer(results))

    # Bulk API 2.0 query jobs
    def _create_job(self, version: str, request: dict) -> None:
        if request.get("operation") not in ("query", "queryAll") or not request.get("query"):
            return self._json(400, [{"message": "operation and query are required", "errorCode": "INVALIDJOB"}])
        job_id = "750" + secrets.token_hex(6)[:12] + "AAA"
        soql = request["query"]
        match = re.fullmatch(r"SELECT (.+?) FROM Account(?: WHERE (.+?))?", soql.strip(), re.IGNORECASE)
        if not match:
            return self._json(400, [{"message": "unexpected token", "errorCode": "MALFORMED_QUERY"}])
        fields = [self._canonical(name.strip()) for name in match.group(1).split(",")]
        rows = [a for a in self.org.accounts if request["operation"] == "queryAll" or not a["IsDeleted"]]
        for condition in filter(None, re.split(r"\s+AND\s+", match.group(2) or "", flags=re.IGNORECASE)):
            rows = [a for a in rows if _holds(a, condition, self._canonical)]
        self.org.jobs[job_id] = {"info": {"id": job_id, "operation": request["operation"], "object": "Account",
                                          "createdById": "005000000000001AAA", "state": "UploadComplete",
                                          "concurrencyMode": "Parallel", "contentType": "CSV",
                                          "apiVersion": float(version), "lineEnding": "LF",
                                          "columnDelimiter": "COMMA"},
                                 "fields": fields, "rows": rows, "polls": 0, "sets": 0}
        self._json(200, self.org.jobs[job_id]["info"])

    def _job_info(self, job_id: str) -> None:
        job = self.org.jobs[job_id]
        job["polls"] += 1
        job["info"]["state"] = self.org.job_state if job["polls"] > self.org.job_polls else "InProgress"
        if job["info"]["state"] == "Failed":
            job["info"]["errorMessage"] = "InternalServerError"
        self._json(200, {**job["info"], "numberRecordsProcessed": len(job["rows"])})

    def _results(self, job_id: str, query: dict[str, list[str]]) -> None:
        job = self.org.jobs[job_id]
        if job["info"]["state"] != "JobComplete":
            return self._json(412, [{"errorCode": "JOB_NOT_COMPLETE", "message": "job is not complete"}])
        try:
            start = int(base64.b64decode(query["locator"][0], validate=True)) if "locator" in query else 0
        except ValueError:
            return self._json(400, [{"errorCode": "INVALIDLOCATOR", "message": "invalid locator"}])
        size = int(query.get("maxRecords", ["1000"])[0])
        rows = job["rows"][start:start + size]
        header = ",".join(f'"{f}"' for f in job["fields"])
        lines = [header] + [",".join(_csv(_bulk_value(row, f, self.org.users)) for f in job["fields"])
                            for row in rows[:len(rows) - self.org.dropped_rows]]
        job["sets"] += 1
        following = base64.b64encode(str(start + size).encode()).decode() if start + size < len(job["rows"]) else "null"
        locator = self.org.locator(job["sets"], following)
        headers = [("Content-Type", "text/csv; charset=UTF-8"), ("Sforce-NumberOfRecords", str(len(rows)))]
        if locator is not None:
            headers.append(("Sforce-Locator", locator))
        self._send(200, ("\n".join(lines) + "\n").encode(), headers, stretch="results")

    # transport
    def _json(self, status: int, body: Any, stretch: str = "") -> None:
        self._send(status, json.dumps(body).encode(), [("Content-Type", "application/json;charset=UTF-8")], stretch)

    def _send(self, status: int, body: bytes, headers: list[tuple[str, str]], stretch: str = "") -> None:
        """Gzip when the client accepts it; the padding and endless switches apply to `org.stretched` answers."""
        org = self.org
        headers = headers + [("Sforce-Limit-Info", f"api-usage={org.api_calls}/{org.api_limit}" + (
            f"; per-app-api-usage={org.api_calls}/{org.app_limit}(appName=srm-bridge-tests)"
            if org.app_limit is not None else ""))]
        gzipped = "gzip" in self.headers.get("Accept-Encoding", "") and status == 200
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        if gzipped:
            self.send_header("Content-Encoding", "gzip")
        if stretch not in org.stretched or not (org.endless or org.padding_bytes):
            payload = gzip.compress(body) if gzipped else body
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        compressor = zlib.compressobj(wbits=31) if gzipped else None
        try:
            for piece in _padded(body, org.padding_bytes, org.endless):
                data = compressor.compress(piece) if compressor else piece
                if data:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            tail = compressor.flush() if compressor else b""
            if tail:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(tail), tail))
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.close_connection = True


def _padded(body: bytes, padding: int, endless: bool) -> Iterator[bytes]:
    yield body
    blank = b" " * 65536 if body.lstrip().startswith((b"{", b"[")) else b"\n" * 65536
    sent = 0
    while endless or sent < padding:
        piece = blank[:padding - sent] if not endless else blank
        sent += len(piece)
        yield piece


def _holds(account: dict, condition: str, canonical: Callable[[str], str]) -> bool:
    match = re.fullmatch(r"\s*(\w+)\s*(>=|<=|>|<|=)\s*(\S+)\s*", condition)
    if not match:
        raise KeyError(condition)
    field, operator, literal = canonical(match.group(1)), match.group(2), match.group(3)
    value, bound = _sortable(account.get(field)), _sortable(literal)
    return {">=": value >= bound, "<=": value <= bound, ">": value > bound, "<": value < bound,
            "=": value == bound}[operator]


def _sortable(value: Any) -> Any:
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-]\d\d:?\d\d)", value):
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    return "" if value is None else value


def _bulk_value(account: dict, field: str, users: dict[str, str]) -> str:
    value = users.get(account.get("OwnerId") or "") if field == "Owner.Name" else account.get(field)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _csv(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if value else ""


class Server:
    """One org on `https://127.0.0.1:<free port>`, in a thread; `url` is both login and instance URL.

    Servers made with the same `tls` (from `sandbox.tls.create_ca`) share a CA, so a client that
    trusts one would also reach the others: a redirect to one of them is a real escape.
    """

    def __init__(self, org: Org, tls: tuple[Path, ssl.SSLContext]) -> None:
        self.org = org
        handler = type("Handler", (_Handler,), {"org": org})
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.ca_path, context = tls
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.httpd.server_port}"
        org.instance_url = org.instance_url or self.url
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


class Orgs:
    """The servers of one test, sharing one CA, and the connector settings that reach them."""

    def __init__(self, folder: Path) -> None:
        self.tls = create_ca(folder)
        self.servers: list[Server] = []

    def start(self, org: Org) -> Server:
        server = Server(org, self.tls)
        self.servers.append(server)
        return server

    def settings(self, server: Server, **overrides: Any) -> dict:
        org = server.org
        return {"login_url": server.url, "verify": str(self.tls[0]), "client_id": org.client_id,
                "client_secret": org.client_secret, "page_size": 200, "retry_initial_s": 0, "max_attempts": 2,
                "settle_seconds": 0, "overlap_minutes": 0, **overrides}

    def connector(self, org: Org, **overrides: Any) -> SalesforceConnector:
        server = self.start(org)
        return SalesforceConnector(SalesforceClient(SalesforceSettings(**self.settings(server, **overrides))))

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


def rsa_key_pair(folder) -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = folder / "connected-app.key"
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return str(private), public.decode()
