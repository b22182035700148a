"""Production settings: `check --deploy` is clean, HTTPS and CSP headers are sent, inline scripts and
styles carry the CSP nonce, the cache uses Redis when REDIS_URL is set, and docker-compose.yml holds the
expected services."""

import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time

import pytest
import yaml

from tests.conftest import REPO

TEMPLATES = REPO / "templates"


def production_env(**extra: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "example.org",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    }
    env.update(extra)
    return env


def run_manage(*args: str, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=production_env(**extra),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_reports_no_issues_with_the_production_environment():
    result = run_manage("check", "--deploy")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output
    assert "WARNING" not in output and "?:" not in output, output


def printed_settings(script: str, **extra: str) -> list[str]:
    """What ``script`` prints, split into words, run after django.setup() with production settings
    (``extra`` overrides environment variables) in a fresh process: settings are read at start-up."""
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {script}"],
        cwd=REPO,
        env=production_env(DJANGO_SETTINGS_MODULE="digest.settings", **extra),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_production_settings_defaults():
    script = (
        "from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " s.SECURE_PROXY_SSL_HEADER, s.LOG_FORMAT, s.CACHES['default']['BACKEND'].rsplit('.', 1)[1],"
        " s.STORAGES['staticfiles']['BACKEND'].rsplit('.', 1)[1])"
    )
    assert printed_settings(script) == [
        "True",
        "31536000",
        "True",
        "True",
        "None",
        "json",
        "LocMemCache",
        "CompressedManifestStaticFilesStorage",
    ]
    assert printed_settings(
        script,
        SECURE_SSL_REDIRECT="0",
        SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO",
        LOG_FORMAT="plain",
        REDIS_URL="redis://redis:6379/0",
    ) == [
        "False",
        "31536000",
        "True",
        "True",
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
        "plain",
        "RedisCache",
        "CompressedManifestStaticFilesStorage",
    ]


def test_bad_log_format_stops_start_up():
    result = run_manage("check", LOG_FORMAT="xml")
    assert result.returncode != 0
    assert "LOG_FORMAT='xml' must be plain or json" in result.stderr


@pytest.mark.django_db
def test_pages_send_csp_and_hardening_headers(client):
    response = client.get("/")
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert re.fullmatch(
        r"default-src 'self'; script-src 'self'( 'nonce-[\w-]+')?; style-src 'self'; img-src 'self' data:; "
        r"object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'",
        policy,
    ), policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_admin_pages_use_the_nonce_of_the_header(admin_client):
    response = admin_client.get("/admin/papers/digest/upload/")
    assert response.status_code == 200
    nonce = re.search(r"script-src 'self' 'nonce-([\w-]+)'", response.headers["Content-Security-Policy"])
    assert nonce, response.headers["Content-Security-Policy"]
    html = response.content.decode()
    assert f'nonce="{nonce.group(1)}"' in html
    assert "<script" in html


@pytest.mark.django_db
def test_https_redirect_spares_healthz(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/papers/")
    assert response.status_code == 301
    assert response.headers["Location"] == "https://testserver/papers/"
    assert client.get("/healthz").status_code == 200
    secure = client.get("/papers/", secure=True)
    assert secure.status_code == 200
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


INLINE_TAG = re.compile(r"<(script|style)\b([^>]*)>", re.IGNORECASE)


def test_inline_scripts_and_styles_in_our_templates_carry_the_nonce():
    offenders = []
    for template in sorted(TEMPLATES.rglob("*.html")):
        for match in INLINE_TAG.finditer(template.read_text(encoding="utf-8")):
            attributes = match.group(2)
            if "src=" in attributes:
                continue
            if 'nonce="{{ csp_nonce }}"' not in attributes and "csp_nonce_attr" not in attributes:
                offenders.append(f"{template.relative_to(REPO)}: {match.group(0)}")
    assert not offenders
    # Inline event handlers and style attributes cannot carry a nonce: the policy would block them.
    for template in sorted(TEMPLATES.rglob("*.html")):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"\son[a-z]+=", text), template
        assert not re.search(r"\sstyle=", text), template


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_redis_cache_backend_round_trip(tmp_path):
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed")
    port = _free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        from django.core.cache.backends.redis import RedisCache

        cache = RedisCache(f"redis://127.0.0.1:{port}/0", {})
        deadline = time.monotonic() + 10
        while True:
            try:
                cache.set("digest:probe", {"papers": 3}, 30)
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        assert cache.get("digest:probe") == {"papers": 3}
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_compose_file_has_the_expected_services():
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) >= {"db", "web", "worker", "redis"}
    for name in ("db", "redis"):
        assert services[name]["healthcheck"]["test"], name
    assert services["redis"]["image"].startswith("redis:7")
    web = services["web"]
    assert web["environment"]["REDIS_URL"] == "redis://redis:6379/0"
    assert web["depends_on"]["redis"]["condition"] == "service_healthy"
    assert web["depends_on"]["db"]["condition"] == "service_healthy"
    command = web["command"]
    assert "migrate --no-input" in command and "collectstatic --no-input" in command
    assert "--workers $${WEB_CONCURRENCY}" in command
    assert "manage.py run_worker" in services["worker"]["command"]
    assert "pgdata" in compose["volumes"]
    # Every variable the compose file reads is documented in .env.example.
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (REPO / ".env.example").read_text(), re.M))
    used = set(re.findall(r"\$\{([A-Z][A-Z0-9_]+)", (REPO / "docker-compose.yml").read_text()))
    assert used <= documented, used - documented


