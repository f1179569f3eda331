"""A TCP proxy the tests control, to put a real outage between a client and a real server.

`cut()` resets every connection and refuses new ones until `restore()`; `cut_after(n)` cuts once
n more bytes went upstream (an outage in the middle of a batch); `freeze()` keeps connections
open but stops reading from the client, which is what RabbitMQ does to publishers under a
memory or disk alarm.
"""
import socket
import threading


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.connections: list[socket.socket] = []
        self.refusing = False
        self.running = threading.Event()
        self.running.set()
        self.flowing = threading.Event()
        self.flowing.set()
        self.cut_at: int | None = None
        self.upstream_bytes = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.refusing:
                self._reset(client)
                continue
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                self._reset(client)
                continue
            server.settimeout(None)
            with self.lock:
                self.connections += [client, server]
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, upstream: bool) -> None:
        try:
            while True:
                self.flowing.wait()
                data = source.recv(65536)
                if not data:
                    break
                self.flowing.wait()
                sink.sendall(data)
                if upstream:
                    self._count(len(data))
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                self._close(sock)

    def _count(self, size: int) -> None:
        with self.lock:
            self.upstream_bytes += size
            trigger = self.cut_at is not None and self.upstream_bytes >= self.cut_at
        if trigger:
            self.cut()

    @staticmethod
    def _reset(sock: socket.socket) -> None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        except OSError:
            pass
        TcpProxy._close(sock)

    @staticmethod
    def _close(sock: socket.socket) -> None:
        try:
            sock.close()
        except OSError:
            pass

    def cut(self) -> None:
        with self.lock:
            self.refusing = True
            self.cut_at = None
            doomed, self.connections = self.connections, []
        for sock in doomed:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._reset(sock)

    def cut_after(self, upstream_bytes: int) -> None:
        with self.lock:
            self.cut_at = self.upstream_bytes + upstream_bytes

    def freeze(self) -> None:
        self.flowing.clear()

    def restore(self) -> None:
        self.refusing = False
        self.flowing.set()

    def close(self) -> None:
        self.restore()
        self.cut()
        self.listener.close()
