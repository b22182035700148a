"""Large uploads are previewed by the background worker (papers.jobs.run_preview), not in the request: the
upload answers at once with a redirect to the upload's preview page, which follows the worker's progress
(n/N files parsed), refreshes itself, shows why a preview failed, and once the worker is done shows the
same preview as an in-request one, ready to confirm."""

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.tasks import TaskResultStatus
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from papers import jobs
from papers.ingest.importer import api as importer_api
from papers.models import Digest, ImportJob, Paper
from papers.uploads import UploadBatch, UploadedDigest
from tests.conftest import SAMPLES

pytestmark = pytest.mark.django_db

UPLOAD_URL = reverse("admin:papers_digest_upload")
ZH = (SAMPLES / "zh_digest_sample.txt").read_bytes()
PYTORCHKR = (SAMPLES / "pytorchkr_sample.txt").read_bytes()
Status = ImportJob.Status


def files(**named: bytes) -> dict:
    return {"files": [SimpleUploadedFile(name.replace("__", "."), data) for name, data in named.items()]}


def preview_url(job: ImportJob) -> str:
    return reverse("admin:papers_digest_upload_preview", args=[job.pk])


def page_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def preview_sections(page: str) -> list[str]:
    """The per-file blocks of a preview page, as HTML."""
    return re.findall(r'<div class="module preview-file".*?</div>', page, flags=re.S)


class ParserSpy:
    """Counts calls of the importer's parser (read_digest), and runs ``during`` before each one."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, during=None) -> None:
        self.calls = 0
        self.during = during
        original = importer_api.read_digest

        def read_digest(data: bytes):
            self.calls += 1
            if self.during:
                self.during(self.calls)
            return original(data)

        monkeypatch.setattr(importer_api, "read_digest", read_digest)


@pytest.fixture
def large(settings):
    """Every upload over 1,000 bytes counts as large (each sample digest is 2-4 KB)."""
    settings.DIGEST_BACKGROUND_PREVIEW_BYTES = 1000


@pytest.fixture
def other_session(db):
    other = connections.create_connection("default")
    yield other
    other.close()


@pytest.fixture
def upload_in_background(django_capture_on_commit_callbacks):
    """Posts an upload that must go to the worker; the task is enqueued as the request's commit would."""

    def upload(client, **named: bytes) -> ImportJob:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(UPLOAD_URL, files(**named))
        job = ImportJob.objects.get()
        assert response.status_code == 302 and response["Location"] == preview_url(job)
        return job

    return upload


# -- the request --------------------------------------------------------------------------------------------


def test_a_large_upload_is_queued_for_the_worker_without_being_parsed_in_the_request(
    upload_in_background, admin_client, admin_user, large, monkeypatch
):
    parser = ParserSpy(monkeypatch)
    job = upload_in_background(admin_client, zh__txt=ZH, pytorchkr__txt=PYTORCHKR)
    assert parser.calls == 0
    assert (job.status, job.previewed_at, job.started_at) == (Status.QUEUED, None, None)
    assert (job.total_files, job.done_files, job.created_by) == (2, 0, admin_user)
    assert list(job.files.values_list("name", "size")) == [
        ("zh.txt", len(ZH)),
        ("pytorchkr.txt", len(PYTORCHKR)),
    ]
    task = DBTaskResult.objects.get(pk=job.task_id)
    assert task.status == TaskResultStatus.READY and task.task_path == "papers.jobs.preview_job_task"

    page = page_of(admin_client, preview_url(job))
    assert '<meta http-equiv="refresh" content="2">' in page
    assert "Preview queued 0/2 files parsed" in page and "waiting for the background worker" in page
    assert "zh.txt" in page and "pytorchkr.txt" in page
    assert "Import 2 files" not in page
    assert parser.calls == 0


def test_a_small_upload_is_still_previewed_in_the_request(admin_client, settings, monkeypatch):
    settings.DIGEST_BACKGROUND_PREVIEW_BYTES = len(ZH)
    parser = ParserSpy(monkeypatch)
    response = admin_client.post(UPLOAD_URL, files(zh__txt=ZH))
    assert response.status_code == 200 and parser.calls == 1
    assert "Import 1 file" in response.content.decode()
    assert not DBTaskResult.objects.exists()


# -- the worker ----------------------------------------------------------------------------------------------


