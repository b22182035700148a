"""Request bodies (digest.request_limits): everything but a staff member's digest upload is refused with 413
when its Content-Length is over DATA_UPLOAD_MAX_MEMORY_SIZE, before anything reads the body; uploads may be
as large as DIGEST_UPLOAD_MAX_BYTES (plus the form's own fields), and no larger."""

import os
import subprocess
import sys

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from papers.models import ImportJob
from tests.conftest import REPO, SAMPLES

UPLOAD_URL = reverse("admin:papers_digest_upload")
SETLANG_URL = reverse("set_language")
SAME_SITE = {"HTTP_SEC_FETCH_SITE": "same-origin"}
HUGE = str(300 * 1024 * 1024)
ARXIV_JP = (SAMPLES / "arxiv_jp_sample.txt").read_bytes()


@pytest.fixture
def small_form_limit(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    return settings


@pytest.fixture
def uploader(db):
    user = User.objects.create_user("uploader", password="x", is_staff=True)
    codenames = ["upload_digest", "view_digest"]
    permissions = Permission.objects.filter(content_type__app_label="papers", codename__in=codenames)
    user.user_permissions.set(permissions)
    return user


def file_part(size: int, name: str = "junk.txt") -> dict:
    return {"files": SimpleUploadedFile(name, b"x" * size)}


def test_the_language_switch_refuses_a_large_file_part_with_413(client, small_form_limit):
    # Before: the file part does not count towards DATA_UPLOAD_MAX_MEMORY_SIZE, so it was parsed in full.
    response = client.post(SETLANG_URL, {"language": "ja", "next": "/", **file_part(50_000)}, **SAME_SITE)
    assert response.status_code == 413
    message = response.content.decode()
    assert message.startswith("The request body is 49.")
    assert message.endswith("KB; at most 1.0\xa0KB is accepted here.")
    assert "django_language" not in response.cookies


def test_a_claimed_300_mb_body_is_refused_before_it_is_read(client):
    # The test client's body is a few bytes: reading past them would fail the request with an error.
    response = client.post(SETLANG_URL, {"language": "ja", "next": "/"}, CONTENT_LENGTH=HUGE, **SAME_SITE)
    assert response.status_code == 413
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "300.0\xa0MB" in response.content.decode()


def test_an_ordinary_language_switch_still_works(client):
    response = client.post(SETLANG_URL, {"language": "ja", "next": "/papers/"}, **SAME_SITE)
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "ja"


@pytest.mark.django_db
def test_anonymous_uploads_are_refused_like_any_other_body(client, small_form_limit):
    response = client.post(UPLOAD_URL, file_part(50_000))
    assert response.status_code == 413
    response = client.post(UPLOAD_URL, {"files": ""}, CONTENT_LENGTH=HUGE)
    assert response.status_code == 413


@pytest.mark.django_db
def test_a_signed_in_reader_who_is_not_staff_cannot_send_a_large_body(client, small_form_limit):
    client.force_login(User.objects.create_user("reader", password="x"))
    assert client.post(UPLOAD_URL, file_part(50_000)).status_code == 413


def test_a_staff_upload_may_be_larger_than_a_form(client, uploader, small_form_limit):
    assert len(ARXIV_JP) > small_form_limit.DATA_UPLOAD_MAX_MEMORY_SIZE
    client.force_login(uploader)
    response = client.post(UPLOAD_URL, {"files": SimpleUploadedFile("arxiv_jp_sample.txt", ARXIV_JP)})
    assert response.status_code == 200
    assert response.context["importable"] == 1
    assert ImportJob.objects.count() == 1


def test_a_staff_upload_over_the_upload_limit_is_refused_before_it_is_read(client, uploader, settings):
    settings.DIGEST_UPLOAD_MAX_BYTES = 4096
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    client.force_login(uploader)
    just_over = str(4096 + 1024 + 1)
    response = client.post(UPLOAD_URL, {"files": ""}, CONTENT_LENGTH=just_over)
    assert response.status_code == 413
    assert "at most 5.0\xa0KB" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_the_body_limits_are_settings_from_the_environment():
    probe = (
        "from django.conf import settings as s;"
        "print(s.DATA_UPLOAD_MAX_MEMORY_SIZE, s.FILE_UPLOAD_MAX_MEMORY_SIZE,"
        " 'digest.request_limits.RequestBodyLimitMiddleware' in s.MIDDLEWARE,"
        " s.MIDDLEWARE.index('digest.request_limits.RequestBodyLimitMiddleware')"
        " < s.MIDDLEWARE.index('django.middleware.csrf.CsrfViewMiddleware'))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "digest.settings",
        "SECRET_KEY": "x",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/unused",
    }

    def settings_line(**extra):
        result = subprocess.run(
            [sys.executable, "-c", f"import django; django.setup(); {probe}"],
            cwd=REPO,
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.split()

    assert settings_line() == [str(2_621_440), str(2_621_440), "True", "True"]
    assert settings_line(DATA_UPLOAD_MAX_MEMORY_SIZE="1048576", FILE_UPLOAD_MAX_MEMORY_SIZE="65536")[:2] == [
        "1048576",
        "65536",
    ]
