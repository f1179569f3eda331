"""Run a WSGI stand-in on a real socket, in a thread or in the foreground."""
import ssl
import threading
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


@dataclass
class RunningServer:
    url: str
    server: WSGIServer
    thread: threading.Thread | None = None

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self.thread is not None:
            self.thread.join(timeout=5)


def start(app, host: str = "127.0.0.1", port: int = 0, tls: ssl.SSLContext | None = None,
          path: str = "", background: bool = True) -> RunningServer:
    """Bind (port 0 picks a free one) and serve; the returned URL is the stand-in's base address."""
    server = make_server(host, port, app, server_class=_ThreadingServer, handler_class=_QuietHandler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    scheme = "https" if tls is not None else "http"
    running = RunningServer(url=f"{scheme}://{host}:{server.server_port}{path}", server=server)
    if background:
        running.thread = threading.Thread(target=server.serve_forever, name=f"stand-in:{server.server_port}", daemon=True)
        running.thread.start()
    return running
