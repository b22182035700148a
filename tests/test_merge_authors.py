"""Merging two spellings of one author: authorships move, positions stay 1..n, old pages redirect."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from papers.curation import merge_authors
from papers.models import Author, AuthorRedirect, Authorship, Paper
from papers.search.index import refresh_papers

pytestmark = pytest.mark.django_db


def paper_with(title: str, *names: str) -> Paper:
    paper = Paper.objects.create(title=title)
    for position, name in enumerate(names, start=1):
        author, _ = Author.objects.get_or_create(name=name)
        Authorship.objects.create(paper=paper, author=author, position=position)
    refresh_papers([paper.pk])
    return paper


def listing(paper: Paper) -> list[tuple[int, str]]:
    return list(paper.authorships.order_by("position").values_list("position", "author__name"))


@pytest.fixture
def spellings():
    mamba = paper_with("Mamba", "A Gu", "T Dao")
    s4 = paper_with("S4", "Albert Gu", "Karan Goel", "Christopher Ré")
    # A digest that printed both spellings of one person on one paper.
    hippo = paper_with("HiPPO", "Tri Dao", "Albert Gu", "Stefano Ermon", "A Gu")
    return Author.objects.get(name="Albert Gu"), Author.objects.get(name="A Gu"), mamba, s4, hippo


def test_authorships_move_to_the_author_that_stays(spellings):
    albert, a_gu, mamba, s4, _ = spellings
    report = merge_authors(albert, [a_gu], user=None)
    assert not Author.objects.filter(name="A Gu").exists()
    assert listing(mamba) == [(1, "Albert Gu"), (2, "T Dao")]
    assert listing(s4)[0] == (1, "Albert Gu")
    assert report.moved["papers"] == 2


def test_a_paper_listing_both_keeps_one_authorship_at_the_earlier_position(spellings):
    albert, a_gu, *_, hippo = spellings
    merge_authors(albert, [a_gu], user=None)
    assert listing(hippo) == [(1, "Tri Dao"), (2, "Albert Gu"), (3, "Stefano Ermon")]


def test_the_earlier_position_wins_whichever_spelling_it_had():
    paper = paper_with("Jamba", "A Gu", "Opher Lieber", "Albert Gu", "Barak Lenz")
    merge_authors(Author.objects.get(name="Albert Gu"), [Author.objects.get(name="A Gu")], user=None)
    assert listing(paper) == [(1, "Albert Gu"), (2, "Opher Lieber"), (3, "Barak Lenz")]


def test_one_name_printed_twice_stays_two_people():
    paper = paper_with("Hammer", "Jun Wang", "Weinan Zhang", "Jun Wang")
    paper_with("Other", "J Wang")
    merge_authors(Author.objects.get(name="Jun Wang"), [Author.objects.get(name="J Wang")], user=None)
    assert listing(paper) == [(1, "Jun Wang"), (2, "Weinan Zhang"), (3, "Jun Wang")]


def test_search_finds_the_papers_under_the_name_that_stays(spellings):
    albert, a_gu, mamba, *_ = spellings
    assert mamba.pk not in Paper.objects.search('"Albert Gu"').values_list("pk", flat=True)
    merge_authors(albert, [a_gu], user=None)
    assert mamba.pk in Paper.objects.search('"Albert Gu"').values_list("pk", flat=True)


def test_the_old_author_page_redirects_permanently(client, spellings):
    albert, a_gu, *_ = spellings
    old_id = a_gu.pk
    merge_authors(albert, [a_gu], user=None)
    response = client.get(f"/authors/{old_id}/?sort=newest")
    assert response.status_code == 301
    assert response["Location"] == f"/authors/{albert.pk}/?sort=newest"
    assert client.get(response["Location"]).status_code == 200
    assert client.get(f"/authors/{old_id + 1000}/").status_code == 404


def test_merging_again_repoints_earlier_redirects(client, spellings):
    albert, a_gu, *_ = spellings
    gu = Author.objects.create(name="Gu, Albert")
    merge_authors(albert, [a_gu], user=None)
    merge_authors(gu, [albert], user=None)
    assert set(AuthorRedirect.objects.values_list("old_id", "author_id")) == {
        (a_gu.pk, gu.pk),
        (albert.pk, gu.pk),
    }
    assert client.get(f"/authors/{a_gu.pk}/")["Location"] == f"/authors/{gu.pk}/"


def test_nothing_to_merge_is_refused(spellings):
    albert, *_ = spellings
    with pytest.raises(ValueError):
        merge_authors(albert, [], user=None)


def test_the_admin_action_shows_the_choice_then_merges(admin_client, spellings):
    albert, a_gu, *_ = spellings
    changelist = reverse("admin:papers_author_changelist")
    selected = {"action": "merge_selected", "_selected_action": [albert.pk, a_gu.pk]}
    page = admin_client.get(changelist)
    assert "Merge selected authors…" in page.content.decode()
    response = admin_client.post(changelist, selected)
    assert response.status_code == 200
    assert response.templates[0].name == "admin/papers/author/merge.html"
    assert {author.name: author.papers_n for author in response.context["rows"]} == {
        "Albert Gu": 2,
        "A Gu": 2,
    }
    assert response.context["keep_pk"] == str(albert.pk)  # as many papers, the fuller name
    response = admin_client.post(changelist, {**selected, "post": "yes", "keep": albert.pk})
    assert response.status_code == 302
    message = str(next(iter(get_messages(response.wsgi_request))))
    assert message.startswith("Merged 1 author into “Albert Gu”")
    assert not Author.objects.filter(pk=a_gu.pk).exists()


def test_a_choice_outside_the_selection_merges_nothing(admin_client, spellings):
    albert, a_gu, *_ = spellings
    stranger = Author.objects.get(name="Karan Goel")
    response = admin_client.post(
        reverse("admin:papers_author_changelist"),
        {
            "action": "merge_selected",
            "_selected_action": [albert.pk, a_gu.pk],
            "post": "yes",
            "keep": stranger.pk,
        },
    )
    assert response.status_code == 200  # the page again, with the error
    assert "errornote" in response.content.decode()
    assert Author.objects.filter(pk=a_gu.pk).exists()
