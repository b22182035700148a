"""What the load scripts share: the checkout and its virtualenv, the loopback host, a free port, one
plain GET and a timestamped log line. The scripts run without Django, as modules from the repository
root: ``python -m benchmarks.load.throughput`` and ``python -m benchmarks.load.reliability``."""

from __future__ import annotations

import http.client
import os
import platform
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
HOST = "127.0.0.1"


def machine() -> dict:
    """Where a run's figures were measured, for its JSON report."""
    return {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()}


def logger(name: str) -> Callable[[str], None]:
    """A function that prints ``[name HH:MM:SS] message`` on stderr."""

    def log(message: str) -> None:
        print(f"[{name} {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    return log


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def fetch_once(port: int, path: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()
