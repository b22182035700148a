"""The paper list page: results, chips, sorting, pagination, exports — and no N+1 queries."""

import csv
import io
import json

import pytest
from django.urls import reverse

from papers.models import Paper, Summary, Visibility
from papers.search.index import refresh_papers

pytestmark = pytest.mark.django_db
LIST = reverse("paper_list")


def make_papers(count: int) -> None:
    start = Paper.objects.count()
    for index in range(start, start + count):
        paper = Paper.objects.create(
            title=f"Synthetic paper number {index}", arxiv_id=f"2401.{10000 + index}"
        )
        Summary.objects.create(
            paper=paper, language="ja", kind="summary", text=f"合成された論文 {index} の要約"
        )
    refresh_papers(Paper.objects.values_list("pk", flat=True))


def test_list_shows_papers_with_snippets_in_the_reader_language(client, demo_papers):
    page = client.get(LIST, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "KAN: Kolmogorov-Arnold Networks" in page
    assert 'lang="ja"' in page


def test_query_count_does_not_grow_with_page_size(client, django_assert_max_num_queries):
    make_papers(3)
    with django_assert_max_num_queries(40) as few:
        client.get(LIST)
    make_papers(40)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(LIST)
    assert response.context["page"].has_next


def test_search_highlights_and_chips_remove_filters(client, demo_papers):
    response = client.get(LIST, {"q": "Mamba", "language": "zh"})
    page = response.content.decode()
    assert "<mark>" in page
    chip = next(value for facet, value in response.context["chips"] if facet.name == "language")
    assert chip.value == "zh" and "language" not in chip.url and "q=Mamba" in chip.url


def test_no_results_page_offers_help(client, demo_papers):
    page = client.get(LIST, {"q": "zzzzqqq"}).content.decode()
    assert "No papers found" in page and "OR between alternatives" in page


@pytest.mark.parametrize("page", ["0", "-1", "abc", "999"])
def test_bad_pages_are_404(client, demo_papers, page):
    assert client.get(LIST, {"page": page}).status_code == 404


def test_unknown_sort_falls_back_to_newest(client, demo_papers):
    assert client.get(LIST, {"sort": "bogus"}).context["sort"] == "newest"


def test_json_matches_the_html_list(client, demo_papers):
    html = client.get(LIST, {"language": "ja"})
    data = client.get(LIST, {"language": "ja", "format": "json"}).json()
    assert [r["title"] for r in data["results"]] == [p.title for p in html.context["page"].papers]
    assert data["count"] == html.context["page"].count
    first = data["results"][0]
    assert set(first) >= {"title", "arxiv_id", "url", "published", "authors", "categories", "languages"}
    assert first["url"].startswith("http://testserver/papers/")
    assert {"value", "label", "count"} == set(data["facets"]["language"][0])


def test_csv_matches_the_html_list(client, demo_papers):
    html = client.get(LIST, {"category": "cs.LG"})
    response = client.get(LIST, {"category": "cs.LG", "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.getvalue().decode("utf-8-sig"))))
    assert [row["title"] for row in rows] == [p.title for p in html.context["page"].papers]
    assert response["Content-Type"].startswith("text/csv")


def test_hidden_papers_are_not_listed_or_exported(client, demo_papers):
    Paper.objects.filter(arxiv_id="2404.19756").update(visibility=Visibility.HIDDEN)
    assert "KAN: Kolmogorov-Arnold Networks" not in client.get(LIST).content.decode()
    assert all(r["arxiv_id"] != "2404.19756" for r in client.get(LIST, {"format": "json"}).json()["results"])


def test_markup_in_titles_and_summaries_is_escaped(client, db):
    paper = Paper.objects.create(title="<script>alert(1)</script> Robust parsing")
    Summary.objects.create(
        paper=paper, language="en", kind="summary", text="<img src=x onerror=alert(2)> robust"
    )
    refresh_papers([paper.pk])
    page = client.get(LIST, {"q": "robust"}).content.decode()
    assert "<script>alert(1)</script>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Robust parsing" in page


def test_month_chart_bars_link_to_their_month(client, demo_papers):
    response = client.get(LIST)
    bars = response.context["month_bars"]
    assert bars and all("month=" in bar["month"].url for bar in bars if bar["month"])
    assert "<svg" in response.content.decode()


def test_author_and_category_pages_list_their_papers(client, demo_papers):
    author = Paper.objects.get(arxiv_id="2312.00752").authorships.first().author
    page = client.get(reverse("author_detail", args=[author.pk])).content.decode()
    assert author.name in page and "Mamba: Linear-Time" in page
    page = client.get(reverse("category_detail", args=["cs.CL"])).content.decode()
    assert "Attention Is All You Need" in page
    assert client.get(reverse("category_detail", args=["nope.XX"])).status_code == 404


def test_json_is_valid_utf8_with_cjk(client, demo_papers):
    data = json.loads(client.get(LIST, {"q": "コルモゴロフ", "format": "json"}).content.decode("utf-8"))
    assert data["results"][0]["title"] == "KAN: Kolmogorov-Arnold Networks"


def test_month_chart_fills_short_gaps_and_skips_long_ones():
    from papers.search.facets import Facet, FacetValue, month_chart

    def chart(*months):
        values = [FacetValue(m, m, 2, False, f"?month={m}") for m in months]
        return [
            bar["month"].value if bar["month"] else None
            for bar in month_chart(Facet("month", "Month", values))
        ]

    assert chart("2024-01", "2024-03") == ["2024-01", None, "2024-03"]
    assert chart("2023-12", "2024-01") == ["2023-12", "2024-01"]
    assert chart("2017-06", "2024-04") == ["2017-06", "2024-04"]  # 83 empty months would flatten the bars


def test_search_snippet_prefers_a_summary_that_mentions_the_query(client, demo_papers):
    response = client.get(LIST, {"q": "コルモゴロフ"}, HTTP_ACCEPT_LANGUAGE="en")
    kan = next(p for p in response.context["page"].papers if p.arxiv_id == "2404.19756")
    assert kan.snippet_language == "ja" and "<mark>コルモゴロフ</mark>" in kan.snippet


def test_language_switch_names_each_language_in_itself(client, db):
    page = client.get(LIST, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert ">English</option>" in page and ">한국어</option>" in page and ">简体中文</option>" in page
