"""Facet counts equal direct database counts; OR within a facet, AND across facets."""

from urllib.parse import urlencode

import pytest
from django.http import QueryDict
from hypothesis import given
from hypothesis import strategies as st

from papers.models import DigestEntry, Paper
from papers.search.facets import ToggleLinks, compute_facets
from papers.search.filters import PaperFilterSet
from tests.fuzzing import fuzz

pytestmark = pytest.mark.django_db


def facets_for(query: str) -> dict[str, dict[str, int]]:
    data = QueryDict(query)
    return {
        f.name: {v.value: v.count for v in f.values} for f in compute_facets(data, Paper.objects.published())
    }


def matching(query: str):
    return PaperFilterSet(QueryDict(query), queryset=Paper.objects.published()).qs


def without(query: str, name: str) -> str:
    """The query less one facet's parameter: what that facet's own counts are computed on."""
    data = QueryDict(query, mutable=True)
    data.pop(name, None)
    return data.urlencode()


def direct_category_counts(papers) -> dict[str, int]:
    counts = {}
    for paper in papers:
        for code in paper.categories.values_list("code", flat=True):
            counts[code] = counts.get(code, 0) + 1
    return counts


@pytest.mark.parametrize(
    "query", ["", "language=zh", "q=model", "source=arxiv-jp&year=2024", "code=yes&language=ja"]
)
def test_category_and_language_counts_equal_direct_counts(seed_papers, query):
    facets = facets_for(query)
    assert facets["category"] == direct_category_counts(matching(without(query, "category")))
    papers = list(matching(without(query, "language")))
    for language, count in facets["language"].items():
        assert count == sum(1 for paper in papers if language in paper.languages)


def test_source_and_digest_counts_equal_direct_counts(seed_papers):
    facets = facets_for("language=ja")
    papers = matching("language=ja")
    for slug, count in facets["source"].items():
        direct = (
            DigestEntry.objects.filter(paper__in=papers, digest__source__slug=slug).values("paper").distinct()
        )
        assert count == direct.count()
    for digest_id, count in facets["digest"].items():
        assert count == DigestEntry.objects.filter(paper__in=papers, digest_id=int(digest_id)).count()


def test_values_of_one_facet_combine_with_or(seed_papers):
    zh = matching("language=zh").count()
    ko_or_zh = matching("language=zh&language=ko").count()
    en = matching("language=en").count()
    en_or_zh = matching("language=en&language=zh").count()
    assert en_or_zh == Paper.objects.published().filter(languages__overlap=["en", "zh"]).count()
    assert en_or_zh >= max(en, zh) and ko_or_zh == zh


def test_different_facets_combine_with_and(seed_papers):
    both = set(matching("language=zh&category=cs.CL"))
    assert both == set(matching("language=zh")) & set(matching("category=cs.CL"))


def test_a_facets_counts_ignore_its_own_selection_but_follow_the_others(seed_papers):
    unfiltered = facets_for("")["language"]
    with_zh = facets_for("language=zh")
    assert with_zh["language"] == unfiltered  # shop-style: other languages can still be added
    zh_papers = matching("language=zh")
    for slug, count in with_zh["source"].items():
        assert count == zh_papers.filter(entries__digest__source__slug=slug).distinct().count()
    assert set(with_zh["source"]) < set(facets_for("")["source"])


def test_year_month_score_code_and_digest_buckets(seed_papers):
    facets = facets_for("")
    published = Paper.objects.published()
    for year, count in facets["year"].items():
        assert count == published.filter(published__year=int(year)).count()
    for month, count in facets["month"].items():
        year, number = map(int, month.split("-"))
        assert count == published.filter(published__year=year, published__month=number).count()
    assert facets["code"] == {
        "yes": published.filter(has_code=True).count(),
        "no": published.filter(has_code=False).count(),
    }
    assert facets["score"]["high"] == published.filter(editorial_score__gte=0.8).count()
    assert facets["score"]["none"] == published.filter(editorial_score__isnull=True).count()
    assert sum(facets["digests"].values()) == published.filter(digest_count__gte=1).count()
    assert matching("month=2024-10").count() == facets["month"]["2024-10"]


def test_a_selected_value_without_matches_still_shows_as_selected(demo_papers):
    facets = {
        f.name: f for f in compute_facets(QueryDict("category=cs.CL&language=ko"), Paper.objects.published())
    }
    ko = next(v for v in facets["language"].values if v.value == "ko")
    assert ko.selected and ko.count == 0 and ko.label == "한국어"


def test_unknown_values_and_parameters_are_ignored_not_errors(demo_papers):
    assert matching("year=abc&month=2024-13&digest=x&author=-1&score=huge&bogus=1").count() == 0
    assert matching("bogus=1").count() == Paper.objects.published().count()


def _toggled_reference(data: QueryDict, name: str, value: str) -> str:
    """The link by its definition: the whole query with the value toggled, without the page, sorted."""
    params = data.copy()
    values = params.getlist(name)
    params.setlist(name, [v for v in values if v != value] if value in values else [*values, value])
    params.pop("page", None)
    return "?" + urlencode(sorted(params.lists()), doseq=True)


@given(
    query=st.lists(
        st.tuples(
            st.sampled_from(["q", "category", "author", "language", "page", "sort", "year", "zz"]),
            st.text(max_size=6),
        ),
        max_size=8,
    ),
    name=st.sampled_from(["category", "author", "language", "year", "a", "zzz"]),
    value=st.text(max_size=6),
)
@fuzz(300)
def test_toggle_links_equal_the_whole_query_re_encoded(query, name, value):
    data = QueryDict(urlencode(query))
    assert ToggleLinks(data).url(name, value) == _toggled_reference(data, name, value)
