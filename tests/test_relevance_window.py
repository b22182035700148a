"""Relevance orders the newest RANK_WINDOW matches of a search; counts, other sorts and feeds see all."""

import csv
import io
import json
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from papers.models import NEWEST, Paper
from papers.search import query as search_query
from papers.search.index import refresh_papers

pytestmark = pytest.mark.django_db
LIST = reverse("paper_list")


@pytest.fixture
def matches() -> list[str]:
    """Five papers about transformers, oldest first; the oldest says it in its title most often."""
    titles = [
        "Transformer transformer transformer: a transformer study",
        "Sparse transformers for long inputs",
        "A note on recurrent networks and transformers",
        "Transformers at scale: training one transformer",
        "Kernels, with a remark on transformers",
    ]
    for year, title in enumerate(titles, start=2019):
        Paper.objects.create(title=title, published=date(year, 6, 1))
    Paper.objects.create(title="Unrelated convolution paper", published=date(2025, 1, 1))
    refresh_papers(Paper.objects.values_list("pk", flat=True))
    return titles


def result_titles(client, **params) -> list[str]:
    response = client.get(LIST, {"q": "transformer", "format": "json", **params})
    return [paper["title"] for paper in json.loads(response.content)["results"]]


def test_a_window_larger_than_the_matches_ranks_every_match(client, matches):
    ranked = result_titles(client)
    assert sorted(ranked) == sorted(matches)
    assert ranked[0] == matches[0]  # the strongest match is the oldest one
    assert "among the newest" not in client.get(LIST, {"q": "transformer"}).content.decode()


def test_relevance_ranks_only_the_newest_matches_and_says_so(client, matches, monkeypatch):
    monkeypatch.setattr(search_query, "RANK_WINDOW", 3)
    newest_three = matches[-3:]
    ranked = result_titles(client)
    assert sorted(ranked) == sorted(newest_three)
    strongest = "Transformers at scale: training one transformer"
    assert ranked[0] == strongest

    page = client.get(LIST, {"q": "transformer"}).content.decode()
    assert "Ordered by relevance among the newest 3 matches." in page
    assert "5 papers" in page  # the count is of every match, not of the window
    assert "sort=newest" in page


def test_other_sorts_exports_and_feeds_list_every_match(client, matches, monkeypatch):
    monkeypatch.setattr(search_query, "RANK_WINDOW", 3)
    assert result_titles(client, sort="newest") == matches[::-1]
    exported = client.get(LIST, {"q": "transformer", "format": "csv"}).getvalue().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(exported)))[1:]
    assert sorted(row[0] for row in rows) == sorted(matches)
    assert rows[0][0] == matches[0]  # ranked over every match: the strongest, oldest one first
    feed = client.get(reverse("paper_feed_atom"), {"q": "transformer"}).content.decode()
    positions = [feed.index(title) for title in matches[::-1]]
    assert positions == sorted(positions)  # a feed lists the newest first, whatever the relevance


def test_a_relevance_page_counts_from_the_window_without_counting_again(client, matches, monkeypatch):
    monkeypatch.setattr(search_query, "COUNT_CAP", 2)
    with CaptureQueriesContext(connection) as relevance:
        page = client.get(LIST, {"q": "transformer"}).content.decode()
    assert "2+ papers" in page
    assert not [q for q in relevance.captured_queries if "COUNT(" in q["sql"] and "LIMIT 3" in q["sql"]]
    with CaptureQueriesContext(connection) as newest:
        client.get(LIST, {"q": "transformer", "sort": "newest"})
    assert [q for q in newest.captured_queries if "COUNT(" in q["sql"] and "LIMIT 3" in q["sql"]]


@pytest.mark.parametrize(
    "query",
    [
        "強化学習",
        "強化学習 transformer",
        '"強化学習"',
        "学習",
        "強化学習 OR transformer",
        "-強化学習 transformer",
    ],
)
def test_newest_matches_equal_the_search_newest_first(matches, query):
    texts = {
        "Policies, with reinforcement": "本研究は強化学習の方策を改善する。",  # the phrase itself
        "Scattered words": "強化の話と化学の話と学習の話。",  # its bigrams, never adjacent
        "A transformer for control": "強化学習でtransformerを訓練する。",
    }
    for year, (title, text) in enumerate(texts.items(), start=2030):
        paper = Paper.objects.create(title=title, published=date(year, 1, 1))
        paper.summaries.create(language="ja", kind="summary", text=text)
    refresh_papers(Paper.objects.values_list("pk", flat=True))
    papers = Paper.objects.published()

    expected = list(papers.search(query).order_by(*NEWEST).values_list("pk", flat=True)[:10])
    with CaptureQueriesContext(connection) as captured:
        assert papers.newest_matches(query, 10) == expected
    phrase_checked_apart = any("OFFSET 0" in q["sql"] for q in captured.captured_queries)
    assert phrase_checked_apart == (query in ("強化学習", "強化学習 transformer", '"強化学習"'))
    if query == "強化学習":
        titles = set(Paper.objects.filter(pk__in=expected).values_list("title", flat=True))
        assert titles == {"Policies, with reinforcement", "A transformer for control"}
