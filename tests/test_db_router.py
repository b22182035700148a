"""DATABASE_REPLICA_URLS parsing and the rules deciding which requests may read from a replica (the real
primary/replica pair is in test_read_replicas.py)."""

import os
import subprocess
import sys

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.test import RequestFactory

from digest.env import env_database_urls
from papers import db_router
from papers.db_router import ReplicaRouter, replicas_allowed
from papers.middleware import PIN_COOKIE, PrimaryPinningMiddleware, may_read_replica


def test_replica_urls_parse_each_entry(monkeypatch):
    monkeypatch.setenv(
        "DATABASE_REPLICA_URLS", "postgres://r@10.0.0.2:5432/digest, postgres://r@10.0.0.3/digest"
    )
    first, second = env_database_urls("DATABASE_REPLICA_URLS")
    assert (first["HOST"], first["NAME"]) == ("10.0.0.2", "digest")
    assert second["HOST"] == "10.0.0.3"
    monkeypatch.setenv("DATABASE_REPLICA_URLS", " ")
    assert env_database_urls("DATABASE_REPLICA_URLS") == []


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("postgres://r@h/digest,mysql://r@h/digest", "entry 2 must be a PostgreSQL URL"),
        ("postgres://r@h/digest,,postgres://r@h2/digest", "entry 2 is empty"),
        ("postgres://r@h/digest,", "entry 2 is empty"),
        ("postgres://r@h:5432", "entry 1 must name a database"),
    ],
)
def test_a_bad_replica_url_stops_start_up(monkeypatch, raw, message):
    monkeypatch.setenv("DATABASE_REPLICA_URLS", raw)
    with pytest.raises(ImproperlyConfigured, match=message):
        env_database_urls("DATABASE_REPLICA_URLS")


def test_settings_add_replicas_router_and_middleware_only_when_configured():
    probe = (
        "from django.conf import settings;"
        "print(sorted(settings.DATABASES), settings.DATABASE_ROUTERS,"
        " settings.DATABASES.get('replica2', {}).get('TEST'),"
        " 'papers.middleware.PrimaryPinningMiddleware' in settings.MIDDLEWARE)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "digest.settings", "SECRET_KEY": "x"}
    env["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/unused"
    env["DATABASE_REPLICA_URLS"] = "postgres://r@10.0.0.2/digest,postgres://r@10.0.0.3/digest"
    with_replicas = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True)
    assert with_replicas.stdout.strip() == (
        "['default', 'replica1', 'replica2'] ['papers.db_router.ReplicaRouter'] {'MIRROR': 'default'} True"
    ), with_replicas.stderr
    env.pop("DATABASE_REPLICA_URLS")
    without = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True)
    assert without.stdout.strip() == "['default'] [] None False", without.stderr


def request(method="get", path="/papers/", user=None, cookies=None):
    made = getattr(RequestFactory(), method)(path)
    made.user = user or AnonymousUser()
    made.COOKIES.update(cookies or {})
    return made


@pytest.mark.parametrize(
    ("made", "allowed"),
    [
        (request(), True),
        (request("head", "/"), True),
        (request("post", "/papers/"), False),
        (request(path="/admin/papers/paper/"), False),
        (request(user=User(username="editor", is_staff=True)), False),
        (request(cookies={PIN_COOKIE: "1"}), False),
    ],
    ids=["public GET", "public HEAD", "POST", "admin", "signed-in editor", "just posted"],
)
def test_which_requests_may_read_from_a_replica(made, allowed):
    assert may_read_replica(made) is allowed


def test_the_middleware_allows_replicas_for_the_request_only_and_pins_after_a_post():
    seen = []

    def view(_request):
        seen.append(db_router.reading_from_replicas())
        return HttpResponse()

    middleware = PrimaryPinningMiddleware(view)
    assert PIN_COOKIE not in middleware(request()).cookies
    response = middleware(request("post"))
    assert response.cookies[PIN_COOKIE]["max-age"] == 10
    assert seen == [True, False]
    assert not db_router.reading_from_replicas()  # reset after the request


def test_router_sends_writes_and_unallowed_reads_to_the_primary(monkeypatch):
    router = ReplicaRouter()
    monkeypatch.setattr(db_router, "replica_aliases", lambda: ["replica1"])
    monkeypatch.setattr(db_router, "_usable", lambda alias: True)
    assert router.db_for_read(User) == "default"
    with replicas_allowed():
        assert router.db_for_read(User) == "replica1"
        monkeypatch.setattr(db_router, "_usable", lambda alias: False)
        assert router.db_for_read(User) == "default"  # no replica answers
    monkeypatch.setattr(db_router, "replica_aliases", lambda: ["replica1", "replica2", "replica3"])
    monkeypatch.setattr(db_router, "_usable", lambda alias: True)
    with replicas_allowed():
        first = router.db_for_read(User)
        assert {router.db_for_read(User) for _ in range(20)} == {first}  # one replica per request
    assert router.db_for_write(User) == "default"
    assert router.allow_migrate("default", "papers") and not router.allow_migrate("replica1", "papers")


@pytest.mark.django_db
def test_reads_inside_a_transaction_stay_on_the_primary(monkeypatch):
    from django.db import transaction

    monkeypatch.setattr(db_router, "replica_aliases", lambda: ["replica1"])
    monkeypatch.setattr(db_router, "_usable", lambda alias: True)
    # pytest-django's own test transaction already holds an atomic block on default.
    with replicas_allowed(), transaction.atomic():
        assert ReplicaRouter().db_for_read(User) == "default"
