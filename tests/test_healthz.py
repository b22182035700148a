import json
from unittest import mock

import pytest
from django.db import OperationalError, connection
from django.db.migrations.recorder import MigrationRecorder


@pytest.mark.django_db
def test_healthz_is_ok_when_the_database_answers_and_migrations_are_applied(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "ok"}
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    # Cheap: no session cookie, no CSRF cookie.
    assert not response.cookies


@pytest.mark.django_db
def test_healthz_is_503_with_unapplied_migrations(client):
    latest = MigrationRecorder.Migration.objects.filter(app="papers").order_by("-name").first()
    MigrationRecorder(connection).record_unapplied("papers", latest.name)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["status"] == "error"
    assert body["reason"] == f"unapplied migrations: papers.{latest.name}"


@pytest.mark.django_db
def test_healthz_is_503_when_the_database_does_not_answer(client):
    with mock.patch(
        "papers.views.health.connection.cursor", side_effect=OperationalError("connection refused")
    ):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert json.loads(response.content) == {"status": "error", "reason": "database unavailable"}


@pytest.mark.django_db
def test_healthz_answers_head_and_refuses_post(client):
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405
