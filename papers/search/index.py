"""Keeps each paper's derived columns (search vector, facet columns) in step with its rows.

Called inside the transaction that changed the paper (the importer, admin saves, merges), so a
committed paper is never stale; ``rebuild_search_index`` recomputes everything. Only what readers may
see is indexed: the published summaries (``Summary.objects.public()``), never ``Paper.abstract``, the
importer's copy of one of them, which would stay searchable after an editor hid its summary.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

from django.db.models import F

from papers.db import AnyOf, array_cursor
from papers.models import Authorship, DigestEntry, Paper, PaperLink, Score, Summary
from papers.search.cache import record_catalogue_change
from papers.search.text import index_text

# The scale each editorial score is printed on, to compare them on 0–1.
SCORE_SCALES = {"reading_index": 5.0, "reference_score": 100.0}

# Search weights: A titles and ids, B authors and categories, C abstracts and short summaries, D the rest.
WEIGHT_BY_KIND = {Summary.Kind.TITLE: "a", Summary.Kind.ABSTRACT: "c", Summary.Kind.SUMMARY: "c"}

# Each derived column as SQL over ``d``, a row of its inputs: the four weighted documents a-d, then
# languages and the facet id lists as comma-separated text, digest_count, has_code, score. The one
# definition: the refresh below updates papers with it, bulk loaders insert papers with it.
DERIVED_COLUMNS = {
    "search_vector": "setweight(to_tsvector('english', d.a), 'A')"
    " || setweight(to_tsvector('english', d.b), 'B')"
    " || setweight(to_tsvector('english', d.c), 'C')"
    " || setweight(to_tsvector('english', d.d), 'D')",
    "languages": "string_to_array(d.languages, ',')::varchar(10)[]",
    "digest_count": "d.digest_count",
    "has_code": "d.has_code",
    "editorial_score": "d.score",
    "category_ids": "string_to_array(d.category_ids, ',')::bigint[]",
    "author_ids": "string_to_array(d.author_ids, ',')::bigint[]",
    "source_ids": "string_to_array(d.source_ids, ',')::bigint[]",
    "digest_ids": "string_to_array(d.digest_ids, ',')::bigint[]",
}

_UPDATE = f"""
UPDATE {Paper._meta.db_table} AS p SET
    {", ".join(f"{column} = {expression}" for column, expression in DERIVED_COLUMNS.items())}
FROM unnest(%b::bigint[], %b::text[], %b::text[], %b::text[], %b::text[], %b::text[], %b::int[], %b::bool[],
            %b::float8[], %b::text[], %b::text[], %b::text[], %b::text[])
     AS d(id, a, b, c, d, languages, digest_count, has_code, score, category_ids, author_ids, source_ids,
          digest_ids)
WHERE p.id = d.id
"""


def refresh_papers(paper_ids: Iterable[int], batch_size: int = 2000) -> None:
    """Recompute the derived columns of these papers and of the papers whose summaries their digest
    entries carry (related papers: those texts follow the visibility of the entry's paper)."""
    ids = set(paper_ids)
    if ids:
        ids |= _given_texts_by(ids)
    _refresh(sorted(ids), batch_size)


def _given_texts_by(paper_ids: set[int]) -> set[int]:
    """The other papers that these papers' digest entries gave summaries to."""
    given = Summary.objects.filter(AnyOf("entry__paper_id", paper_ids)).exclude(paper_id=F("entry__paper_id"))
    return set(given.order_by().values_list("paper_id", flat=True).distinct())


def _refresh(ids: list[int], batch_size: int) -> None:
    if ids:
        record_catalogue_change()
    for start in range(0, len(ids), batch_size):
        _refresh_batch(ids[start : start + batch_size])


def _refresh_batch(ids: list[int]) -> None:
    documents: dict[int, dict[str, list[str]]] = {pk: defaultdict(list) for pk in ids}
    languages: dict[int, set[str]] = defaultdict(set)
    facet_ids: dict[str, dict[int, set[int]]] = {
        name: defaultdict(set) for name in ("category", "author", "source", "digest")
    }
    for pk, title, arxiv_id in Paper.objects.filter(AnyOf("pk", ids)).values_list("pk", "title", "arxiv_id"):
        documents[pk]["a"] += [title, arxiv_id or ""]
    # Stable orders, so that the same rows always give the same vector (word positions included).
    authorships = Authorship.objects.filter(AnyOf("paper_id", ids)).order_by("paper_id", "position")
    for pk, author_id, name in authorships.values_list("paper_id", "author_id", "author__name"):
        documents[pk]["b"].append(name)
        facet_ids["author"][pk].add(author_id)
    categories = Paper.categories.through.objects.filter(AnyOf("paper_id", ids)).order_by("category__code")
    for pk, category_id, code in categories.values_list("paper_id", "category_id", "category__code"):
        documents[pk]["b"].append(code)
        facet_ids["category"][pk].add(category_id)
    summaries = Summary.objects.public().filter(AnyOf("paper_id", ids)).order_by("pk")
    for pk, language, kind, text in summaries.values_list("paper_id", "language", "kind", "text"):
        documents[pk][WEIGHT_BY_KIND.get(kind, "d")].append(text)
        languages[pk].add(language)
    digest_counts: Counter[int] = Counter()
    entries = DigestEntry.objects.filter(AnyOf("paper_id", ids))
    for pk, digest_id, source_id in entries.values_list("paper_id", "digest_id", "digest__source_id"):
        digest_counts[pk] += 1
        facet_ids["digest"][pk].add(digest_id)
        facet_ids["source"][pk].add(source_id)
    code_links = PaperLink.objects.filter(AnyOf("paper_id", ids), kind=PaperLink.Kind.CODE)
    with_code = set(code_links.values_list("paper_id", flat=True))
    best_score: dict[int, float] = {}
    for pk, kind, value in Score.objects.filter(AnyOf("paper_id", ids)).values_list(
        "paper_id", "kind", "value"
    ):
        if kind in SCORE_SCALES:
            best_score[pk] = max(best_score.get(pk, 0.0), min(value / SCORE_SCALES[kind], 1.0))

    def weight(pk: int, key: str) -> str:
        return index_text("\n".join(part for part in documents[pk][key] if part))

    def id_list(name: str, pk: int) -> str:
        return ",".join(map(str, sorted(facet_ids[name][pk])))

    with array_cursor() as cursor:
        cursor.execute(
            _UPDATE,
            [
                ids,
                [weight(pk, "a") for pk in ids],
                [weight(pk, "b") for pk in ids],
                [weight(pk, "c") for pk in ids],
                [weight(pk, "d") for pk in ids],
                [",".join(sorted(languages[pk])) for pk in ids],
                [digest_counts.get(pk, 0) for pk in ids],
                [pk in with_code for pk in ids],
                [best_score.get(pk) for pk in ids],
                *([id_list(name, pk) for pk in ids] for name in ("category", "author", "source", "digest")),
            ],
        )


def refresh_all(batch_size: int = 2000) -> int:
    ids = list(Paper.objects.values_list("pk", flat=True))
    _refresh(ids, batch_size)
    return len(ids)
