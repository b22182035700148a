"""Admin edits refresh the search vector in the same transaction: search is never stale."""

import pytest
from django.urls import reverse

from papers.models import Author, Paper, Summary

pytestmark = pytest.mark.django_db


def found(query: str) -> set[str]:
    return set(Paper.objects.published().search(query).values_list("title", flat=True))


def test_editing_a_summary_in_the_admin_updates_search(admin_client, demo_papers):
    summary = Summary.objects.filter(paper__arxiv_id="2404.19756", language="en").first()
    url = reverse("admin:papers_summary_change", args=[summary.pk])
    data = {
        "paper": summary.paper_id,
        "entry": summary.entry_id,
        "language": "en",
        "kind": summary.kind,
        "text": "Spline-based quokkas replace perceptrons.",
        "visibility": "published",
    }
    assert admin_client.post(url, data).status_code == 302
    assert "KAN: Kolmogorov-Arnold Networks" in found("quokkas")


def test_renaming_an_author_updates_their_papers(admin_client, demo_papers):
    author = Author.objects.get(name="Tri Dao")
    url = reverse("admin:papers_author_change", args=[author.pk])
    assert admin_client.post(url, {"name": "Tri Dao-Quokka"}).status_code == 302
    assert "Mamba: Linear-Time Sequence Modeling with Selective State Spaces" in found('"Dao-Quokka"')


def test_deleting_summaries_in_the_admin_updates_search(admin_client, demo_papers):
    kan = Paper.objects.get(arxiv_id="2404.19756")
    assert "KAN: Kolmogorov-Arnold Networks" in found("コルモゴロフ")
    ids = [str(pk) for pk in kan.summaries.filter(language="ja").values_list("pk", flat=True)]
    response = admin_client.post(
        reverse("admin:papers_summary_changelist"),
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )
    assert response.status_code == 302
    assert "KAN: Kolmogorov-Arnold Networks" not in found("コルモゴロフ")
    kan.refresh_from_db()
    assert "ja" not in kan.languages
