"""Gunicorn with production settings on loopback for ``make load``, and the sampling of its workers'
memory and CPU."""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.load.common import GUNICORN, HOST, PYTHON, ROOT, fetch_once, free_port

RSS_SAMPLE_SECONDS = 0.25


def server_env(database_url: str, static_root: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": HOST,
        "SECURE_SSL_REDIRECT": "0",
        "STATIC_ROOT": str(static_root),
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        # libpq reads this for every connection Django opens: the server cannot write to the database.
        "PGOPTIONS": "-c default_transaction_read_only=on",
    }
    env.pop("DATABASE_REPLICA_URLS", None)
    return env


@dataclass
class Server:
    env: dict[str, str]
    logs: Path
    workers: int
    threads: int
    port: int = 0
    process: subprocess.Popen | None = None

    @property
    def worker_class(self) -> str:
        return "gthread" if self.threads > 1 else "sync"

    def describe(self) -> str:
        threads = f" --threads {self.threads}" if self.threads > 1 else ""
        return f"gunicorn --workers {self.workers} --worker-class {self.worker_class}{threads}"

    def collectstatic(self) -> None:
        """The production storage renders hashed static names from collectstatic's manifest."""
        subprocess.run(
            [str(PYTHON), "manage.py", "collectstatic", "--no-input", "--verbosity", "0"],
            cwd=ROOT,
            env=self.env,
            check=True,
            timeout=300,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def start(self, timeout: float = 60) -> None:
        self.port = free_port()
        command = [
            *(str(GUNICORN), "digest.wsgi", "--bind", f"{HOST}:{self.port}"),
            *(
                "--workers",
                str(self.workers),
                "--worker-class",
                self.worker_class,
                "--threads",
                str(self.threads),
            ),
            *("--timeout", "60", "--graceful-timeout", "10", "--log-level", "warning"),
            *("--error-logfile", str(self.logs / "gunicorn.log")),
        ]
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=(self.logs / "gunicorn-stderr.log").open("w"),
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"gunicorn exited ({self.process.returncode}); see {self.logs}/gunicorn*.log"
                )
            try:
                status, body = fetch_once(self.port, "/healthz")
            except OSError:
                status, body = 0, b""
            if status == 200 and len(self.worker_pids()) >= self.workers:
                return
            if status == 503 and b"unapplied migrations" in body:
                raise RuntimeError(
                    f"/healthz: {body.decode()} - migrate the database first (this script only reads)"
                )
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not answer /healthz with 200 within {timeout:g} s; see {self.logs}")

    def worker_pids(self) -> list[int]:
        return children(self.process.pid) if self.process else []

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def children(parent: int) -> list[int]:
    """Process ids whose parent is ``parent`` (from /proc: psutil is not a dependency)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: fields start after the last ")".
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
            found.append(int(entry.name))
    return sorted(found)


def rss_mb(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    return int(match[1]) / 1024 if match else None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class WorkerSampler:
    """While a scenario runs: the largest RSS each gunicorn worker reaches (sampled every
    RSS_SAMPLE_SECONDS) and the CPU time the workers use. CPU per request does not depend on what else
    runs on the machine, unlike requests per second."""

    server: Server
    peak_mb: dict[int, float] = field(default_factory=dict)
    cpu_used: float = 0.0
    _cpu_start: dict[int, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> WorkerSampler:
        self._cpu_start = {pid: cpu_seconds(pid) or 0.0 for pid in self.server.worker_pids()}
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
        self._sample()
        for pid in self.server.worker_pids():
            self.cpu_used += (cpu_seconds(pid) or 0.0) - self._cpu_start.get(pid, 0.0)

    def _sample(self) -> None:
        for pid in self.server.worker_pids():
            value = rss_mb(pid)
            if value is not None:
                self.peak_mb[pid] = max(value, self.peak_mb.get(pid, 0.0))

    def _run(self) -> None:
        while not self._stop.wait(RSS_SAMPLE_SECONDS):
            self._sample()