def test_the_worker_parses_file_by_file_and_the_page_follows_its_progress(
    upload_in_background, admin_client, large, monkeypatch
):
    job = upload_in_background(admin_client, zh__txt=ZH, pytorchkr__txt=PYTORCHKR)
    seen = []

    def look_at_the_page(call: int) -> None:
        job.refresh_from_db()
        seen.append((job.status, job.done_files))
        if call == 2:  # one file parsed, the second starting: what the editor sees meanwhile
            page = page_of(admin_client, preview_url(job))
            assert "Previewing 1/2 files parsed" in page
            assert '<meta http-equiv="refresh" content="2">' in page

    parser = ParserSpy(monkeypatch, look_at_the_page)
    summary = jobs.preview_job_task.call(job.pk)
    assert summary == {"job": job.pk, "status": "previewed", "importable": 2, "refused": 0}
    assert parser.calls == 2 and seen == [(Status.RUNNING, 0), (Status.RUNNING, 1)]
    job.refresh_from_db()
    assert job.previewed_at is not None and job.started_at is None  # previewed, not confirmed
    assert (job.status, job.done_files, job.total_files, job.task_id) == (Status.QUEUED, 0, 2, "")
    assert Digest.objects.count() == 0 and Paper.objects.count() == 0  # a preview writes nothing


def test_the_background_preview_is_the_preview_an_editor_gets_in_the_request(
    upload_in_background, admin_client, settings, demo_papers
):
    upload = {"zh_week__txt": ZH + b"\n", "pytorchkr__txt": PYTORCHKR, "binary__txt": bytes(range(256)) * 8}
    in_request = admin_client.post(UPLOAD_URL, files(**upload)).content.decode()
    ImportJob.objects.all().delete()
    settings.DIGEST_BACKGROUND_PREVIEW_BYTES = 1000
    job = upload_in_background(admin_client, **upload)
    jobs.run_preview(job.pk)

    page = page_of(admin_client, preview_url(job))
    assert preview_sections(page) == preview_sections(in_request)
    assert len(preview_sections(page)) == 3
    assert "line 18: truncated URL" in page and "file looks binary" in page
    assert "Import 2 files" in page and "1 file with errors will not be imported" in page
    assert 'http-equiv="refresh"' not in page
    # The refused file's bytes are not kept: the job holds what confirming imports, numbered from 1.
    job.refresh_from_db()
    assert list(job.files.values_list("position", "name")) == [(1, "zh_week.txt"), (2, "pytorchkr.txt")]
    assert job.total_files == 2


def test_what_reading_the_upload_refused_is_shown_while_previewing_and_with_the_preview(
    admin_client, large, django_capture_on_commit_callbacks
):
    upload = files(zh__txt=ZH, scan__pdf=b"%PDF-1.7", pytorchkr__txt=PYTORCHKR)
    upload["files"].append(SimpleUploadedFile("zh.txt", ZH))
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(UPLOAD_URL, upload)
    job = ImportJob.objects.get()
    assert response["Location"] == preview_url(job)
    while_previewing = page_of(admin_client, preview_url(job))
    jobs.run_preview(job.pk)
    previewed = page_of(admin_client, preview_url(job))
    for page in (while_previewing, previewed):
        assert "scan.pdf: unsupported file type" in page
        assert "zh.txt: another file of this upload has that name; imported as zh (2).txt" in page
    assert "Import 3 files" in previewed


def test_confirming_a_background_preview_imports_the_files(upload_in_background, admin_client, large):
    job = upload_in_background(admin_client, zh__txt=ZH, pytorchkr__txt=PYTORCHKR)
    jobs.run_preview(job.pk)
    page = page_of(admin_client, preview_url(job))
    confirm = reverse("admin:papers_digest_upload_confirm", args=[job.pk])
    assert f'action="{confirm}"' in page
    response = admin_client.post(confirm)
    assert response["Location"] == reverse("admin:papers_importjob_change", args=[job.pk])
    job.refresh_from_db()
    assert (job.status, job.done_files) == (Status.DONE, 2)  # small: imported in the confirming request
    assert set(Digest.objects.values_list("name", flat=True)) == {"zh.txt", "pytorchkr.txt"}
    assert Paper.objects.filter(title="Llama 3").exists()
    # The preview page of a confirmed upload leads to its status page.
    assert admin_client.get(preview_url(job))["Location"] == reverse(
        "admin:papers_importjob_change", args=[job.pk]
    )


def test_an_upload_still_being_previewed_cannot_be_confirmed(upload_in_background, admin_client, large):
    job = upload_in_background(admin_client, zh__txt=ZH, pytorchkr__txt=PYTORCHKR)
    response = admin_client.post(reverse("admin:papers_digest_upload_confirm", args=[job.pk]), follow=True)
    assert response.redirect_chain[0][0] == preview_url(job)
    assert "still being previewed" in response.content.decode()
    job.refresh_from_db()
    assert job.started_at is None and Digest.objects.count() == 0


