import pytest
from django.contrib import admin
from django.urls import reverse

from papers.ingest.importer import import_digest
from papers.jobs import create_job
from papers.uploads import UploadedDigest
from tests.conftest import SAMPLES

pytestmark = pytest.mark.django_db

PAPERS_MODELS = [model for model in admin.site._registry if model._meta.app_label == "papers"]
READ_ONLY_MODELS = {"ImportJob"}  # upload jobs are created by the upload page, never by hand


@pytest.fixture
def demo_data():
    for path in sorted(SAMPLES.glob("*.txt")):
        assert import_digest(path.read_bytes(), path.name).ok
    create_job([UploadedDigest("a.txt", b"x")], None)


def test_every_papers_model_is_in_the_admin():
    names = {model.__name__ for model in PAPERS_MODELS}
    expected = {"Paper", "Author", "Authorship", "Category", "Summary", "Source", "Digest", "DigestEntry"}
    assert expected | {"PaperLink", "Score", "RelatedPaper"} <= names


@pytest.mark.parametrize("model", PAPERS_MODELS, ids=lambda model: model.__name__)
def test_changelist_add_and_change_pages_load_for_a_superuser(admin_client, demo_data, model):
    opts = model._meta
    assert (
        admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")).status_code == 200
    )
    add = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    assert add.status_code == (403 if model.__name__ in READ_ONLY_MODELS else 200)
    obj = model.objects.first()
    assert obj is not None, f"demo data has no {opts.model_name}"
    change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    assert admin_client.get(change).status_code == 200


def test_admin_search_finds_papers_by_author(admin_client, demo_data):
    response = admin_client.get(reverse("admin:papers_paper_changelist"), {"q": "Tri Dao"})
    assert response.status_code == 200
    assert "Mamba" in response.content.decode()


def test_anonymous_users_are_sent_to_the_admin_login(client):
    response = client.get(reverse("admin:papers_paper_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
