"""Merging duplicate papers: everything moves to the paper that stays, nothing is lost silently, old URLs
redirect, and the admin's "Merge selected papers…" action drives it."""

from datetime import date

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from papers.curation import merge_papers
from papers.models import (
    Author,
    Authorship,
    Category,
    Digest,
    DigestEntry,
    Paper,
    PaperLink,
    PaperRedirect,
    RelatedPaper,
    Score,
    Source,
    Summary,
)

pytestmark = pytest.mark.django_db


def digest(name: str, source: Source | None = None) -> Digest:
    source = source or Source.objects.get_or_create(slug="arxiv-jp", defaults={"name": "arxiv.jp"})[0]
    return Digest.objects.create(
        source=source, name=name, checksum=f"{abs(hash(name)):064d}"[:64], status=Digest.Status.IMPORTED
    )


def authors(paper: Paper, *names: str) -> None:
    for position, name in enumerate(names, start=1):
        author, _ = Author.objects.get_or_create(name=name)
        Authorship.objects.create(paper=paper, author=author, position=position)


def names(paper: Paper) -> list[str]:
    return [authorship.author.name for authorship in paper.authorships.order_by("position")]


@pytest.fixture
def duplicates():
    """One paper twice: ``keep`` seen by title only, ``other`` with its arXiv id, both in digest d1."""
    keep = Paper.objects.create(title="KAN: Kolmogorov-Arnold Networks", published=date(2024, 5, 2))
    other = Paper.objects.create(
        title="KAN - Kolmogorov Arnold Networks",
        arxiv_id="2404.19756",
        published=date(2024, 4, 30),
        abstract="Inspired by the Kolmogorov-Arnold representation theorem, we propose KANs.",
    )
    d1, d2 = digest("d1.txt"), digest("d2.txt")
    keep_entry = DigestEntry.objects.create(digest=d1, paper=keep, position=3)
    other_entry = DigestEntry.objects.create(digest=d1, paper=other, position=1)
    only_other = DigestEntry.objects.create(digest=d2, paper=other, position=1)
    Summary.objects.create(paper=keep, entry=keep_entry, language="ja", kind="summary", text="短い要約。")
    Summary.objects.create(
        paper=other, entry=other_entry, language="ja", kind="summary", text="もっと長くて詳しい要約です。"
    )
    Summary.objects.create(
        paper=other, entry=other_entry, language="en", kind="abstract", text="Quokka splines."
    )
    Summary.objects.create(
        paper=other, entry=only_other, language="ko", kind="summary", text="콜모고로프 요약"
    )
    PaperLink.objects.create(paper=keep, kind="code", url="https://github.com/KindXiaoming/pykan")
    PaperLink.objects.create(paper=other, kind="code", url="https://github.com/KindXiaoming/pykan")
    PaperLink.objects.create(
        paper=other, kind="pdf", url="https://arxiv.org/pdf/2404.19756", entry=other_entry
    )
    source = Source.objects.get(slug="arxiv-jp")
    Score.objects.create(paper=keep, source=source, kind="reference_score", value=40)
    Score.objects.create(paper=other, source=source, kind="reference_score", value=58, entry=other_entry)
    keep.categories.add(Category.objects.create(code="cs.LG"))
    other.categories.add(Category.objects.create(code="cs.AI"), Category.objects.get(code="cs.LG"))
    return keep, other


def test_it_moves_every_summary_entry_link_score_and_category(duplicates):
    keep, other = duplicates
    merge_papers(keep, [other], user=None)

    assert not Paper.objects.filter(pk=other.pk).exists()
    assert sorted(keep.entries.values_list("digest__name", "position")) == [("d1.txt", 1), ("d2.txt", 1)]
    texts = sorted(keep.summaries.values_list("entry__digest__name", "language", "text"))
    assert texts == [
        ("d1.txt", "en", "Quokka splines."),
        ("d1.txt", "ja", "もっと長くて詳しい要約です。"),  # the longer of the two texts of one entry
        ("d2.txt", "ko", "콜모고로프 요약"),
    ]
    assert sorted(keep.links.values_list("url", flat=True)) == [
        "https://arxiv.org/pdf/2404.19756",
        "https://github.com/KindXiaoming/pykan",
    ]
    assert keep.links.get(kind="pdf").entry.paper_id == keep.pk  # followed the merged entry
    assert keep.scores.get().value == 58
    assert set(keep.categories.values_list("code", flat=True)) == {"cs.LG", "cs.AI"}
    assert Digest.objects.get(name="d1.txt").summaries_count == 2


