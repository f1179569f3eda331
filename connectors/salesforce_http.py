"""HTTP for the Salesforce connector: known hosts only, no redirects, bounded answers, API usage.

A request goes only to an origin the client allowed (the login URL for the token, the session's
`instance_url` for data); a redirect is refused, never followed, so a form with `client_secret` is
never posted again somewhere else. Every body is read through a counter of decompressed bytes and
cut off at `salesforce.max_response_mb`, whether the answer is a REST page held in memory or a
Bulk API CSV read as a stream. A server-given path (`nextRecordsUrl`) is checked before it is
appended to the instance's origin.
"""
import io
import logging
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import DecodeError, HTTPError

from connectors.errors import PayloadError, TransientError
from connectors.http import ConfiguredSession

log = logging.getLogger("srm_bridge.connectors.salesforce")
CHUNK_BYTES = 64 * 1024
NEXT_RECORDS_PATH = re.compile(r"/services/data/v\d{1,3}\.\d/(?:query|queryAll)/[A-Za-z0-9][A-Za-z0-9-]{0,99}")
BULK_LOCATOR = re.compile(r"[A-Za-z0-9+/=_-]{1,200}")
_USAGE = re.compile(r"(?P<name>[a-z][a-z-]*)=(?P<used>\d{1,12})/(?P<limit>\d{1,12})(?:\(appName=(?P<app>[^()]*)\))?")


def origin(url: str) -> str:
    """`scheme://host:port` of an absolute URL; a URL with user info or without a host has none."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.username is not None:
        raise PayloadError(f"{url[:200]!r} is not an absolute http(s) URL with a host and no user info")
    return f"{parts.scheme}://{parts.hostname.lower()}:{parts.port or (443 if parts.scheme == 'https' else 80)}"


def next_records_path(value: Any) -> str:
    """A `nextRecordsUrl` as the path the guides show (`/services/data/vXX.X/query/<locator>`), or an error."""
    if not isinstance(value, str) or not NEXT_RECORDS_PATH.fullmatch(value):
        raise PayloadError(f"Salesforce gave nextRecordsUrl {str(value)[:200]!r}, which is not a "
                           "/services/data/vXX.X/query/<locator> path on the instance: refused")
    return value


@dataclass(frozen=True)
class Usage:
    name: str            # api-usage or per-app-api-usage
    used: int
    limit: int
    app: str | None = None

    def describe(self) -> str:
        if self.app is None:
            return f"{self.used} of {self.limit} daily requests used"
        return f"{self.used} of {self.limit} daily requests of connected app {self.app!r} used"


def parse_limit_info(header: str) -> list[Usage] | None:
    """`api-usage=25/5000; per-app-api-usage=17/250(appName=x)` as usages; None when not understood."""
    usages = []
    for entry in filter(None, (part.strip() for part in header.split(";"))):
        match = _USAGE.fullmatch(entry)
        if not match:
            return None
        if match["name"] in ("api-usage", "per-app-api-usage"):
            usages.append(Usage(match["name"], int(match["used"]), int(match["limit"]), match["app"]))
    return usages


class BoundedBody(io.RawIOBase):
    """The decoded body of a streamed response, counted as it is read; past `limit` bytes it is refused."""

    def __init__(self, response: requests.Response, limit: int) -> None:
        self.response, self.limit, self.count = response, limit, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            data = self.response.raw.read(len(buffer), decode_content=True)
        except DecodeError as exc:
            raise PayloadError(f"Salesforce answer from {_where(self.response)} cannot be decompressed: {exc}") from None
        except (HTTPError, OSError) as exc:
            raise TransientError(f"Salesforce answer from {_where(self.response)} broke off: "
                                 f"{type(exc).__name__}") from None
        self.count += len(data)
        if self.count > self.limit:
            self.response.close()
            raise PayloadError(f"Salesforce answer from {_where(self.response)} is larger than "
                               f"salesforce.max_response_mb ({self.limit / 2**20:g} MB decompressed): refused")
        buffer[:len(data)] = data
        return len(data)


def _where(response: requests.Response) -> str:
    return urlsplit(response.url).path[:120]


class GuardedSession(ConfiguredSession):
    """requests for Salesforce: allowed origins only, redirects refused, bodies bounded.

    `stream=True` callers read a successful body with `bounded(response)`; every other body is read
    here, bounded, before simple-salesforce sees it.
    """

    def __init__(self, verify: bool | str, max_response_mb: float) -> None:
        super().__init__(verify)
        self.max_bytes = int(max_response_mb * 2**20)
        self.origins: set[str] = set()

    def allow(self, url: str) -> str:
        allowed = origin(url)
        self.origins.add(allowed)
        return allowed

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        target = origin(url)
        if target not in self.origins:
            raise PayloadError(f"refused to send a request to {target}: not the configured login URL nor the "
                               "session's instance_url")
        streaming = kwargs.pop("stream", False)
        kwargs["allow_redirects"] = False
        response = super().request(method, url, *args, stream=True, **kwargs)
        if response.is_redirect:
            response.close()
            location = response.headers.get("Location", "")
            raise PayloadError(f"Salesforce answered HTTP {response.status_code} redirecting {urlsplit(url).path[:120]} "
                               f"to {location[:200]!r}; redirects are not followed")
        if not streaming or response.status_code >= 300:  # an error body is read here too, bounded
            try:
                response._content = self.bounded(response).read()  # what response.json() will parse
            finally:
                response.close()
            response._content_consumed = True
        return response

    def bounded(self, response: requests.Response) -> io.BufferedReader:
        return io.BufferedReader(BoundedBody(response, self.max_bytes), CHUNK_BYTES)
