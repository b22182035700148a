"""The "Editors" group (migration 0004): the catalogue, uploads and merges, nothing on users or groups;
readers and anonymous visitors never get past the admin login; admin POSTs need a CSRF token."""

import importlib
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test import Client
from django.urls import reverse

from papers.models import Author, Paper, Summary

pytestmark = pytest.mark.django_db

CATALOGUE = [
    "paper",
    "summary",
    "author",
    "authorship",
    "category",
    "paperlink",
    "score",
    "relatedpaper",
    "digestentry",
    "digest",
]
EXPECTED = {
    f"papers.{action}_{model}" for model in CATALOGUE for action in ("view", "add", "change", "delete")
} | {
    "papers.view_source",
    "papers.view_importjob",
    "papers.add_importjob",
    "papers.change_importjob",
    "papers.view_importjobfile",
    "papers.upload_digest",
    "papers.merge_paper",
    "papers.merge_author",
}


def group_permissions() -> set[str]:
    group = Group.objects.get(name="Editors")
    return {
        f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")
    }


@pytest.fixture
def editor(django_user_model, editors_group):
    user = django_user_model.objects.create_user("editor", password="x", is_staff=True)
    user.groups.add(editors_group)
    return user


@pytest.fixture
def two_papers():
    return [Paper.objects.create(title="Mamba"), Paper.objects.create(title="Mamba (v2)")]


def merge_action(papers) -> dict:
    return {"action": "merge_selected", "_selected_action": [paper.pk for paper in papers]}


def test_the_group_has_exactly_the_editors_permissions(editors_group):
    assert group_permissions() == EXPECTED


def test_the_migration_is_reversible_and_can_run_again():
    migration = importlib.import_module("papers.migrations.0004_editors_group")
    apps = MigrationLoader(connection).project_state(("papers", "0004_editors_group")).apps
    schema_editor = SimpleNamespace(connection=connection)
    migration.delete_editors(apps, schema_editor)
    assert not Group.objects.filter(name="Editors").exists()
    migration.create_editors(apps, schema_editor)
    migration.create_editors(apps, schema_editor)
    assert group_permissions() == EXPECTED


def test_an_editor_works_on_the_catalogue_and_merges(client, editor, two_papers):
    client.force_login(editor)
    for name in ["admin:index", "admin:papers_paper_changelist", "admin:papers_author_changelist"]:
        assert client.get(reverse(name)).status_code == 200, name
    assert client.get(reverse("admin:papers_paper_history", args=[two_papers[0].pk])).status_code == 200
    response = client.post(reverse("admin:papers_paper_changelist"), merge_action(two_papers))
    assert response.status_code == 200
    assert response.templates[0].name == "admin/papers/paper/merge.html"
    client.post(
        reverse("admin:papers_paper_changelist"),
        {**merge_action(two_papers), "post": "yes", "keep": two_papers[0].pk},
    )
    assert Paper.objects.count() == 1


@pytest.mark.parametrize(
    "url", ["/admin/auth/user/", "/admin/auth/group/", "/admin/auth/user/add/", "/admin/auth/group/add/"]
)
def test_an_editor_cannot_manage_users_or_groups(client, editor, url):
    client.force_login(editor)
    assert client.get(url).status_code == 403


def admin_urls() -> list[str]:
    paper = Paper.objects.create(title="KAN")
    author = Author.objects.create(name="Ziming Liu")
    summary = Summary.objects.create(paper=paper, language="ja", kind="summary", text="要約")
    return [
        reverse("admin:index"),
        reverse("admin:papers_paper_changelist"),
        reverse("admin:papers_paper_change", args=[paper.pk]),
        reverse("admin:papers_paper_history", args=[paper.pk]),
        reverse("admin:papers_author_changelist"),
        reverse("admin:papers_author_change", args=[author.pk]),
        reverse("admin:papers_summary_change", args=[summary.pk]),
        reverse("admin:papers_summary_history", args=[summary.pk]),
        reverse("admin:papers_digest_changelist"),
        reverse("admin:auth_user_changelist"),
        reverse("admin:auth_group_changelist"),
    ]


@pytest.mark.parametrize("who", ["anonymous", "reader"])
def test_readers_and_anonymous_visitors_are_sent_to_the_admin_login(client, django_user_model, who):
    if who == "reader":
        client.force_login(django_user_model.objects.create_user("reader", password="x"))
    for url in admin_urls():
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(f"{reverse('admin:login')}?next="), url
    papers = Paper.objects.all()
    response = client.post(reverse("admin:papers_paper_changelist"), {**merge_action(papers), "post": "yes"})
    assert response.status_code == 302 and Paper.objects.count() == 1


def test_a_merge_post_without_a_csrf_token_is_refused(editor, two_papers):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    changelist = reverse("admin:papers_paper_changelist")
    data = {**merge_action(two_papers), "post": "yes", "keep": two_papers[0].pk}
    assert client.post(changelist, data).status_code == 403
    assert Paper.objects.count() == 2
    client.get(changelist)  # sets the CSRF cookie, as a browser would before posting the form
    token = client.cookies["csrftoken"].value
    assert client.post(changelist, {**data, "csrfmiddlewaretoken": token}).status_code == 302
    assert Paper.objects.count() == 1
