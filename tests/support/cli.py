"""Run the installed `srm-bridge` as an operator does: a subprocess, its own folder, only the variables given."""
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

COMMAND = shutil.which("srm-bridge", path=str(Path(sys.executable).parent)) or "srm-bridge"


def clean_environment(**variables: str) -> dict[str, str]:
    """The test process's environment without its SRM_BRIDGE_ variables, plus `variables`."""
    return {**{k: v for k, v in os.environ.items() if not k.upper().startswith("SRM_BRIDGE_")}, **variables}


def run_cli(folder: Path, *args: str, timeout: float = 120, **variables: str) -> subprocess.CompletedProcess:
    return subprocess.run([COMMAND, *args], cwd=folder, env=clean_environment(**variables), capture_output=True,
                          text=True, timeout=timeout)


def closed_port() -> int:
    """A local port nothing listens on (connections are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
