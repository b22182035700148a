"""Who reaches the editor workflow: anonymous visitors, reader accounts, editors, superusers × every
admin URL of the upload and curation work. Readers and anonymous visitors never see an admin page;
editors see everything they work with and nothing of user management."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from papers.jobs import create_job
from papers.models import Author, Digest, ImportJob, Paper, Summary
from papers.uploads import UploadedDigest
from tests.conftest import SAMPLES

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "reader", "editor", "superuser"]


@pytest.fixture
def objects(demo_papers):
    job = create_job([UploadedDigest("week.txt", (SAMPLES / "zh_digest_sample.txt").read_bytes())], None)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.FAILED)
    return {
        "paper": Paper.objects.get(arxiv_id="2404.19756"),
        "author": Author.objects.first(),
        "summary": Summary.objects.first(),
        "digest": Digest.objects.first(),
        "job": job,
    }


def editor_urls(o) -> list[str]:
    return [
        reverse("admin:index"),
        reverse("admin:papers_digest_changelist"),
        reverse("admin:papers_digest_change", args=[o["digest"].pk]),
        reverse("admin:papers_digest_upload"),
        reverse("admin:papers_importjob_changelist"),
        reverse("admin:papers_importjob_change", args=[o["job"].pk]),
        reverse("admin:papers_paper_changelist"),
        reverse("admin:papers_paper_change", args=[o["paper"].pk]),
        reverse("admin:papers_paper_history", args=[o["paper"].pk]),
        reverse("admin:papers_author_changelist"),
        reverse("admin:papers_author_change", args=[o["author"].pk]),
        reverse("admin:papers_summary_changelist"),
        reverse("admin:papers_summary_change", args=[o["summary"].pk]),
        reverse("admin:papers_summary_history", args=[o["summary"].pk]),
        reverse("newsletter") + f"?digest={o['digest'].pk}&lang=ja",
    ]


USER_ADMIN = ["admin:auth_user_changelist", "admin:auth_user_add", "admin:auth_group_changelist"]


def log_in(client, django_user_model, role: str, editors: Group, job: ImportJob | None = None) -> None:
    """Logs the role in; ``job`` becomes the user's upload (an editor sees only their own jobs)."""
    if role == "anonymous":
        return
    if role == "superuser":
        user = django_user_model.objects.create_superuser("root", password="x")
    else:
        user = django_user_model.objects.create_user(role, password="x", is_staff=role == "editor")
        if role == "editor":
            user.groups.add(editors)
    if job is not None:
        ImportJob.objects.filter(pk=job.pk).update(created_by=user)
    client.force_login(user)


@pytest.mark.parametrize("role", ROLES)
def test_every_editor_url(client, django_user_model, objects, role, editors_group):
    log_in(client, django_user_model, role, editors_group, objects["job"])
    for url in editor_urls(objects):
        response = client.get(url)
        if role in ("anonymous", "reader"):
            assert response.status_code == 302, (role, url)
            assert response["Location"].startswith(reverse("admin:login")), (role, url)
        else:
            assert response.status_code == 200, (role, url)


@pytest.mark.parametrize("role", ROLES)
def test_user_management(client, django_user_model, role, editors_group):
    log_in(client, django_user_model, role, editors_group)
    for name in USER_ADMIN:
        status = client.get(reverse(name)).status_code
        assert status == {"anonymous": 302, "reader": 302, "editor": 403, "superuser": 200}[role], (
            role,
            name,
        )


@pytest.mark.parametrize("role", ROLES)
def test_editor_actions_by_post(client, django_user_model, objects, role, editors_group):
    log_in(client, django_user_model, role, editors_group, objects["job"])
    papers = Paper.objects.filter(arxiv_id__in=["2404.19756", "2312.00752"])
    merge = client.post(
        reverse("admin:papers_paper_changelist"),
        {"action": "merge_selected", "_selected_action": [p.pk for p in papers]},
    )
    retry = client.post(reverse("admin:papers_importjob_retry", args=[objects["job"].pk]))
    if role in ("anonymous", "reader"):
        assert merge.status_code == retry.status_code == 302
        assert ImportJob.objects.get(pk=objects["job"].pk).status == ImportJob.Status.FAILED
    else:
        assert merge.status_code == 200 and "Merge into the chosen paper" in merge.content.decode()
        assert retry.status_code == 302
