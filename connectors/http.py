"""HTTP sessions for the connectors."""
from typing import Any

import requests


class ConfiguredSession(requests.Session):
    """A session whose configured `verify` wins over REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE.

    requests lets those environment variables override `Session.verify` (psf/requests#3829),
    which would silently swap the configured CA for the system bundle.
    """

    def __init__(self, verify: bool | str) -> None:
        super().__init__()
        self.verify = verify

    def merge_environment_settings(self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any) -> dict:
        merged = super().merge_environment_settings(url, proxies, stream, verify, cert)
        if verify is None:
            merged["verify"] = self.verify
        return merged
