"""The service's HTTP endpoint: /healthz, /readyz and /metrics, plus any WSGI application mounted on it.

`Endpoint` is a plain WSGI application; `HttpServer` serves it with waitress on a background
thread and stops it cleanly. The three operational paths are always answered first and need no
credentials; a mounted application (the web console) gets every other path under its prefix,
with SCRIPT_NAME and PATH_INFO shifted as WSGI expects.
"""
import json
import logging
import threading
from typing import Any, Callable, Iterable

from prometheus_client import make_wsgi_app
from waitress import create_server
from waitress import wasyncore

from scheduler.health import Health
from scheduler.metrics import Metrics

log = logging.getLogger("srm_bridge.http")

WsgiApp = Callable[[dict, Callable], Iterable[bytes]]
OPERATIONAL_PATHS = ("/healthz", "/readyz", "/metrics")


def _json(start_response: Callable, ok: bool, body: dict) -> list[bytes]:
    payload = json.dumps({"status": "ok" if ok else "failing", **body}, default=str).encode()
    start_response("200 OK" if ok else "503 Service Unavailable",
                   [("Content-Type", "application/json"), ("Content-Length", str(len(payload))),
                    ("Cache-Control", "no-store")])
    return [payload]


def _plain(start_response: Callable, status: str, text: str, headers: list | None = None) -> list[bytes]:
    payload = text.encode()
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(payload))),
                            *(headers or [])])
    return [payload]


class Endpoint:
    def __init__(self, health: Health, metrics: Metrics) -> None:
        self.health = health
        self.metrics_app = make_wsgi_app(metrics.registry)
        self.mounts: list[tuple[str, WsgiApp]] = []

    def mount(self, prefix: str, app: WsgiApp) -> None:
        """Serve `app` under `prefix` ("/" for everything the operational paths do not take)."""
        prefix = "/" + prefix.strip("/")
        if prefix in OPERATIONAL_PATHS:
            raise ValueError(f"{prefix} is an operational path and cannot be mounted over")
        self.mounts.append((prefix, app))
        self.mounts.sort(key=lambda mount: len(mount[0]), reverse=True)  # the longest prefix wins

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        if path in OPERATIONAL_PATHS:
            if environ.get("REQUEST_METHOD", "GET") not in ("GET", "HEAD"):
                return _plain(start_response, "405 Method Not Allowed", "use GET\n", [("Allow", "GET, HEAD")])
            if path == "/metrics":
                return self.metrics_app(environ, start_response)
            return _json(start_response, *(self.health.liveness() if path == "/healthz" else self.health.readiness()))
        for prefix, app in self.mounts:
            if prefix == "/" or path == prefix or path.startswith(prefix + "/"):
                return app(_shifted(environ, prefix), start_response)
        return _plain(start_response, "404 Not Found", "not found\n")


def _shifted(environ: dict, prefix: str) -> dict:
    if prefix == "/":
        return environ
    shifted = dict(environ)
    shifted["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + prefix
    shifted["PATH_INFO"] = environ["PATH_INFO"][len(prefix):]
    return shifted


class HttpServer:
    """waitress on a background thread: `start()`, then `stop()` closes every socket and worker."""

    def __init__(self, app: WsgiApp, host: str, port: int, threads: int) -> None:
        self._server: Any = create_server(app, host=host, port=port, threads=threads, ident="srm-bridge",
                                          clear_untrusted_proxy_headers=True)
        self.host, self.port = host, self._server.effective_port
        self._thread = threading.Thread(target=self._server.run, name="http", daemon=True)

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> "HttpServer":
        self._thread.start()
        log.info("serving /healthz, /readyz and /metrics", extra={"host": self.host, "port": self.port})
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        if self._thread.is_alive():
            # close every channel from the server's own loop thread; an empty map ends its loop
            self._server.trigger.pull_trigger(lambda: wasyncore.close_all(self._server._map, ignore_all=True))
            self._thread.join(timeout_s)
        else:
            self._server.close()
        self._server.task_dispatcher.shutdown(timeout=timeout_s)
