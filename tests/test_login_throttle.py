"""Login throttling (django-axes): a username is locked from one client address after 5 wrong passwords
for 15 minutes, with a lockout page (429); other addresses and other usernames are not; the client address
is REMOTE_ADDR unless CLIENT_IP_HEADER names the proxy's header; axes' rows live on the primary."""

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import RequestFactory

from digest.env import env_request_header
from digest.login_throttle import client_ip_address
from papers import db_router
from papers.db_router import ReplicaRouter, replicas_allowed
from tests.conftest import REPO

LOGIN = "/admin/login/"
PASSWORD = "a long enough editor password"
ATTACKER = "203.0.113.7"
OTHER = "198.51.100.20"
PROXY = "10.0.0.2"


@pytest.fixture
def editor(db):
    return User.objects.create_user("editor", password=PASSWORD, is_staff=True)


def log_in(client, username="editor", password=PASSWORD, address=ATTACKER, **headers):
    return client.post(
        f"{LOGIN}?next=/admin/", {"username": username, "password": password}, REMOTE_ADDR=address, **headers
    )


def fail(client, times=5, **kwargs) -> list[int]:
    """The status of each wrong password: the login form again (200) until the fifth locks (429)."""
    return [log_in(client, password="wrong", **kwargs).status_code for _ in range(times)]


def test_the_limits_are_five_failures_of_one_username_from_one_address_for_fifteen_minutes(settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    assert timedelta(minutes=15) == settings.AXES_COOLOFF_TIME
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"


def test_the_right_password_is_refused_after_five_wrong_ones(client, editor):
    assert fail(client) == [200, 200, 200, 200, 429]
    response = log_in(client)
    assert response.status_code == 429
    html = response.content.decode()
    assert "Too many failed logins" in html
    assert "15 minutes" in html
    assert int(response.headers["Retry-After"]) == 15 * 60
    assert "_auth_user_id" not in client.session
    assert AccessAttempt.objects.get().failures_since_start >= 5


def test_the_lockout_page_speaks_the_readers_language(client, editor):
    fail(client, times=4)
    response = log_in(client, password="wrong", HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 429
    html = response.content.decode()
    assert "15 分間ログインできません" in html
    assert "<title>ログインの失敗が多すぎます" in html


def test_four_failures_do_not_lock_and_a_success_starts_the_count_again(client, editor):
    assert fail(client, times=4) == [200] * 4
    assert log_in(client).status_code == 302
    client.logout()
    assert fail(client, times=4) == [200] * 4
    assert log_in(client).status_code == 302


def test_another_address_and_another_username_are_not_locked(client, editor):
    User.objects.create_user("colleague", password=PASSWORD, is_staff=True)
    fail(client)
    assert log_in(client).status_code == 429
    assert log_in(client, address=OTHER).status_code == 302
    client.logout()
    assert log_in(client, username="colleague").status_code == 302


def test_the_lock_ends_after_fifteen_minutes(client, editor):
    fail(client)
    assert log_in(client).status_code == 429
    last_failure = AccessAttempt.objects.get().attempt_time
    AccessAttempt.objects.update(attempt_time=last_failure - timedelta(minutes=16))
    assert log_in(client).status_code == 302


def test_axes_reset_unlocks(client, editor):
    fail(client)
    call_command("axes_reset", verbosity=0)
    assert log_in(client).status_code == 302


def test_x_forwarded_for_is_ignored_unless_configured(client, editor):
    # An attacker who varies the header still comes from one address.
    statuses = [
        log_in(client, password="wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{number}").status_code
        for number in range(5)
    ]
    assert statuses == [200, 200, 200, 200, 429]
    assert log_in(client, HTTP_X_FORWARDED_FOR="192.0.2.99").status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}


def test_behind_a_proxy_the_configured_header_names_the_client(client, editor, settings):
    settings.CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    # The proxy appends the address it saw; what the client put in front of it is not trusted.
    assert fail(client, address=PROXY, HTTP_X_FORWARDED_FOR=f"192.0.2.1, {ATTACKER}")[-1] == 429
    assert log_in(client, address=PROXY, HTTP_X_FORWARDED_FOR=ATTACKER).status_code == 429
    assert log_in(client, address=PROXY, HTTP_X_FORWARDED_FOR=f"{ATTACKER}, {OTHER}").status_code == 302


@pytest.mark.parametrize(
    ("meta", "expected"),
    [
        ({"REMOTE_ADDR": PROXY}, PROXY),
        ({"REMOTE_ADDR": PROXY, "HTTP_X_REAL_IP": OTHER}, OTHER),
        ({"REMOTE_ADDR": PROXY, "HTTP_X_REAL_IP": " 2001:db8::1 "}, "2001:db8::1"),
        ({"REMOTE_ADDR": PROXY, "HTTP_X_REAL_IP": "not an address"}, PROXY),
        ({"REMOTE_ADDR": PROXY, "HTTP_X_REAL_IP": ""}, PROXY),
        ({}, None),
    ],
    ids=["no header", "header", "ipv6", "malformed", "empty", "nothing"],
)
def test_client_ip_address_from_the_configured_header(settings, meta, expected):
    settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    request = RequestFactory().get("/")
    request.META.pop("REMOTE_ADDR", None)
    request.META.update(meta)
    assert client_ip_address(request) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", None),
        (" ", None),
        ("X-Forwarded-For", "HTTP_X_FORWARDED_FOR"),
        ("x-real-ip", "HTTP_X_REAL_IP"),
        ("HTTP_X_REAL_IP", "HTTP_X_REAL_IP"),
        ("REMOTE_ADDR", "REMOTE_ADDR"),
    ],
)
def test_client_ip_header_setting_accepts_either_spelling(monkeypatch, raw, expected):
    monkeypatch.setenv("CLIENT_IP_HEADER", raw)
    assert env_request_header("CLIENT_IP_HEADER") == expected


@pytest.mark.parametrize("raw", ["X Forwarded", "REMOTE_ADDR;", "X-Forwarded-For, X-Real-IP", "é"])
def test_client_ip_header_setting_refuses_what_is_no_header_name(monkeypatch, raw):
    monkeypatch.setenv("CLIENT_IP_HEADER", raw)
    with pytest.raises(ImproperlyConfigured, match=r"CLIENT_IP_HEADER=.* is not a header name"):
        env_request_header("CLIENT_IP_HEADER")


def test_the_limits_come_from_the_environment():
    probe = (
        "from django.conf import settings as s;"
        "print(s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME.total_seconds(), s.CLIENT_IP_HEADER)"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "digest.settings",
        "SECRET_KEY": "x",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/unused",
        "LOGIN_FAILURE_LIMIT": "3",
        "LOGIN_LOCKOUT_MINUTES": "60",
        "CLIENT_IP_HEADER": "X-Real-IP",
    }
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {probe}"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.split() == ["3", "3600.0", "HTTP_X_REAL_IP"], result.stderr


@pytest.mark.parametrize("model", [AccessAttempt, AccessLog, AccessFailureLog])
def test_the_router_keeps_axes_on_the_primary(monkeypatch, model):
    monkeypatch.setattr(db_router, "replica_aliases", lambda: ["replica1"])
    monkeypatch.setattr(db_router, "_usable", lambda alias: True)
    router = ReplicaRouter()
    with replicas_allowed():
        assert router.db_for_read(User) == "replica1"  # the router does send reads to the replica
        assert router.db_for_read(model) == "default"
    assert router.db_for_write(model) == "default"
