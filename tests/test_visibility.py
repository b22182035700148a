"""Hiding and publishing papers and summaries: readers stop (or start) seeing them at once, search and
facets follow in the same transaction, and each change is in the history with its editor."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from papers.curation import set_visibility
from papers.models import Author, Paper, Summary

pytestmark = pytest.mark.django_db

KAN = "2404.19756"


def found(query: str) -> set[str]:
    return set(Paper.objects.published().search(query).values_list("arxiv_id", flat=True))


def test_hiding_a_paper_removes_it_for_readers_and_publishing_brings_it_back(client, demo_papers):
    assert set_visibility(Paper.objects.filter(arxiv_id=KAN), "hidden") == 1
    assert client.get(f"/papers/{KAN}/").status_code == 404
    assert KAN not in found("Kolmogorov")
    assert set_visibility(Paper.objects.filter(arxiv_id=KAN), "hidden") == 0  # nothing left to change
    assert set_visibility(Paper.objects.filter(arxiv_id=KAN), "published") == 1
    assert client.get(f"/papers/{KAN}/").status_code == 200
    assert KAN in found("Kolmogorov")


def test_hiding_summaries_refreshes_search_and_the_language_facet(demo_papers):
    kan = Paper.objects.get(arxiv_id=KAN)
    assert KAN in found("コルモゴロフ")
    set_visibility(kan.summaries.filter(language="ja"), "hidden")
    kan.refresh_from_db()
    assert "ja" not in kan.languages
    assert KAN not in found("コルモゴロフ")


def test_every_change_has_a_history_record_with_the_editor(demo_papers, admin_user):
    summaries = Summary.objects.filter(paper__arxiv_id=KAN, language="ja")
    count = set_visibility(summaries, "hidden", user=admin_user)
    records = Summary.history.filter(history_type="~", visibility="hidden")
    assert records.count() == count > 0
    assert {record.history_user for record in records} == {admin_user}


def test_only_papers_and_summaries(demo_papers):
    with pytest.raises(TypeError):
        set_visibility(Author.objects.all(), "hidden")
    with pytest.raises(ValueError):
        set_visibility(Paper.objects.all(), "secret")


@pytest.mark.parametrize("model", ["paper", "summary"])
def test_the_admin_actions_hide_and_publish(admin_client, admin_user, demo_papers, model):
    rows = (Paper if model == "paper" else Summary).objects.filter(
        **({"arxiv_id": KAN} if model == "paper" else {"paper__arxiv_id": KAN})
    )
    ids = list(rows.values_list("pk", flat=True))
    changelist = reverse(f"admin:papers_{model}_changelist")
    response = admin_client.post(changelist, {"action": "hide_selected", "_selected_action": ids})
    assert response.status_code == 302
    assert str(next(iter(get_messages(response.wsgi_request)))).endswith("now hidden.")
    assert set(rows.values_list("visibility", flat=True)) == {"hidden"}
    assert rows.model.history.filter(visibility="hidden").first().history_user == admin_user
    admin_client.post(changelist, {"action": "publish_selected", "_selected_action": ids})
    assert set(rows.values_list("visibility", flat=True)) == {"published"}
    assert KAN in found("Kolmogorov")
