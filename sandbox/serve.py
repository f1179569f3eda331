"""Start the stand-ins: in-process for the demo and tests, in the foreground for `srm-bridge sandbox`."""
import json
import ssl
import tempfile
from datetime import date
from pathlib import Path

from sandbox import http, tls
from sandbox.faults import Faults
from sandbox.generator import generate_salesforce, generate_sap
from sandbox.salesforce_server import SalesforceStandIn
from sandbox.sap_bapi_server import SapBapiStandIn
from sandbox.sap_server import SapStandIn


def load_dataset(path: Path, key: str) -> dict:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or key not in data:
        raise ValueError(f"{path}: expected a JSON object with {key!r}")
    return data


def sap_dataset(data: Path | None, suppliers: int, months: int, seed: int, as_of: date) -> dict:
    return load_dataset(data, "purchase_orders") if data else generate_sap(suppliers, months, seed, as_of)


def salesforce_dataset(data: Path | None, suppliers: int, seed: int, as_of: date) -> dict:
    return load_dataset(data, "accounts") if data else generate_salesforce(suppliers, seed, as_of)


def start_sap(dataset: dict, port: int = 0, user: str | None = "SRM_BRIDGE", password: str = "sandbox",
              client: str = "100", faults: Faults | None = None, background: bool = True,
              tls_dir: Path | None = None, **flavour) -> tuple[http.RunningServer, SapStandIn]:
    """Over HTTP with basic auth; with `tls_dir`, over HTTPS, and with `user=None` a client certificate
    issued by that folder's CA (`tls.client_certificate`) is what authenticates. The server's `url` is
    its base; `sap_endpoints` gives each service's endpoint. `flavour`: see `SapStandIn`."""
    app = SapStandIn(dataset, user=user, password=password, client=client, faults=faults, **flavour)
    return http.start(app, port=port, tls=_sap_tls(tls_dir, user), background=background), app


def sap_endpoints(server: http.RunningServer, app: SapStandIn) -> dict[str, dict[str, str]]:
    """The stand-in's services shaped as the `sap` settings that reach them."""
    return {stream: {"url": url} for stream, url in app.urls(server.url).items()}


def _sap_tls(tls_dir: Path | None, user: str | None) -> ssl.SSLContext | None:
    """HTTPS with a CA in `tls_dir`; without a user, a client certificate of that CA is what authenticates."""
    if tls_dir is None:
        return None
    _, context = tls.create_ca(tls_dir)
    if user is None:
        tls.require_client_certificate(context)
    return context


BAPI_STREAMS = {"BAPI_GOODSMVT_GETITEMS": "goods_movements", "BAPI_PO_GETITEMS": "purchase_order_list",
                "BAPI_PO_GETDETAIL1": "purchase_order_detail"}


def start_sap_bapi(dataset: dict, port: int = 0, user: str | None = "SRM_BRIDGE", password: str = "sandbox",
                   client: str = "100", faults: Faults | None = None, background: bool = True,
                   tls_dir: Path | None = None, **options) -> tuple[http.RunningServer, SapBapiStandIn]:
    """The function-module services (`SapBapiStandIn`; `options`: style, date_format, ...), as `start_sap` serves
    the query services; `bapi_endpoints` gives each one's endpoint."""
    app = SapBapiStandIn(dataset, user=user, password=password, client=client, faults=faults, **options)
    return http.start(app, port=port, tls=_sap_tls(tls_dir, user), background=background), app


def bapi_endpoints(server: http.RunningServer, app: SapBapiStandIn) -> dict[str, dict[str, str]]:
    """The stand-in's function modules shaped as the `sap.bapi` settings that reach them."""
    return {BAPI_STREAMS[function]: {"url": url} for function, url in app.urls(server.url).items()}


def start_salesforce(dataset: dict, port: int = 0, tls_dir: Path | None = None, client_id: str = "srm-bridge",
                     client_secret: str = "sandbox", token_ttl_s: float = 7200, faults: Faults | None = None,
                     background: bool = True, api_budget: int = 15000) -> tuple[http.RunningServer, SalesforceStandIn, Path]:
    ca_path, context = tls.create_ca(tls_dir or Path(tempfile.mkdtemp(prefix="srm-bridge-ca-")))
    app = SalesforceStandIn(dataset, client_id=client_id, client_secret=client_secret, token_ttl_s=token_ttl_s,
                            faults=faults, api_budget=api_budget)
    return http.start(app, port=port, tls=context, background=background), app, ca_path
