"""gunicorn.conf.py, as gunicorn itself reads it from the repository root (the working directory of make prod,
docker compose and make load): nobody is trusted to set X-Forwarded-Proto unless FORWARDED_ALLOW_IPS
says so, request lines and headers are bounded, WEB_CONCURRENCY sets the workers, and command-line
options still win."""

import http.client
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO

GUNICORN = Path(sys.executable).with_name("gunicorn")

pytestmark = pytest.mark.skipif(not GUNICORN.exists() and not shutil.which("gunicorn"), reason="no gunicorn")


def effective_config(*options: str, **env: str) -> dict[str, str]:
    """gunicorn's own view of its settings (``--print-config``) when started in the repository root."""
    clean = {k: v for k, v in os.environ.items() if k not in {"FORWARDED_ALLOW_IPS", "WEB_CONCURRENCY"}}
    result = subprocess.run(
        [str(GUNICORN), "--print-config", *options, "digest.wsgi"],
        cwd=REPO,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    settings = {}
    for line in result.stdout.splitlines():
        name, separator, value = line.partition("=")
        if separator:
            settings[name.strip()] = value.strip()
    return settings


def test_the_repository_config_trusts_no_proxy_by_default():
    config = effective_config()
    assert config["forwarded_allow_ips"] == "[]"
    assert config["workers"] == "2"
    limits = ("limit_request_line", "limit_request_fields", "limit_request_field_size")
    assert [config[name] for name in limits] == ["4094", "50", "8190"]


def test_the_environment_names_the_trusted_proxies_and_the_workers():
    config = effective_config(FORWARDED_ALLOW_IPS="10.0.0.5, 192.168.0.0/16", WEB_CONCURRENCY="5")
    assert config["forwarded_allow_ips"] == "['10.0.0.5', '192.168.0.0/16']"
    assert config["workers"] == "5"


def test_command_line_options_override_the_file():
    # make prod, make load and make reliability pass their own --workers.
    config = effective_config("--workers", "3", "--forwarded-allow-ips", "127.0.0.1", WEB_CONCURRENCY="5")
    assert config["workers"] == "3"
    assert config["forwarded_allow_ips"] == "['127.0.0.1']"


def test_a_forged_x_forwarded_proto_from_loopback_is_not_https():
    """End to end: gunicorn with production settings on 127.0.0.1; a client on the same machine claims
    HTTPS. gunicorn's own default would believe it (and Django would serve the page over "HTTPS")."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"FORWARDED_ALLOW_IPS", "WEB_CONCURRENCY"}},
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
        "WEB_CONCURRENCY": "1",
    }
    server = subprocess.Popen(
        [str(GUNICORN), "digest.wsgi", "--bind", f"127.0.0.1:{port}"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            try:
                connection.request("GET", "/robots.txt", headers={"X-Forwarded-Proto": "https"})
                response = connection.getresponse()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
            finally:
                connection.close()
        assert response.status == 301  # SECURE_SSL_REDIRECT: the request is plain HTTP
        assert response.getheader("Location") == f"https://127.0.0.1:{port}/robots.txt"
    finally:
        server.terminate()
        server.wait(timeout=30)
