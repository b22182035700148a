"""Query parameters no value can satisfy (a year past 2200, month 13, an unknown score band) combined with
a search: the list is empty, in every output, and never a server error."""

import json

import pytest
from django.urls import reverse
from lxml import etree

from papers.models import Paper

pytestmark = pytest.mark.django_db

# Each selects nothing by construction: the filter turns it into an always-false condition.
IMPOSSIBLE_FILTERS = [
    {"year": "11242208"},
    {"year": "-1"},
    {"month": "2024-13"},
    {"month": "9999-99"},
    {"score": "excellent"},
    {"digests": "7"},
    {"code": "maybe"},
]
# A phrase (quoted, or a CJK word, which the search indexes as overlapping bigrams) takes the relevance
# window's phrase path; a plain word takes the other one.
SEARCHES = ['"unclosed phrase', '"Kolmogorov Arnold"', "関数近似", "KAN"]


@pytest.mark.parametrize("search", SEARCHES)
@pytest.mark.parametrize("impossible", IMPOSSIBLE_FILTERS, ids=lambda f: "=".join(*f.items()))
def test_a_search_with_a_filter_nothing_can_match_is_an_empty_list(client, demo_papers, search, impossible):
    params = {"q": search, **impossible}
    page = client.get(reverse("paper_list"), params)
    assert page.status_code == 200
    assert page.context["page"].papers == [] and page.context["page"].count == 0

    exported = client.get(reverse("paper_list"), {**params, "format": "json"})
    assert exported.status_code == 200
    assert json.loads(exported.content)["results"] == []

    feed = client.get(reverse("paper_feed_atom"), params)
    assert feed.status_code == 200
    assert etree.fromstring(feed.content).findall("{http://www.w3.org/2005/Atom}entry") == []


def test_the_issue_url_is_an_empty_list(client, demo_papers):
    response = client.get('/papers/?year=11242208&q="unclosed phrase')
    assert response.status_code == 200
    assert response.context["page"].count == 0


def test_the_same_search_without_the_impossible_filter_still_finds_papers(client, demo_papers):
    """The empty lists above come from the filter, not from a search that finds nothing anyway."""
    for search in SEARCHES[1:]:
        found = client.get(reverse("paper_list"), {"q": search, "format": "json"}).json()
        assert found["count"] > 0, search


def test_newest_matches_of_an_empty_selection_is_empty(demo_papers):
    assert Paper.objects.none().newest_matches('"Kolmogorov Arnold"', 10) == []
    assert Paper.objects.filter(pk__in=[]).newest_matches("関数近似", 10) == []
    assert Paper.objects.all().newest_matches('"Kolmogorov Arnold"', 10) != []


@pytest.mark.parametrize(
    "url",
    [
        '/categories/{code}/?year=11242208&q="unclosed phrase',
        "/authors/{author}/?month=2024-13&q=関数近似&sort=relevance",
        '/papers/feed/rss/?code=maybe&q="Kolmogorov Arnold"',
        '/papers/?score=excellent&q="Kolmogorov Arnold"&format=csv',
    ],
)
def test_every_list_url_answers_the_impossible_search(client, demo_papers, url):
    paper = Paper.objects.published().filter(categories__isnull=False, authors__isnull=False).first()
    code = paper.categories.first().code
    response = client.get(url.format(code=code, author=paper.authors.first().pk))
    assert response.status_code == 200
