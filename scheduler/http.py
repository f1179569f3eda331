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
from waitress.task import ThreadedTaskDispatcher

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
    """waitress on a background thread: `start()`, then `stop()` closes every socket and worker.

    Every HTTP entry point serves through it: the service's endpoint and `srm-bridge console`. Its loop runs
    until told to stop; only then, and once the workers have finished their requests, are the sockets closed,
    so no worker wakes the loop through a descriptor already closed (or by then reused by something else).
    """

    def __init__(self, app: WsgiApp, host: str, port: int, threads: int,
                 serves: str = "/healthz, /readyz and /metrics") -> None:
        workers = ThreadedTaskDispatcher()
        workers.set_thread_count(threads)
        try:
            self._server: Any = create_server(app, host=host, port=port, threads=threads, ident="srm-bridge",
                                              clear_untrusted_proxy_headers=True, _dispatcher=workers)
        except OSError:
            workers.shutdown()  # the port is taken: no worker may outlive the refusal
            raise
        self.host, self.port, self.serves = host, self._server.effective_port, serves
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="http", daemon=True)

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> "HttpServer":
        self._thread.start()
        log.info(f"serving {self.serves}", extra={"host": self.host, "port": self.port})
        return self

    def _loop(self) -> None:
        adj = self._server.adj
        while not self._stopping.is_set():
            wasyncore.loop(timeout=adj.asyncore_loop_timeout, map=self._server._map, use_poll=adj.asyncore_use_poll,
                           count=1)

    def wait(self) -> None:
        """Block until the server stops (Ctrl-C interrupts the wait)."""
        self._thread.join()

    def stop(self, timeout_s: float = 5.0) -> None:
        if self._stopping.is_set():
            return
        self._stopping.set()
        if self._thread.is_alive():
            self._server.pull_trigger()  # wakes the loop, which sees it must stop
            self._thread.join(timeout_s)
        self._server.task_dispatcher.shutdown(timeout=timeout_s)
        wasyncore.close_all(self._server._map, ignore_all=True)