# -- failures ------------------------------------------------------------------------------------------------


def test_a_failed_preview_shows_its_reason_and_can_be_run_again(
    upload_in_background, admin_client, large, monkeypatch, django_capture_on_commit_callbacks
):
    job = upload_in_background(admin_client, zh__txt=ZH, pytorchkr__txt=PYTORCHKR)

    def trip(call: int) -> None:
        if call == 2:
            raise RuntimeError("the parser tripped")

    with monkeypatch.context() as patch:
        ParserSpy(patch, trip)
        with pytest.raises(jobs.ImportJobCrashed, match="the parser tripped"):
            jobs.preview_job_task.call(job.pk)
    job.refresh_from_db()
    assert (job.status, job.previewed_at) == (Status.FAILED, None)
    assert job.error == "unexpected error: the parser tripped"
    assert not jobs.job_is_active(job.pk)
    page = page_of(admin_client, preview_url(job))
    assert "Preview failed 1/2 files parsed" in page and "unexpected error: the parser tripped" in page
    assert 'http-equiv="refresh"' not in page and "Import 2 files" not in page
    assert "Preview again" in page and "Discard this upload" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:papers_importjob_retry", args=[job.pk]))
    assert response["Location"] == preview_url(job)
    job.refresh_from_db()
    assert (job.status, job.done_files, job.error) == (Status.QUEUED, 0, "")
    assert DBTaskResult.objects.get(pk=job.task_id).task_path == "papers.jobs.preview_job_task"
    jobs.run_preview(job.pk)
    assert "Import 2 files" in page_of(admin_client, preview_url(job))


def test_a_preview_whose_worker_died_says_so_and_can_be_run_again(
    upload_in_background, admin_client, large, other_session
):
    job = upload_in_background(admin_client, zh__txt=ZH, pytorchkr__txt=PYTORCHKR)
    ImportJob.objects.filter(pk=job.pk).update(status=Status.RUNNING, done_files=1)
    with other_session.cursor() as cursor:  # a worker is parsing it
        cursor.execute("SELECT pg_advisory_lock(%s::int, %s::int)", [jobs._LOCK_CLASS, job.pk])
    page = page_of(admin_client, preview_url(job))
    assert "Previewing 1/2 files parsed" in page and 'http-equiv="refresh"' in page
    assert "Preview again" not in page
    assert jobs.run_preview(job.pk) == {"job": job.pk, "status": "busy"}

    other_session.close()  # the worker is killed: PostgreSQL frees its lock
    page = page_of(admin_client, preview_url(job))
    assert "interrupted (the process previewing it stopped)" in page
    assert 'http-equiv="refresh"' not in page and "Preview again" in page


def test_a_preview_discarded_while_the_worker_parses_it_ends_quietly(
    upload_in_background, admin_client, large, monkeypatch
):
    job = upload_in_background(admin_client, zh__txt=ZH, pytorchkr__txt=PYTORCHKR)

    def discard(call: int) -> None:
        if call == 1:
            admin_client.post(reverse("admin:papers_digest_upload_cancel", args=[job.pk]))

    ParserSpy(monkeypatch, discard)
    assert jobs.run_preview(job.pk) == {"job": job.pk, "status": "discarded"}
    assert not ImportJob.objects.exists()


def test_unfinished_background_previews_expire_like_other_previews(admin_user, large):
    job = jobs.create_preview_job(UploadBatch(files=[UploadedDigest("zh.txt", ZH)]), admin_user)
    long_ago = timezone.now() - jobs.PREVIEW_TTL - timedelta(minutes=1)
    ImportJob.objects.filter(pk=job.pk).update(status=Status.FAILED, created_at=long_ago)
    jobs.discard_stale_previews()
    assert not ImportJob.objects.exists()


def test_the_status_page_of_a_job_being_previewed_links_to_its_preview(
    upload_in_background, admin_client, large
):
    job = upload_in_background(admin_client, zh__txt=ZH, pytorchkr__txt=PYTORCHKR)
    page = page_of(admin_client, reverse("admin:papers_importjob_change", args=[job.pk]))
    assert "Preview queued 0/2" in page and f'href="{preview_url(job)}"' in page
    changelist = page_of(admin_client, reverse("admin:papers_importjob_changelist"))
    assert "Preview queued" in changelist
