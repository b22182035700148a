"""The query set of ``manage.py bench`` and its measurement: each query through the real Django views
against the raw-SQL floor (the same statements over a plain psycopg connection).

The query set (values picked from the database at start, so it runs on any corpus):

============================  ====================================================================
``browse_first_page``         ``/papers/``
``browse_deep_page``          ``/papers/?page=200`` (or the last page when there are fewer)
``search_ja`` … ``search_ko`` ``/papers/?q=<term>``: the corpus generator's
                              ``benchmarks.corpus.vocabulary.BENCH_TERMS``: ja 強化学習, zh 扩散模型,
                              en diffusion, ko 언어 모델
``search_arxiv_id``           ``?q=<arXiv id>`` of the paper below
``search_author``             ``?q=<name>`` of the author with the most papers
``search_two_facets``         ``?q=<en term>&category=<most common>&language=ja``
``facet_heavy``               5 facets, multi-select: the two most common categories, ja+zh, the newest
                              two years, code=yes, score=high
``paper_page``                the published paper with an arXiv id in the most digests (the heaviest
                              page readers commonly open)
``digest_page``               the imported digest with the most entries
``feed``                      ``/papers/feed/atom/?category=<most common>``
============================  ====================================================================

Method, per query: one untimed warm-up request (fills the facet cache), one untimed request captured with
``CaptureQueriesContext`` (psycopg binds parameters client-side, so the captured SQL is exactly what the
server ran), then ``runs`` timed requests through Django's test ``Client`` (anonymous reader,
Accept-Language en, HTTPS as in production; every response must be 200). Timed requests are not captured:
the debug cursor formats and stores every statement again, which would bill Django for the measurement.
A cheap ``execute_wrapper`` counts their statements instead, so a run that executed a different number
of statements than the captured one is flagged (``statements_varied``). The floor executes the captured
statements in order, fetching every row, on a separate autocommit psycopg connection with Django's own
connection parameters, ``runs`` times after one warm-up run; a run's time is the total.

Percentiles: ``statistics.quantiles(samples, n=100, method="inclusive")`` (linear interpolation between
the closest ranks, never beyond the observed extremes); p50 is cut point 50, p95 cut point 95.
ratio = Django p95 / floor p95.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlencode

import psycopg
from django.conf import settings
from django.db import connection
from django.db.models import Count, Max
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from benchmarks.corpus.vocabulary import BENCH_TERMS
from papers.models import Authorship, Category, Digest, Paper, Summary, Visibility

DEEP_PAGE = 200
# The languages of the search_* queries, in their order.
SEARCH_LANGUAGES = ("ja", "zh", "en", "ko")
PERCENTILE_METHOD = 'statistics.quantiles(samples, n=100, method="inclusive")'

# The targets (1M papers, warm cache, one client).
P95_TARGETS_MS = {
    "search_two_facets": 150.0,
    "facet_heavy": 150.0,
    "browse_first_page": 80.0,
    "paper_page": 30.0,
}
RATIO_TARGET = 1.5


class BenchFailure(Exception):
    """A request that did not answer 200, a statement the floor could not run, a failed import."""


@dataclass(frozen=True)
class BenchQuery:
    name: str
    url: str


@dataclass(frozen=True)
class Picks:
    """Concrete values from the database that the query set uses."""

    top_category: str
    second_category: str
    author_name: str
    paper_key: str
    digest_id: int
    newest_year: int
    deep_page: int


@dataclass
class QueryResult:
    name: str
    url: str
    p50_ms: float
    p95_ms: float
    floor_p50_ms: float
    floor_p95_ms: float
    ratio: float | None  # None when the request ran no SQL (a page-cache hit): there is no floor
    statements: int
    statements_varied: bool
    targets: dict[str, bool] = field(default_factory=dict)
    slowest_statement: str = ""
    explain: str | None = None

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        if self.explain is None:  # the statement and its plan only when --explain asked for them
            data.pop("explain")
            data.pop("slowest_statement")
        return data


# -- the query set --------------------------------------------------------------------------------------


def search_terms() -> dict[str, str]:
    """Per-language search terms: the corpus generator's, words its vocabulary is known to contain."""
    return {language: BENCH_TERMS[language] for language in SEARCH_LANGUAGES}


