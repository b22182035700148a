"""`manage.py bench`: the query set through the views, the psycopg floor, the report's shape, --only,
failures. The floor runs on its own connection, so the data must be committed: transactional_db."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from benchmarks import bench, queries
from papers.models import Digest, Paper, Summary
from tests.conftest import SAMPLES, import_paths

EXPECTED_QUERIES = [
    "browse_first_page",
    "browse_deep_page",
    "search_ja",
    "search_zh",
    "search_en",
    "search_ko",
    "search_arxiv_id",
    "search_author",
    "search_two_facets",
    "facet_heavy",
    "paper_page",
    "digest_page",
    "feed",
]


@pytest.fixture
def corpus(transactional_db):
    import_paths(sorted(SAMPLES.glob("*.txt")))


def run_command(*args: str) -> dict:
    out, err = StringIO(), StringIO()
    call_command("bench", "--runs=3", "--json", *args, stdout=out, stderr=err)
    return json.loads(out.getvalue())  # stdout holds the JSON document and nothing else


def test_full_run_reports_every_query_with_its_floor_and_changes_nothing(corpus):
    counts = (Paper.objects.count(), Summary.objects.count(), Digest.objects.count())

    report = run_command("--import-papers=30")

    assert isinstance(report["papers"], int) and report["papers"] == counts[0]
    assert [query["name"] for query in report["queries"]] == EXPECTED_QUERIES
    for query in report["queries"]:
        assert isinstance(query["name"], str)
        for key in ("p50_ms", "p95_ms", "floor_p95_ms", "ratio"):
            assert isinstance(query[key], float) and query[key] > 0, (query["name"], key, query[key])
        assert query["p50_ms"] <= query["p95_ms"]
        assert query["statements"] > 0, query["name"]
        assert query["ratio"] == pytest.approx(query["p95_ms"] / query["floor_p95_ms"], rel=0.05)
    assert {query["name"]: query["targets"] for query in report["queries"]}["paper_page"].keys() == {
        "p95<=30ms",
        "ratio<=1.5",
    }
    assert isinstance(report["import_papers_per_s"], float) and report["import_papers_per_s"] > 0
    assert report["import"]["papers"] == report["import"]["created"] == 30
    # The import was a dry run: the database is as it was.
    assert (Paper.objects.count(), Summary.objects.count(), Digest.objects.count()) == counts


def test_query_set_uses_values_of_the_database(corpus):
    picks = queries.pick_values()
    urls = {query.name: query.url for query in queries.query_set(picks)}

    paper = Paper.objects.get(arxiv_id=picks.paper_key)
    assert paper.summaries.exists()
    assert urls["paper_page"] == f"/papers/{picks.paper_key}/"
    assert urls["search_arxiv_id"] == f"/papers/?q={picks.paper_key}"
    assert urls["digest_page"] == f"/digests/{picks.digest_id}/"
    assert picks.top_category in urls["search_two_facets"] and "language=ja" in urls["search_two_facets"]
    heavy = urls["facet_heavy"]
    assert heavy.count("category=") == heavy.count("language=") == heavy.count("year=") == 2
    assert "code=yes" in heavy and "score=high" in heavy
    # Fewer than 200 pages of demo papers: the deep page is the last one, which exists.
    assert picks.deep_page == -(-Paper.objects.published().count() // 20)


def test_only_runs_the_named_queries(corpus):
    report = run_command("--only=paper_page,feed", "--import-papers=0")

    assert [query["name"] for query in report["queries"]] == ["paper_page", "feed"]
    assert report["import_papers_per_s"] is None


def test_explain_gives_the_plan_of_the_slowest_statement(corpus):
    report = run_command("--only=search_en", "--import-papers=0", "--explain")

    (query,) = report["queries"]
    assert query["slowest_statement"].startswith("SELECT")
    assert "Execution Time" in query["explain"]


def test_unknown_query_name_is_an_error(corpus):
    with pytest.raises(CommandError, match="unknown query no_such_query"):
        run_command("--only=no_such_query", "--import-papers=0")


def test_a_request_that_is_not_200_fails_the_run(corpus, monkeypatch):
    real_query_set = queries.query_set

    def with_a_missing_page(picks):
        return [*real_query_set(picks), queries.BenchQuery("missing_paper", "/papers/9999.99999/")]

    monkeypatch.setattr(bench, "query_set", with_a_missing_page)
    with pytest.raises(CommandError, match=r"missing_paper: GET /papers/9999\.99999/ answered 404"):
        run_command("--only=paper_page,missing_paper", "--import-papers=0")


def test_the_floor_executes_the_statements(corpus):
    """A statement the server rejects fails the run: the floor really sends every statement."""
    query = queries.BenchQuery("broken", "/")
    raw = queries.floor_connection()
    try:
        totals, per_statement = queries._time_floor(raw, query, ["SELECT count(*) FROM papers_paper"], 3)
        assert len(totals) == 3 and len(per_statement[0]) == 3
        with pytest.raises(queries.BenchFailure, match="the floor could not run"):
            queries._time_floor(raw, query, ["SELECT no_such_column FROM papers_paper"], 3)
    finally:
        raw.close()


def test_percentiles_are_inclusive_quantiles():
    samples = [float(value) for value in range(1, 101)]
    assert queries.percentiles(samples) == pytest.approx((50.5, 95.05))
