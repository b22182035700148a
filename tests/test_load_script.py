"""`make load` (benchmarks/load/throughput.py) for real but tiny: gunicorn serves a database holding the
demo digests, the script primes the paper pages for 2 s, wrk requests them for 2 s, and the JSON report
counts the requests, no errors and the workers' memory.

The script starts gunicorn as a subprocess, so the data must be committed: the test creates its own
database on the server the suite uses and drops it afterwards."""

import json
import shutil
import subprocess
import sys
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings
from psycopg import sql

from tests.conftest import REPO

DATABASE = "digest_load_script_test"

pytestmark = pytest.mark.skipif(
    shutil.which("wrk") is None, reason="wrk is not installed (Debian: apt-get install -y wrk)"
)


def server_url(name: str) -> str:
    """A postgres:// URL for database ``name`` on the suite's server (a socket directory as host works)."""
    default = settings.DATABASES["default"]
    password = f":{quote(default['PASSWORD'], safe='')}" if default.get("PASSWORD") else ""
    user = quote(default.get("USER") or "postgres", safe="")
    host = quote(str(default.get("HOST") or "127.0.0.1"), safe="")
    return f"postgres://{user}{password}@{host}:{default.get('PORT') or 5432}/{name}"


def admin(statement: sql.Composable) -> None:
    with psycopg.connect(server_url("postgres"), autocommit=True, connect_timeout=10) as connection:
        connection.execute(statement)


def manage(database_url: str, *args: str) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "DATABASE_URL": database_url, "SECRET_KEY": "test-only"}
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture
def demo_database():
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DATABASE))
    admin(drop)
    admin(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
    try:
        url = server_url(DATABASE)
        manage(url, "migrate", "--no-input")
        manage(url, "import_digests", str(REPO / "papers" / "demo"))
        yield url
    finally:
        admin(drop)


def test_load_script_serves_paper_pages_without_errors_and_reports_them(demo_database, tmp_path):
    report = tmp_path / "load.json"
    done = subprocess.run(
        [
            *(sys.executable, "-m", "benchmarks.load.throughput", "--database-url", demo_database),
            *("--scenario", "paper", "--duration", "2", "--warmup", "0"),
            *("--prime-papers", "--prime-seconds", "2"),
            *("--connections", "2"),
            *("--json", str(report), "--logs", str(tmp_path / "logs")),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads(report.read_text(encoding="utf-8"))
    assert list(results["scenarios"]) == ["paper"]
    paper = results["scenarios"]["paper"]
    assert paper["requests"] > 0
    assert paper["errors"] == 0, paper["errors_by_kind"]
    assert 0 < paper["max_worker_rss_mb"] < 1000  # two workers were sampled
    assert len(paper["worker_rss_mb"]) == 2
    assert results["urls"]["paper"] == results["papers"] > 0  # every demo paper was requested
    assert results["primed"]["paper"]["requests"] > 0 and not results["primed"]["paper"]["failed"]
    assert "paper" in done.stdout and "req/s" in done.stdout