@pytest.mark.django_db
def test_the_language_cookie_is_secure_and_same_site_lax(client):
    response = client.post(
        "/i18n/setlang/", {"language": "ko", "next": "/"}, HTTP_SEC_FETCH_SITE="same-origin", secure=True
    )
    assert response.status_code == 302
    cookie = response.cookies["django_language"]
    assert cookie.value == "ko"
    assert cookie["secure"] is True
    assert cookie["samesite"] == "Lax"


def test_the_language_cookie_follows_the_secure_cookie_setting():
    probe = (
        "from django.conf import settings as s;print(s.LANGUAGE_COOKIE_SECURE, s.LANGUAGE_COOKIE_SAMESITE)"
    )

    assert printed_settings(probe) == ["True", "Lax"]
    assert printed_settings(probe, DEBUG="1", SECRET_KEY="") == ["False", "Lax"]


@pytest.mark.django_db
@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/admin/", ""])
def test_a_login_with_a_refused_or_no_next_goes_to_the_admin_index(client, django_user_model, next_url):
    django_user_model.objects.create_user("editor", password="a long enough password", is_staff=True)
    response = client.post(
        "/admin/login/", {"username": "editor", "password": "a long enough password", "next": next_url}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"
    assert client.get(response.headers["Location"]).status_code == 200


def test_the_static_files_manifest_is_not_served(tmp_path):
    """With production settings: collectstatic writes staticfiles.json into STATIC_ROOT (the storage needs
    it), and WhiteNoise serves every other file there but not that one."""
    static_root = str(tmp_path / "static")
    collected = run_manage("collectstatic", "--no-input", "--verbosity", "0", STATIC_ROOT=static_root)
    assert collected.returncode == 0, collected.stderr
    assert (tmp_path / "static" / "staticfiles.json").is_file()
    probe = (
        "import django; django.setup();"
        "from django.templatetags.static import static; from django.test import Client;"
        "client = Client(HTTP_HOST='example.org');"
        "paths = ['/static/staticfiles.json', '/static/staticfiles.json.gz', static('css/site.css')];"
        "print(*[client.get(path, secure=True).status_code for path in paths])"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=REPO,
        env=production_env(DJANGO_SETTINGS_MODULE="digest.settings", STATIC_ROOT=static_root),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["404", "404", "200"], result.stderr
