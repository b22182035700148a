"""Uploading digests in the admin: permissions, the dry-run preview, confirming (in the request or in the
background worker), a file failing mid-import, and retrying it."""

import re
import signal
from io import StringIO

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.tasks import TaskResultStatus
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from papers.ingest.importer import import_digest
from papers.ingest.importer.writing import DigestWriter
from papers.models import Digest, DigestEntry, ImportJob, Paper, Summary
from tests.conftest import FIXTURES, SAMPLES

UPLOAD_URL = reverse("admin:papers_digest_upload")
ARXIV_JP = (SAMPLES / "arxiv_jp_sample.txt").read_bytes()
ZH = (SAMPLES / "zh_digest_sample.txt").read_bytes()
PYTORCHKR = (SAMPLES / "pytorchkr_sample.txt").read_bytes()
SHIFT_JIS_PAGE = (FIXTURES / "html" / "shift_jis_arxiv_jp.html").read_bytes()


def files(**named: bytes) -> dict:
    return {"files": [SimpleUploadedFile(name.replace("__", "."), data) for name, data in named.items()]}


def confirm_url(job: ImportJob) -> str:
    return reverse("admin:papers_digest_upload_confirm", args=[job.pk])


def status_url(job: ImportJob) -> str:
    return reverse("admin:papers_importjob_change", args=[job.pk])


def counts() -> tuple[int, ...]:
    return tuple(model.objects.count() for model in (Paper, Summary, Digest, DigestEntry))


@pytest.fixture
def uploader(db):
    """Staff with only the upload permission and the view permissions of the digest models."""
    user = User.objects.create_user("uploader", password="x", is_staff=True)
    codenames = ["upload_digest", "view_digest", "view_importjob", "view_source", "view_digestentry"]
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="papers", codename__in=codenames)
    )
    return user


@pytest.fixture
def catalogue(db):
    """arxiv.jp (KAN, no arXiv ids) and the Chinese digest (Mamba and Transformer, with arXiv ids)."""
    assert import_digest(ARXIV_JP, "arxiv_jp_sample.txt").ok
    assert import_digest(ZH, "zh_digest_sample.txt").ok