def test_blanks_are_filled_and_the_earliest_date_wins(duplicates):
    keep, other = duplicates
    merge_papers(keep, [other], user=None)
    assert keep.title == "KAN: Kolmogorov-Arnold Networks"
    assert keep.arxiv_id == "2404.19756"
    assert keep.abstract.startswith("Inspired by")
    assert keep.published == date(2024, 4, 30)
    assert keep.digest_count == 2 and keep.has_code
    assert "ko" in keep.languages


def test_search_finds_the_merged_paper_by_the_others_texts(duplicates):
    keep, other = duplicates
    merge_papers(keep, [other], user=None)
    assert list(Paper.objects.search("quokka").values_list("pk", flat=True)) == [keep.pk]


def test_an_editors_correction_wins_a_clash_even_when_shorter(duplicates):
    keep, other = duplicates
    keep.summaries.filter(language="ja").update(text="編集者の訂正。", edited_by_editor=True)
    merge_papers(keep, [other], user=None)
    ja = keep.summaries.get(language="ja")
    assert (ja.text, ja.edited_by_editor) == ("編集者の訂正。", True)


def test_curated_relations_move_both_ways_without_self_links_or_duplicates(duplicates):
    keep, other = duplicates
    x = Paper.objects.create(title="KAN 2.0")
    y = Paper.objects.create(title="Wav-KAN")
    RelatedPaper.objects.create(paper=keep, related=x, score=10)
    RelatedPaper.objects.create(paper=other, related=x, score=20)  # duplicate of keep -> x
    RelatedPaper.objects.create(paper=other, related=keep)  # would relate keep to itself
    RelatedPaper.objects.create(paper=y, related=other)
    merge_papers(keep, [other], user=None)
    pairs = set(RelatedPaper.objects.values_list("paper__title", "related__title"))
    assert pairs == {(keep.title, "KAN 2.0"), ("Wav-KAN", keep.title)}


def test_the_fuller_author_list_stays_and_the_other_is_named_in_the_history(duplicates, admin_user):
    keep, other = duplicates
    authors(keep, "Z Liu", "Y Wang")
    authors(other, "Ziming Liu", "Yixuan Wang")
    merge_papers(keep, [other], user=admin_user)
    assert names(keep) == ["Ziming Liu", "Yixuan Wang"]
    record = keep.history.latest()
    assert record.history_user == admin_user
    assert f"merged #{other.pk}" in record.history_change_reason
    assert "Z Liu, Y Wang" in record.history_change_reason


def test_a_tie_keeps_the_author_list_of_the_paper_that_stays(duplicates):
    keep, other = duplicates
    authors(keep, "Ziming Liu", "Max Tegmark")
    authors(other, "Max Tegmark", "Ziming Liu")
    report = merge_papers(keep, [other], user=None)
    assert names(keep) == ["Ziming Liu", "Max Tegmark"]
    assert "Max Tegmark, Ziming Liu" in keep.history.latest().history_change_reason
    assert any("Max Tegmark, Ziming Liu" in note for note in report.notes)


def test_the_others_keys_redirect_permanently_and_keep_the_query_string(client, duplicates):
    keep, other = duplicates
    old_slug = other.slug
    PaperRedirect.objects.create(old_key="kan-preprint", paper=other)  # from an earlier merge
    merge_papers(keep, [other], user=None)
    assert keep.get_absolute_url() == "/papers/2404.19756/"  # the arXiv id came along: no redirect needed
    for key in [old_slug, "kan-preprint"]:
        response = client.get(f"/papers/{key}/?format=json")
        assert response.status_code == 301, key
        assert response["Location"] == "/papers/2404.19756/?format=json"
    assert client.get("/papers/no-such-paper/").status_code == 404


def test_merging_twice_repoints_the_earlier_redirects(client):
    a, b, c = (Paper.objects.create(title=title) for title in ["Mamba", "Mamba (v2)", "Mamba SSM"])
    merge_papers(b, [a], user=None)
    merge_papers(c, [b], user=None)
    assert set(PaperRedirect.objects.values_list("old_key", "paper_id")) == {(a.slug, c.pk), (b.slug, c.pk)}
    assert client.get(f"/papers/{a.slug}/")["Location"] == c.get_absolute_url()


def test_a_redirect_to_a_hidden_paper_is_not_found(client, duplicates):
    keep, other = duplicates
    merge_papers(keep, [other], user=None)
    Paper.objects.filter(pk=keep.pk).update(visibility="hidden")
    assert client.get(f"/papers/{other.slug}/").status_code == 404


