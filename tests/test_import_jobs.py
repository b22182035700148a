"""Import jobs (papers.jobs) and their admin status page: progress, read-only pages that never show file
bytes, and recovering a job whose worker was killed (the retry rule: nobody holds the job's lock)."""

import os
import select
import subprocess
import sys
import time
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.db import connection, connections
from django.tasks import TaskResultStatus
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from papers import jobs
from papers.models import Digest, ImportJob, Paper
from papers.uploads import UploadedDigest
from tests.conftest import REPO, SAMPLES

ZH = (SAMPLES / "zh_digest_sample.txt").read_bytes()
PYTORCHKR = (SAMPLES / "pytorchkr_sample.txt").read_bytes()
Status = ImportJob.Status


def new_job(admin_user, **named: bytes) -> ImportJob:
    return jobs.create_job([UploadedDigest(name, data) for name, data in named.items()], admin_user)


def status_page(client, job: ImportJob) -> str:
    response = client.get(reverse("admin:papers_importjob_change", args=[job.pk]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def other_session(db):
    """A second database session, as a worker process would have."""
    other = connections.create_connection("default")
    yield other
    other.close()


def hold_lock(session, job: ImportJob) -> None:
    with session.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s::int, %s::int)", [jobs._LOCK_CLASS, job.pk])


# -- the status page -----------------------------------------------------------------------------------------


def test_the_status_page_lists_files_without_their_bytes_and_is_read_only(admin_client, admin_user):
    marker = "MARKER-THAT-MUST-NOT-BE-SHOWN"
    job = new_job(admin_user, **{"a.txt": ZH + marker.encode()})
    page = status_page(admin_client, job)
    assert "a.txt" in page and job.files.get().checksum[:10] in page
    assert marker not in page and "Not confirmed (preview) 0/1" in page
    assert 'name="_save"' not in page and 'http-equiv="refresh"' not in page
    assert admin_client.get(reverse("admin:papers_importjob_add")).status_code == 403
    changelist = admin_client.get(reverse("admin:papers_importjob_changelist")).content.decode()
    assert "Not confirmed (preview)" in changelist and "0/1" in changelist and marker not in changelist


def test_a_running_job_refreshes_itself_and_shows_its_progress(admin_client, admin_user, other_session):
    job = new_job(admin_user, **{"a.txt": ZH, "b.txt": PYTORCHKR})
    ImportJob.objects.filter(pk=job.pk).update(status=Status.RUNNING, started_at=timezone.now(), done_files=1)
    job.files.filter(position=1).update(status=Status.DONE)
    job.files.filter(position=2).update(status=Status.RUNNING)
    hold_lock(other_session, job)  # a worker is importing it
    page = status_page(admin_client, job)
    assert '<meta http-equiv="refresh" content="2">' in page
    assert "Running 1/2" in page and "Retry failed files" not in page


def test_a_job_shows_per_file_results_errors_and_digest_links(admin_client, admin_user):
    job = new_job(admin_user, **{"zh.txt": ZH, "bad.txt": b"\x00\x01binary\x00"})
    jobs.start_job(job)
    job.refresh_from_db()
    assert job.status == Status.FAILED
    page = status_page(admin_client, job)
    digest = Digest.objects.get(name="zh.txt")
    assert reverse("admin:papers_digest_change", args=[digest.pk]) in page
    assert "2 created, 0 updated, 0 unchanged" in page
    assert "file looks binary" in page and "Failed 2/2" in page
    assert "Retry failed files" in page


# -- retrying: the rule --------------------------------------------------------------------------------------


def test_a_done_or_unconfirmed_job_cannot_be_retried(admin_user):
    job = new_job(admin_user, **{"zh.txt": ZH})
    with pytest.raises(jobs.JobNotRetryable, match="not been confirmed"):
        jobs.retry_job(job)
    jobs.start_job(job)
    with pytest.raises(jobs.JobNotRetryable, match="nothing to retry"):
        jobs.retry_job(job)


def test_a_job_somebody_is_importing_cannot_be_retried(admin_client, admin_user, other_session):
    job = new_job(admin_user, **{"zh.txt": ZH})
    ImportJob.objects.filter(pk=job.pk).update(status=Status.FAILED, started_at=timezone.now())
    hold_lock(other_session, job)
    assert jobs.job_is_active(job.pk)
    with pytest.raises(jobs.JobNotRetryable, match="being imported right now"):
        jobs.retry_job(job)
    response = admin_client.post(reverse("admin:papers_importjob_retry", args=[job.pk]), follow=True)
    assert "The job was not retried: the job is being imported right now." in response.content.decode()
    assert jobs.run_job(job.pk) == {"job": job.pk, "status": "busy"}  # a duplicate task does nothing


def test_a_job_waiting_for_the_worker_cannot_be_retried_but_one_whose_task_died_can(admin_user, settings):
    settings.DIGEST_BACKGROUND_THRESHOLD_BYTES = 0
    job = new_job(admin_user, **{"zh.txt": ZH})
    ImportJob.objects.filter(pk=job.pk).update(started_at=timezone.now() - timedelta(minutes=5))
    job.refresh_from_db()
    assert jobs.retry_blocker(job) is None  # confirmed long ago, never enqueued
    jobs._enqueue(job.pk)
    job.refresh_from_db()
    assert "waiting for the background worker" in jobs.retry_blocker(job)
    # A worker claimed the task and died before it started the job: the task is stuck in RUNNING.
    DBTaskResult.objects.filter(pk=job.task_id).update(status=TaskResultStatus.RUNNING)
    assert jobs.retry_blocker(job) is None
    DBTaskResult.objects.filter(pk=job.task_id).delete()  # pruned
    assert jobs.retry_blocker(job) is None


SLOW_IMPORT = """
import sys, time
import django

django.setup()
from papers import jobs
from papers.ingest.importer.writing import DigestWriter

original = DigestWriter._sync_summaries


def sync_summaries(self, digest):
    if self.result.name == "pytorchkr.txt":
        print("inside the import of pytorchkr.txt", flush=True)
        time.sleep(120)
    return original(self, digest)


DigestWriter._sync_summaries = sync_summaries
jobs.run_job(int(sys.argv[1]))
"""


def database_url() -> str:
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return (
        f"postgres://{quote(db['USER'], safe='')}{password}@{quote(db['HOST'], safe='')}{port}/{db['NAME']}"
    )


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_import_leaves_nothing_half_written_and_the_job_can_be_retried(
    admin_client, admin_user, tmp_path
):
    job = new_job(admin_user, **{"zh.txt": ZH, "pytorchkr.txt": PYTORCHKR})
    ImportJob.objects.filter(pk=job.pk).update(started_at=timezone.now())
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "SECRET_KEY": "test",
        "DJANGO_SETTINGS_MODULE": "digest.settings",
        "PYTHONPATH": str(REPO),
    }
    script = tmp_path / "slow_import.py"
    script.write_text(SLOW_IMPORT)
    worker = subprocess.Popen(
        [sys.executable, str(script), str(job.pk)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        ready, _, _ = select.select([worker.stdout], [], [], 60)
        assert ready, "the worker did not reach the import within a minute"
        assert worker.stdout.readline().strip() == "inside the import of pytorchkr.txt", worker.stderr.read()
        # Papers of pytorchkr.txt are written inside its (open) transaction; the first file is done.
        job.refresh_from_db()
        assert job.status == Status.RUNNING and job.done_files == 1
        assert jobs.job_is_active(job.pk)
        assert "being imported right now" in jobs.retry_blocker(job)
    finally:
        worker.kill()  # SIGKILL: no handler, no cleanup
        worker.wait(timeout=10)
        worker.stdout.close()
        worker.stderr.close()

    deadline = time.monotonic() + 10  # PostgreSQL notices the dead session and frees its lock
    while jobs.job_is_active(job.pk) and time.monotonic() < deadline:
        time.sleep(0.05)
    job.refresh_from_db()
    assert job.status == Status.RUNNING
    assert job.files.get(name="pytorchkr.txt").status == Status.RUNNING
    assert not Paper.objects.filter(title="Llama 3").exists()  # rolled back by PostgreSQL
    assert not Digest.objects.filter(name="pytorchkr.txt").exists()
    assert jobs.retry_blocker(job) is None
    page = status_page(admin_client, job)
    assert "Running 1/2: interrupted (the process importing it stopped); retry to finish it" in page
    assert "Retry failed files" in page and 'http-equiv="refresh"' not in page

    job = jobs.retry_job(job)
    assert (job.status, job.done_files) == (Status.DONE, 2)
    assert Paper.objects.filter(title="Llama 3").exists()
    assert Digest.objects.filter(status=Digest.Status.IMPORTED).count() == 2


def test_an_unexpected_error_marks_the_job_failed_and_the_task_reports_it(admin_user, monkeypatch):
    job = new_job(admin_user, **{"zh.txt": ZH})
    ImportJob.objects.filter(pk=job.pk).update(started_at=timezone.now())
    monkeypatch.setattr(jobs, "_finish", lambda job_id: 1 / 0)
    summary = jobs.run_job(job.pk)
    assert summary == {"job": job.pk, "status": "crashed", "error": "unexpected error: division by zero"}
    job.refresh_from_db()
    assert (job.status, job.error) == (Status.FAILED, "unexpected error: division by zero")
    assert not jobs.job_is_active(job.pk)  # the lock was released
    with pytest.raises(jobs.ImportJobCrashed, match="division by zero"):
        jobs.import_job_task.call(job.pk)


def test_stale_previews_are_discarded_and_confirmed_jobs_are_kept(admin_user):
    old, fresh, confirmed = (new_job(admin_user, **{"zh.txt": ZH}) for _ in range(3))
    long_ago = timezone.now() - jobs.PREVIEW_TTL - timedelta(minutes=1)
    ImportJob.objects.filter(pk__in=[old.pk, confirmed.pk]).update(created_at=long_ago)
    ImportJob.objects.filter(pk=confirmed.pk).update(started_at=long_ago)
    jobs.discard_stale_previews()
    assert set(ImportJob.objects.values_list("pk", flat=True)) == {fresh.pk, confirmed.pk}