# -- access ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_the_admin_login(client):
    for response in (
        client.get(UPLOAD_URL),
        client.post(reverse("admin:papers_digest_upload_confirm", args=[1])),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.django_db
def test_staff_without_the_upload_permission_get_403_everywhere(client, admin_user):
    staff = User.objects.create_user("viewer", password="x", is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(codename__in=["view_digest", "view_importjob"]))
    client.force_login(staff)
    job = ImportJob.objects.create(created_by=admin_user, total_files=0)
    assert client.get(UPLOAD_URL).status_code == 403
    assert client.post(UPLOAD_URL, files(a__txt=ARXIV_JP)).status_code == 403
    assert client.post(confirm_url(job)).status_code == 403
    assert client.post(reverse("admin:papers_digest_upload_cancel", args=[job.pk])).status_code == 403
    assert client.post(reverse("admin:papers_importjob_retry", args=[job.pk])).status_code == 403
    changelist = client.get(reverse("admin:papers_digest_changelist")).content.decode()
    assert "Upload digests" not in changelist


def test_the_upload_permission_alone_is_enough(client, uploader):
    client.force_login(uploader)
    changelist = client.get(reverse("admin:papers_digest_changelist")).content.decode()
    assert f'href="{UPLOAD_URL}"' in changelist and "Upload digests" in changelist
    response = client.post(UPLOAD_URL, files(arxiv__txt=ARXIV_JP))
    job = response.context["job"]
    response = client.post(confirm_url(job))
    assert response.status_code == 302 and response["Location"] == status_url(job)
    assert client.get(status_url(job)).status_code == 200
    assert Digest.objects.get().imported_by == uploader


def test_the_form_accepts_several_files_of_the_supported_types(admin_client):
    page = admin_client.get(UPLOAD_URL).content.decode()
    tag = re.search(r"<input[^>]*type=\"file\"[^>]*>", page).group(0)
    assert "multiple" in tag and 'accept=".txt,.md,.html,.htm,.zip"' in tag
    assert "csrfmiddlewaretoken" in page and 'enctype="multipart/form-data"' in page
    assert '<ol class="breadcrumbs">' in page and "Upload digests" in page


def test_confirm_only_answers_post(admin_client):
    job = ImportJob.objects.create(total_files=0)
    assert admin_client.get(confirm_url(job)).status_code == 405


def test_another_editors_upload_cannot_be_confirmed(client, uploader, admin_user):
    job = ImportJob.objects.create(created_by=admin_user, total_files=0)
    client.force_login(uploader)
    assert client.post(confirm_url(job)).status_code == 404  # not theirs: as if it did not exist


# -- the preview -------------------------------------------------------------------------------------------


def test_the_preview_writes_nothing(admin_client, catalogue):
    before = counts()
    response = admin_client.post(UPLOAD_URL, files(pytorchkr__txt=PYTORCHKR, page__html=SHIFT_JIS_PAGE))
    assert response.status_code == 200
    assert counts() == before
    job = ImportJob.objects.get()
    assert job.started_at is None and job.status == ImportJob.Status.QUEUED  # held, not started
    assert list(job.files.values_list("name", "size")) == [
        ("pytorchkr.txt", len(PYTORCHKR)),
        ("page.html", len(SHIFT_JIS_PAGE)),
    ]


def test_the_preview_shows_what_each_file_would_change(admin_client, catalogue):
    zh_week = ZH.replace("推荐阅读指数: 4.5".encode(), "推荐阅读指数: 很高".encode())
    response = admin_client.post(
        UPLOAD_URL, files(pytorchkr__txt=PYTORCHKR, zh_week__txt=zh_week, page__html=SHIFT_JIS_PAGE)
    )
    page = response.content.decode()
    sections = {preview.name: preview for preview in response.context["previews"]}
    # PyTorchKR: family, encoding, issue date, warnings with their line, KAN matched by title, Llama 3 new.
    assert "PyTorchKR weekly Top ML Papers (Japanese translation) <code>pytorchkr</code>" in page
    assert "2024-05-05" in page
    assert "line 18: truncated URL" in page
    kr = sections["pytorchkr.txt"]
    assert (kr.created, kr.updated, kr.unchanged) == (2, 1, 0)
    assert "2 to create, 1 to update, 0 unchanged" in page
    assert re.search(
        r"<td>KAN: Kolmogorov-Arnold Networks</td>\s*<td>—</td>\s*<td>to update</td>\s*<td>title</td>", page
    )
    assert re.search(r"<td>Llama 3</td>\s*<td>—</td>\s*<td>to create</td>\s*<td>— \(new\)</td>", page)
    assert "arxiv id; listed in this digest; 2 new links; 5 new summaries (en, ja)" in page
    # The Chinese digest under another name: its papers are matched by arXiv id; its warning has a line.
    assert re.search(
        r"<td>Mamba: Linear-Time[^<]*</td>\s*<td>2312.00752</td>\s*<td>to update</td>\s*<td>arXiv id</td>",
        page,
    )
    assert "line 19: 推荐阅读指数 without a number skipped" in page
    # A saved Shift_JIS page: the detected encoding is shown.
    assert sections["page.html"].encoding in page
    assert sections["page.html"].encoding.lower().replace("_", "").replace("-", "") in {
        "shiftjis",
        "cp932",
    }
    assert "Import 3 files" in page


def test_an_identical_re_upload_is_reported(admin_client, catalogue):
    page = admin_client.post(UPLOAD_URL, files(again__txt=ARXIV_JP)).content.decode()
    assert "Identical to a digest imported before" in page
    assert (
        "Identical to a digest imported before"
        not in admin_client.post(UPLOAD_URL, files(p__txt=PYTORCHKR)).content.decode()
    )


def test_a_preview_can_be_discarded(admin_client):
    admin_client.post(UPLOAD_URL, files(a__txt=ARXIV_JP))
    job = ImportJob.objects.get()
    response = admin_client.post(reverse("admin:papers_digest_upload_cancel", args=[job.pk]))
    assert response.status_code == 302
    assert not ImportJob.objects.exists() and Digest.objects.count() == 0


# -- confirming ----------------------------------------------------------------------------------------------


def test_a_small_upload_is_imported_during_the_confirming_request(admin_client, catalogue):
    admin_client.post(UPLOAD_URL, files(pytorchkr__txt=PYTORCHKR, zh_week__txt=ZH + b"\n"))
    job = ImportJob.objects.get()
    response = admin_client.post(confirm_url(job))
    assert response.status_code == 302 and response["Location"] == status_url(job)
    job.refresh_from_db()
    assert (job.status, job.done_files, job.total_files, job.task_id) == (ImportJob.Status.DONE, 2, 2, "")
    assert Paper.objects.filter(title="Llama 3").exists()
    assert (
        Digest.objects.filter(
            name__in=["pytorchkr.txt", "zh_week.txt"], status=Digest.Status.IMPORTED
        ).count()
        == 2
    )
    assert set(job.files.values_list("data", flat=True)) == {b""}  # imported: the bytes are not kept
    page = admin_client.get(status_url(job)).content.decode()
    assert "Done 2/2" in page and 'http-equiv="refresh"' not in page
    assert "Imported 2 files." in page
    digest = Digest.objects.get(name="pytorchkr.txt")
    assert reverse("admin:papers_digest_change", args=[digest.pk]) in page
    # Confirming again does not import again.
    admin_client.post(confirm_url(job))
    assert Digest.objects.filter(name="pytorchkr.txt").count() == 1


@pytest.fixture
def restore_signals():
    """db_worker installs its own SIGINT/SIGTERM handlers; give pytest its own back."""
    saved = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    yield
    for number, handler in saved.items():
        signal.signal(number, handler)


def run_worker() -> str:
    out = StringIO()
    call_command("db_worker", batch=True, startup_delay=False, reload=False, interval=0, stdout=out)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_a_large_upload_is_queued_and_imported_by_the_worker(admin_client, settings, restore_signals):
    settings.DIGEST_BACKGROUND_THRESHOLD_BYTES = 0
    admin_client.post(UPLOAD_URL, files(arxiv__txt=ARXIV_JP, pytorchkr__txt=PYTORCHKR))
    job = ImportJob.objects.get()
    response = admin_client.post(confirm_url(job))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.QUEUED and job.started_at is not None
    assert DBTaskResult.objects.get(pk=job.task_id).status == TaskResultStatus.READY
    assert Digest.objects.count() == 0
    page = admin_client.get(status_url(job)).content.decode()
    assert '<meta http-equiv="refresh" content="2">' in page
    assert "Queued 0/2" in page and "waiting for the background worker" in page

    run_worker()

    job.refresh_from_db()
    assert (job.status, job.done_files) == (ImportJob.Status.DONE, 2)
    assert job.finished_at is not None
    assert DBTaskResult.objects.get(pk=job.task_id).status == TaskResultStatus.SUCCESSFUL
    assert Digest.objects.filter(status=Digest.Status.IMPORTED).count() == 2
    page = admin_client.get(status_url(job)).content.decode()
    assert "Done 2/2" in page and 'http-equiv="refresh"' not in page


def break_import_of(patch: pytest.MonkeyPatch, name: str, message: str) -> None:
    """Makes the importer raise half-way through the file ``name``: after its papers were written,
    before its summaries."""
    original = DigestWriter._sync_summaries

    def sync_summaries(self, digest):
        if self.result.name == name:
            raise RuntimeError(message)
        return original(self, digest)

    patch.setattr(DigestWriter, "_sync_summaries", sync_summaries)


@pytest.mark.django_db(transaction=True)
def test_a_file_failing_mid_import_fails_the_job_with_the_reason_and_leaves_nothing(
    admin_client, settings, restore_signals
):
    settings.DIGEST_BACKGROUND_THRESHOLD_BYTES = 0
    admin_client.post(UPLOAD_URL, files(zh__txt=ZH, pytorchkr__txt=PYTORCHKR, arxiv__txt=ARXIV_JP))
    job = ImportJob.objects.get()
    admin_client.post(confirm_url(job))
    with pytest.MonkeyPatch.context() as patch:
        break_import_of(patch, "pytorchkr.txt", "the disk is on fire")
        run_worker()

    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and job.done_files == 3
    assert job.error.startswith("1 of 3 files failed:\npytorchkr.txt: import failed, nothing was written: ")
    assert "the disk is on fire" in job.error
    broken = job.files.get(name="pytorchkr.txt")
    assert broken.status == ImportJob.Status.FAILED and "the disk is on fire" in broken.error
    assert bytes(broken.data) == PYTORCHKR  # kept for the retry
    # Nothing of the failed file is left: no digest, not the papers only it lists, no half-written rows.
    assert set(Digest.objects.values_list("name", flat=True)) == {"zh.txt", "arxiv.txt"}
    assert not Paper.objects.filter(title="Llama 3").exists()
    assert not Paper.objects.filter(arxiv_id="2404.19737").exists()
    page = admin_client.get(status_url(job)).content.decode()
    assert "Failed 3/3" in page and "the disk is on fire" in page
    assert 'http-equiv="refresh"' not in page
    assert reverse("admin:papers_importjob_retry", args=[job.pk]) in page and "Retry failed files" in page

    # The cause is gone: retrying imports the failed file (in the background again) and nothing else.
    response = admin_client.post(reverse("admin:papers_importjob_retry", args=[job.pk]))
    assert response.status_code == 302 and response["Location"] == status_url(job)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.QUEUED and job.done_files == 2
    run_worker()
    job.refresh_from_db()
    assert (job.status, job.error, job.done_files) == (ImportJob.Status.DONE, "", 3)
    assert Paper.objects.filter(title="Llama 3").exists()
    assert Digest.objects.filter(status=Digest.Status.IMPORTED).count() == 3
    assert "Retry failed files" not in admin_client.get(status_url(job)).content.decode()


def test_a_failing_small_upload_fails_in_the_request_and_is_retried_in_the_request(admin_client):
    with pytest.MonkeyPatch.context() as patch:
        break_import_of(patch, "pytorchkr.txt", "boom")
        page = admin_client.post(UPLOAD_URL, files(pytorchkr__txt=PYTORCHKR)).content.decode()
        assert "import failed, nothing was written: boom" in page  # the preview fails the same way
        assert not ImportJob.objects.exists()
    admin_client.post(UPLOAD_URL, files(pytorchkr__txt=PYTORCHKR, zh__txt=ZH))
    job = ImportJob.objects.get()
    with pytest.MonkeyPatch.context() as patch:
        break_import_of(patch, "pytorchkr.txt", "boom")
        admin_client.post(confirm_url(job))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and "boom" in job.error
    assert not Paper.objects.filter(title="Llama 3").exists()
    assert Digest.objects.filter(name="zh.txt").exists()
    admin_client.post(reverse("admin:papers_importjob_retry", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert Paper.objects.filter(title="Llama 3").exists()