def test_several_others_in_one_merge(duplicates):
    keep, other = duplicates
    third = Paper.objects.create(title="Kolmogorov-Arnold networks (KAN)", published=date(2024, 4, 1))
    DigestEntry.objects.create(digest=Digest.objects.get(name="d2.txt"), paper=third, position=2)
    merge_papers(keep, [other, third, keep], user=None)
    assert Paper.objects.count() == 1
    assert keep.entries.filter(digest__name="d2.txt").count() == 1
    assert keep.published == date(2024, 4, 1)


def test_nothing_to_merge_is_refused(duplicates):
    keep, _ = duplicates
    with pytest.raises(ValueError):
        merge_papers(keep, [keep], user=None)


# -- the admin action ----------------------------------------------------------------------------------


def changelist_post(client, data):
    return client.post(reverse("admin:papers_paper_changelist"), data)


def test_the_merge_page_lists_the_papers_with_their_counts(admin_client, duplicates):
    keep, other = duplicates
    response = changelist_post(
        admin_client, {"action": "merge_selected", "_selected_action": [keep.pk, other.pk]}
    )
    assert response.status_code == 200
    assert response.templates[0].name == "admin/papers/paper/merge.html"
    page = response.content.decode()
    assert page.count('type="radio" name="keep"') == 2
    assert 'name="csrfmiddlewaretoken"' in page
    assert '<ol class="breadcrumbs">' in page
    rows = {paper.pk: (paper.summaries_n, paper.digests_n) for paper in response.context["rows"]}
    assert rows == {keep.pk: (1, 1), other.pk: (3, 2)}
    assert response.context["keep_pk"] == str(other.pk)  # suggested: the one with an arXiv id


def test_posting_the_choice_merges_and_says_what_moved(admin_client, admin_user, duplicates):
    keep, other = duplicates
    response = changelist_post(
        admin_client,
        {"action": "merge_selected", "_selected_action": [keep.pk, other.pk], "post": "yes", "keep": keep.pk},
    )
    assert response.status_code == 302
    message = str(next(iter(get_messages(response.wsgi_request))))
    assert message.startswith("Merged 1 paper into “KAN: Kolmogorov-Arnold Networks”")
    assert "moved 1 digest entry, 3 summaries, 1 link, 1 category, 1 redirect;" in message
    assert "combined duplicate 1 digest entry, 1 summary, 1 link, 1 score" in message
    assert "author list" not in message
    assert not Paper.objects.filter(pk=other.pk).exists()
    assert keep.history.latest().history_user == admin_user
    history = admin_client.get(reverse("admin:papers_paper_history", args=[keep.pk]))
    assert history.status_code == 200
    assert "merged #" in history.content.decode()


def test_the_merge_page_needs_two_papers(admin_client, duplicates):
    keep, _ = duplicates
    response = changelist_post(admin_client, {"action": "merge_selected", "_selected_action": [keep.pk]})
    assert response.status_code == 302
    assert "Select between 2" in str(next(iter(get_messages(response.wsgi_request))))


def test_staff_without_the_merge_permission_cannot_merge(client, django_user_model, duplicates):
    from django.contrib.auth.models import Permission

    keep, other = duplicates
    user = django_user_model.objects.create_user("clerk", password="x", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=["view_paper", "change_paper"]))
    client.force_login(user)
    changelist = client.get(reverse("admin:papers_paper_changelist")).content.decode()
    assert "merge_selected" not in changelist and "hide_selected" in changelist
    changelist_post(
        client,
        {"action": "merge_selected", "_selected_action": [keep.pk, other.pk], "post": "yes", "keep": keep.pk},
    )
    assert Paper.objects.filter(pk=other.pk).exists()


def test_re_importing_a_digest_that_lists_a_merged_away_paper_does_not_bring_it_back(admin_user, tmp_path):
    from papers.ingest.importer import import_digest
    from tests.conftest import SAMPLES

    import_digest((SAMPLES / "pytorchkr_sample.txt").read_bytes(), "week.txt")
    llama = Paper.objects.get(title="Llama 3")  # no arXiv id: matched by title only
    keep = Paper.objects.create(title="Llama 3: Open Foundation Models")
    merge_papers(keep, [llama], admin_user)
    changed = (SAMPLES / "pytorchkr_sample.txt").read_text(encoding="utf-8") + "\n"
    result = import_digest(changed.encode(), "week.txt")  # a corrected file: the importer matches again
    assert result.ok, result.errors
    assert not Paper.objects.filter(title="Llama 3").exists()
    outcome = next(o for o in result.papers if o.paper_id == keep.pk)
    assert outcome.matched_by == "merged"