def pick_values() -> Picks:
    """Typical values of this corpus. A few aggregates over the big tables: seconds at 1M papers."""
    published = Paper.objects.published()
    total = published.count()
    if not total:
        raise BenchFailure("the database holds no published papers: load a corpus first")
    categories = list(
        Category.objects.filter(papers__visibility=Visibility.PUBLISHED)
        .annotate(n=Count("papers"))
        .order_by("-n", "code")
        .values_list("code", flat=True)[:2]
    )
    if not categories:
        raise BenchFailure("no paper has a category")
    author = (
        Authorship.objects.values("author_id", "author__name")
        .annotate(n=Count("id"))
        .order_by("-n", "author_id")
        .first()
    )
    digest = (
        Digest.objects.filter(status=Digest.Status.IMPORTED)
        .annotate(n=Count("entries"))
        .order_by("-n", "-id")
        .values_list("id", flat=True)
        .first()
    )
    if author is None or digest is None:
        raise BenchFailure("the corpus needs at least one author and one imported digest")
    newest = published.aggregate(newest=Max("published"))["newest"]
    return Picks(
        top_category=categories[0],
        second_category=categories[-1],
        author_name=author["author__name"],
        paper_key=_paper_with_summaries(),
        digest_id=digest,
        newest_year=newest.year if newest else 2024,
        deep_page=min(DEEP_PAGE, -(-total // 20)),  # papers.search.query.PAGE_SIZE per page
    )


def _paper_with_summaries() -> str:
    published = Paper.objects.published()
    for pk, key in (
        published.filter(arxiv_id__isnull=False)
        .order_by("-digest_count", "-id")
        .values_list("pk", "arxiv_id")[:20]
    ):
        if Summary.objects.filter(paper_id=pk, visibility=Visibility.PUBLISHED).exists():
            return key
    # A corpus without arXiv ids: any published paper with a published summary, by slug.
    paper = published.filter(summaries__visibility=Visibility.PUBLISHED).first() or published.first()
    return paper.arxiv_id or paper.slug


def query_set(picks: Picks, terms: dict[str, str] | None = None) -> list[BenchQuery]:
    terms = terms or search_terms()
    papers = reverse("paper_list")

    def listing(params: list[tuple[str, object]]) -> str:
        return f"{papers}?{urlencode(params)}"

    year = picks.newest_year
    return [
        BenchQuery("browse_first_page", papers),
        BenchQuery("browse_deep_page", listing([("page", picks.deep_page)])),
        *(BenchQuery(f"search_{language}", listing([("q", terms[language])])) for language in terms),
        BenchQuery("search_arxiv_id", listing([("q", picks.paper_key)])),
        BenchQuery("search_author", listing([("q", picks.author_name)])),
        BenchQuery(
            "search_two_facets",
            listing([("q", terms["en"]), ("category", picks.top_category), ("language", "ja")]),
        ),
        BenchQuery(
            "facet_heavy",
            listing(
                [
                    ("category", picks.top_category),
                    ("category", picks.second_category),
                    ("language", "ja"),
                    ("language", "zh"),
                    ("year", year),
                    ("year", year - 1),
                    ("code", "yes"),
                    ("score", "high"),
                ]
            ),
        ),
        BenchQuery("paper_page", reverse("paper_detail", args=[picks.paper_key])),
        BenchQuery("digest_page", reverse("digest_detail", args=[picks.digest_id])),
        BenchQuery("feed", f"{reverse('paper_feed_atom')}?{urlencode({'category': picks.top_category})}"),
    ]


# -- measuring ------------------------------------------------------------------------------------------


def percentiles(samples: list[float]) -> tuple[float, float]:
    """(p50, p95) of at least two samples."""
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49], cuts[94]


def floor_connection() -> psycopg.Connection:
    """A plain psycopg connection with Django's parameters (database, user, client encoding, type
    adapters, no prepared statements) and session time zone, in autocommit like Django outside atomic()."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)  # psycopg's own cursor, not Django's subclass
    raw = psycopg.connect(**params, autocommit=True)
    if settings.USE_TZ:
        raw.execute("SELECT set_config('TimeZone', %s, false)", [connection.timezone_name])
    return raw


class _StatementCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def _get(client: Client, query: BenchQuery) -> None:
    try:
        response = client.get(query.url, secure=True)
    except Exception as error:
        raise BenchFailure(f"{query.name}: GET {query.url} raised {error!r}") from error
    if response.status_code != 200:
        raise BenchFailure(f"{query.name}: GET {query.url} answered {response.status_code}, expected 200")


def _time_floor(raw: psycopg.Connection, query: BenchQuery, statements: list[str], runs: int):
    """Per-run totals (ms) and per-statement times (ms, one list per statement)."""
    per_statement: list[list[float]] = [[] for _ in statements]
    totals: list[float] = []
    for run in range(runs + 1):  # run 0 warms up
        total = 0.0
        with raw.cursor() as cursor:
            for index, sql in enumerate(statements):
                started = time.perf_counter()
                try:
                    cursor.execute(sql)  # no parameters: psycopg sends the text as-is
                    if cursor.description is not None:
                        cursor.fetchall()
                except psycopg.Error as error:
                    raise BenchFailure(
                        f"{query.name}: the floor could not run {sql[:200]!r}: {error}"
                    ) from error
                elapsed = (time.perf_counter() - started) * 1000
                total += elapsed
                if run:
                    per_statement[index].append(elapsed)
        if run:
            totals.append(total)
    return totals, per_statement


def explain(raw: psycopg.Connection, sql: str) -> str | None:
    """EXPLAIN (ANALYZE, BUFFERS) of a read statement (ANALYZE executes it, so reads only)."""
    if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
        return None
    with raw.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def measure_query(
    client: Client,
    raw: psycopg.Connection,
    query: BenchQuery,
    runs: int,
    *,
    mode: str = "default",
    with_explain: bool = False,
) -> QueryResult:
    _get(client, query)  # warm-up: caches, the database's buffers, lazily imported code
    with CaptureQueriesContext(connection) as captured:
        _get(client, query)
    statements = [entry["sql"] for entry in captured.captured_queries]

    durations: list[float] = []
    counter = _StatementCounter()
    counts: set[int] = set()
    with connection.execute_wrapper(counter):
        for _ in range(runs):
            counter.count = 0
            started = time.perf_counter()
            _get(client, query)
            durations.append((time.perf_counter() - started) * 1000)
            counts.add(counter.count)

    floor_totals, per_statement = _time_floor(raw, query, statements, runs)
    p50, p95 = percentiles(durations)
    floor_p50, floor_p95 = percentiles(floor_totals)
    slowest = (
        max(range(len(statements)), key=lambda index: statistics.median(per_statement[index]))
        if statements
        else None
    )
    result = QueryResult(
        name=query.name,
        url=query.url,
        p50_ms=round(p50, 2),
        p95_ms=round(p95, 2),
        floor_p50_ms=round(floor_p50, 2),
        floor_p95_ms=round(floor_p95, 2),
        ratio=round(p95 / floor_p95, 2) if statements and floor_p95 > 0 else None,
        statements=len(statements),
        statements_varied=counts != {len(statements)},
        slowest_statement=statements[slowest] if slowest is not None else "",
    )
    result.targets = _targets(result, mode)
    if with_explain and result.slowest_statement:
        result.explain = explain(raw, result.slowest_statement)
    return result


def _targets(result: QueryResult, mode: str) -> dict[str, bool]:
    checks = {}
    if result.name in P95_TARGETS_MS:
        limit = P95_TARGETS_MS[result.name]
        checks[f"p95<={limit:g}ms"] = result.p95_ms <= limit
    if result.ratio is not None and mode != "cached":  # a page-cache hit runs no view to compare
        checks[f"ratio<={RATIO_TARGET:g}"] = result.ratio <= RATIO_TARGET
    return checks
