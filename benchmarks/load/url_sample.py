"""The URLs ``make load`` requests: realistic ones sampled from the database it serves."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlencode

import psycopg

from benchmarks.corpus.vocabulary import BENCH_TERMS

MIXED_WEIGHTS = {"paper": 60, "search": 25, "browse": 10, "digest_feed": 5}
DIGEST_SAMPLE = 200
SEARCH_COMBOS = 20
LANGUAGES = ["ja", "zh", "ko", "en"]
SQL_TIMEOUT_MS = 120_000


@dataclass
class Urls:
    paper: list[str]
    search: list[str]
    browse: list[str]
    digest_feed: list[str]
    papers_in_database: int

    def counts(self) -> dict[str, int]:
        return {kind: len(getattr(self, kind)) for kind in ("paper", "search", "browse", "digest_feed")}

    def groups(self, scenario: str) -> list[tuple[str, int, list[str]]]:
        """(kind, weight, paths) for a scenario; wrk picks a group by weight, then a path at random."""
        if scenario == "mixed":
            return [
                (kind, weight, getattr(self, kind))
                for kind, weight in MIXED_WEIGHTS.items()
                if getattr(self, kind)
            ]
        return [(scenario, 1, getattr(self, scenario))]


def list_url(params: Iterable[tuple[str, str]], base: str = "/papers/") -> str:
    return base + "?" + urlencode(list(params))


def search_terms() -> dict[str, list[str]]:
    """The corpus generator's search terms, words its vocabulary is known to contain, by language."""
    return {language: [BENCH_TERMS[language]] for language in LANGUAGES}


def read_only_connection(database_url: str) -> psycopg.Connection:
    return psycopg.connect(
        database_url,
        connect_timeout=10,
        options=f"-c default_transaction_read_only=on -c statement_timeout={SQL_TIMEOUT_MS}",
    )


def sample_urls(database_url: str, terms: dict[str, list[str]], paper_sample: int) -> Urls:
    """Realistic URLs from the database: random papers and digests, its most common categories, years
    and sources. Read-only; repeatable for one database (setseed)."""
    with read_only_connection(database_url) as connection:
        connection.execute("SELECT setseed(0.42)")
        papers = connection.execute("SELECT count(*) FROM papers_paper").fetchone()[0]
        keys = [
            row[0]
            for row in connection.execute(
                "SELECT coalesce(arxiv_id, slug) FROM papers_paper WHERE visibility = 'published' "
                "ORDER BY random() LIMIT %s",
                [paper_sample],
            )
        ]
        categories = [
            row[0]
            for row in connection.execute(
                "SELECT c.code FROM papers_paper_categories pc "
                "JOIN papers_category c ON c.id = pc.category_id "
                "GROUP BY c.code ORDER BY count(*) DESC, c.code LIMIT 6"
            )
        ]
        years = [
            str(row[0])
            for row in connection.execute(
                "SELECT extract(year FROM published)::int FROM papers_paper WHERE published IS NOT NULL "
                "GROUP BY 1 ORDER BY count(*) DESC, 1 DESC LIMIT 3"
            )
        ]
        sources = [row[0] for row in connection.execute("SELECT slug FROM papers_source ORDER BY id LIMIT 4")]
        digests = [
            row[0]
            for row in connection.execute(
                "SELECT id FROM papers_digest WHERE status = 'imported' ORDER BY random() LIMIT %s",
                [DIGEST_SAMPLE],
            )
        ]
    categories = categories or ["cs.LG"]
    years = years or [str(datetime.now(UTC).year)]

    search = []
    for number in range(SEARCH_COMBOS):
        language = LANGUAGES[number % len(LANGUAGES)]
        term = terms[language][(number // len(LANGUAGES)) % len(terms[language])]
        category, year = categories[number % len(categories)], years[number % len(years)]
        # The query's language is selected as a facet most of the time, as a reader of it would.
        filters = [
            [("language", language), ("category", category)],
            [("language", language), ("year", year)],
            [("category", category), ("year", year)],
        ][number % 3]
        search.append(list_url([("q", term), *filters]))

    browse = ["/papers/"]
    browse += [list_url([("category", code)]) for code in categories]
    browse += [list_url([("language", language)]) for language in LANGUAGES]
    browse += [list_url([("year", year)]) for year in years]
    browse += [list_url([("source", slug)]) for slug in sources]
    browse += [
        list_url([(name, value)]) for name, value in (("code", "yes"), ("score", "high"), ("digests", "2"))
    ]

    digest_feed = [f"/digests/{pk}/" for pk in digests]
    digest_feed += ["/papers/feed/atom/", "/papers/feed/rss/", "/papers/feed/atom/?language=ja"]
    digest_feed += [list_url([("category", categories[0])], base="/papers/feed/rss/")]
    return Urls(
        paper=[f"/papers/{quote(key, safe='/')}/" for key in keys],
        search=search,
        browse=browse,
        digest_feed=digest_feed,
        papers_in_database=papers,
    )
