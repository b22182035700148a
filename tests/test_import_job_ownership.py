"""Import jobs belong to the editor who uploaded them. Another editor gets 404 for every page and action
of the job (the same answer as for a job that does not exist, so ids cannot be probed) and does not see it
in the list; a superuser, or a user given "view_all_imports" (which the Editors group does not have),
sees every job but acts (retry, confirm, discard) only on their own."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from papers.jobs import create_job
from papers.models import Digest, ImportJob
from papers.uploads import UploadedDigest
from tests.conftest import SAMPLES

pytestmark = pytest.mark.django_db

ZH = (SAMPLES / "zh_digest_sample.txt").read_bytes()
Status = ImportJob.Status


@pytest.fixture
def editor(django_user_model, editors_group):
    def make(username: str):
        user = django_user_model.objects.create_user(username, password="x", is_staff=True)
        user.groups.add(editors_group)
        return user

    return make


@pytest.fixture
def alice(editor):
    return editor("alice")


@pytest.fixture
def bob(editor):
    return editor("bob")


@pytest.fixture
def failed_job(alice) -> ImportJob:
    """Alice's confirmed upload whose import failed: it can be retried."""
    job = create_job([UploadedDigest("zh.txt", ZH)], alice)
    ImportJob.objects.filter(pk=job.pk).update(status=Status.FAILED, started_at=timezone.now())
    return job


@pytest.fixture
def preview_job(alice) -> ImportJob:
    """Alice's upload, previewed and not confirmed yet."""
    return create_job([UploadedDigest("zh.txt", ZH)], alice)


def job_page(job: ImportJob) -> str:
    return reverse("admin:papers_importjob_change", args=[job.pk])


def retry(job: ImportJob) -> str:
    return reverse("admin:papers_importjob_retry", args=[job.pk])


def test_another_editors_job_is_404_on_every_page_and_action(client, bob, failed_job, preview_job):
    client.force_login(bob)
    for url in (
        job_page(failed_job),
        reverse("admin:papers_importjob_history", args=[failed_job.pk]),
        reverse("admin:papers_importjob_delete", args=[failed_job.pk]),
        reverse("admin:papers_digest_upload_preview", args=[preview_job.pk]),
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        retry(failed_job),
        reverse("admin:papers_digest_upload_confirm", args=[preview_job.pk]),
        reverse("admin:papers_digest_upload_cancel", args=[preview_job.pk]),
    ):
        assert client.post(url).status_code == 404, url
    failed_job.refresh_from_db()
    preview_job.refresh_from_db()
    assert failed_job.status == Status.FAILED and preview_job.started_at is None
    assert Digest.objects.count() == 0
    changelist = client.get(reverse("admin:papers_importjob_changelist"))
    assert changelist.status_code == 200 and list(changelist.context["cl"].result_list) == []


def test_a_hidden_job_answers_like_a_job_that_does_not_exist(client, bob, failed_job):
    client.force_login(bob)
    missing = ImportJob(pk=failed_job.pk + 1000)
    for job in (failed_job, missing):
        assert client.get(job_page(job)).status_code == 404
        assert client.post(retry(job)).status_code == 404


def test_the_owner_sees_and_retries_their_job(client, alice, bob, failed_job):
    create_job([UploadedDigest("bob.txt", ZH)], bob)  # not in Alice's list
    client.force_login(alice)
    page = client.get(job_page(failed_job))
    assert page.status_code == 200 and "Retry failed files" in page.content.decode()
    changelist = client.get(reverse("admin:papers_importjob_changelist"))
    assert list(changelist.context["cl"].result_list) == [failed_job]
    response = client.post(retry(failed_job))
    assert response.status_code == 302 and response["Location"] == job_page(failed_job)
    failed_job.refresh_from_db()
    assert failed_job.status == Status.DONE and Digest.objects.filter(name="zh.txt").exists()


def test_a_superuser_sees_and_retries_every_job(admin_client, failed_job, preview_job):
    assert admin_client.get(job_page(failed_job)).status_code == 200
    assert (
        admin_client.get(reverse("admin:papers_digest_upload_preview", args=[preview_job.pk])).status_code
        == 200
    )
    changelist = admin_client.get(reverse("admin:papers_importjob_changelist"))
    assert set(changelist.context["cl"].result_list) == {failed_job, preview_job}
    assert admin_client.post(retry(failed_job)).status_code == 302
    failed_job.refresh_from_db()
    assert failed_job.status == Status.DONE


def test_view_all_imports_shows_every_job_but_acting_stays_with_its_owner(
    client, bob, failed_job, preview_job, editors_group
):
    permission = Permission.objects.get(content_type__app_label="papers", codename="view_all_imports")
    assert permission not in editors_group.permissions.all()  # not given to editors by default
    bob.user_permissions.add(permission)
    client.force_login(bob)
    page = client.get(job_page(failed_job))
    assert page.status_code == 200 and "Retry failed files" not in page.content.decode()
    preview = client.get(reverse("admin:papers_digest_upload_preview", args=[preview_job.pk]))
    assert preview.status_code == 200 and "Discard this upload" not in preview.content.decode()
    changelist = client.get(reverse("admin:papers_importjob_changelist"))
    assert set(changelist.context["cl"].result_list) == {failed_job, preview_job}
    # Bob may look, not act: the job exists for him, so this is a 403, not a 404.
    assert client.post(retry(failed_job)).status_code == 403
    assert (
        client.post(reverse("admin:papers_digest_upload_confirm", args=[preview_job.pk])).status_code == 403
    )
    failed_job.refresh_from_db()
    assert failed_job.status == Status.FAILED and Digest.objects.count() == 0
