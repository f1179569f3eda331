"""`srm-bridge run` as a real process: started with its own environment, watched through its JSON log
lines and its HTTP endpoint, stopped with real signals."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

COMMAND = shutil.which("srm-bridge", path=str(Path(sys.executable).parent)) or "srm-bridge"


def sap_variables(server, app) -> dict[str, str]:
    """The SAP stand-in's two services as `SRM_BRIDGE_SAP__…__URL` variables."""
    return {f"SRM_BRIDGE_SAP__{stream.upper()}__URL": url for stream, url in app.urls(server.url).items()}


def clean_environment(**settings: str) -> dict[str, str]:
    """The test runner's environment without any SRM_BRIDGE_ setting, plus `settings`."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("SRM_BRIDGE_")}
    return {**env, **settings}


def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition, timeout_s: float, every_s: float = 0.1, what: str = "condition"):  # noqa: ANN001
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every_s)
    raise AssertionError(f"{what} not met within {timeout_s} s")


class ServiceProcess:
    def __init__(self, folder: Path, env: dict[str, str], name: str = "run", args: tuple[str, ...] = ("run",)) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.log_path = folder / f"{name}.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen([COMMAND, *args], cwd=folder, env=env, stdout=self._log,
                                        stderr=subprocess.STDOUT)
        self._port: int | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    def lines(self) -> list[dict]:
        entries = []
        for raw in self.log_path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                entries.append(json.loads(raw))
            except ValueError:
                entries.append({"message": raw, "level": "raw"})
        return entries

    def logged(self, message: str) -> list[dict]:
        return [entry for entry in self.lines() if entry.get("message") == message]

    def wait_for_log(self, message: str, timeout_s: float = 60) -> dict:
        return wait_until(lambda: (self.logged(message) or [None])[-1] or self._check_alive(), timeout_s,
                          what=f"log line {message!r} from pid {self.pid}")

    def _check_alive(self) -> None:
        if self.process.poll() is not None:
            raise AssertionError(f"srm-bridge exited with {self.process.returncode}:\n{self.log_path.read_text()}")

    @property
    def port(self) -> int:
        if self._port is None:
            self._port = int(self.wait_for_log("serving /healthz, /readyz and /metrics")["port"])
        return self._port

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def metric(self, name: str) -> float | None:
        """The value of an unlabelled series (or the first line starting with `name`), None when absent."""
        try:
            _, body = self.get("/metrics")
        except OSError:
            return None
        for line in body.splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                return float(line.rsplit(" ", 1)[1])
        return None

    def signal(self, signum: int = signal.SIGTERM) -> None:
        self.process.send_signal(signum)

    def wait(self, timeout_s: float) -> int:
        return self.process.wait(timeout=timeout_s)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)
        self._log.close()
