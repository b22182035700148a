"""Writing the planned rows: COPY, and each paper's derived columns computed on the way in."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db import connection

from benchmarks.corpus.plan import SOURCE_PROFILES, Plan, chunk_contents
from benchmarks.corpus.texts import write_text
from papers.identifiers import match_key
from papers.ingest.categories import ARXIV_CATEGORY_NAMES
from papers.ingest.families import SOURCES
from papers.models import (
    Author,
    Authorship,
    Category,
    Digest,
    DigestEntry,
    Paper,
    PaperLink,
    RelatedPaper,
    Score,
    Source,
    Summary,
    paper_slug,
)
from papers.search.index import DERIVED_COLUMNS, SCORE_SCALES, WEIGHT_BY_KIND
from papers.search.text import index_text


def imported_at(issued: date) -> datetime:
    """When a digest was imported: the morning after it came out (UTC); its papers were created then."""
    return datetime.combine(issued + timedelta(days=1), time(6, 0), tzinfo=UTC)


# Lines of digest text per entry, by source: where an entry's first line falls in its digest.
LINES_PER_ENTRY = (9, 14, 22, 30)


@dataclass(frozen=True)
class ChunkOffsets:
    """The first id of each table's rows in a chunk of papers (rows are numbered in paper order)."""

    authorship: int
    category: int
    link: int
    score: int


def chunk_offsets(plan: Plan) -> list[ChunkOffsets]:
    offsets, counts = [], [1, 1, 1, 1]
    for start in plan.chunks():
        offsets.append(ChunkOffsets(*counts))
        stop = min(start + plan.chunk_size, plan.papers)
        counts[0] += sum(map(len, plan.paper_authors[start:stop]))
        counts[1] += sum(plan.category_counts[start:stop])
        counts[2] += sum(map(len, plan.link_kinds[start:stop]))
        counts[3] += sum(map(len, plan.paper_scores[start:stop]))
    return offsets


# Staging rows for papers: the row plus the inputs of the derived columns, turned into the columns by the
# index refresh's own SQL expressions (papers.search.index.DERIVED_COLUMNS).
_STAGING_COLUMNS = (
    "id bigint, title text, title_key text, arxiv_id text, slug text, published date, abstract text, "
    "visibility text, created_at timestamptz, a text, b text, c text, d text, languages text, "
    "digest_count int, has_code bool, score float8, category_ids text, author_ids text, source_ids text, "
    "digest_ids text"
)
_INSERT_PAPERS = f"""
INSERT INTO {Paper._meta.db_table} (
    id, title, title_key, arxiv_id, slug, published, abstract, visibility, created_at, updated_at,
    {", ".join(DERIVED_COLUMNS)}
)
SELECT
    d.id, d.title, d.title_key, d.arxiv_id, d.slug, d.published, d.abstract, d.visibility, d.created_at,
    d.created_at,
    {", ".join(DERIVED_COLUMNS.values())}
FROM corpus_staging AS d
"""


@dataclass
class Lookups:
    """What every chunk needs besides the plan."""

    category_rank: dict[int, int]  # category id -> place in the database's ORDER BY code
    digest_source: list[int]  # digest id - 1 -> source id
    digest_time: list[datetime]  # digest id - 1 -> imported_at


def write_chunk(cursor, plan: Plan, lookups: Lookups, chunk: int, offsets: ChunkOffsets) -> int:
    """Write the papers of one chunk with their authorships, categories, summaries, links and scores.
    Returns the number of summaries written."""
    start = chunk * plan.chunk_size
    rng, contents = chunk_contents(plan, chunk)
    staging, entry_rows, summaries, authorships, categories, links, scores = [], [], [], [], [], [], []
    authorship_id, category_id, link_id, score_id = (
        offsets.authorship,
        offsets.category,
        offsets.link,
        offsets.score,
    )
    for index, content in enumerate(contents, start=start):
        paper_id = index + 1
        topic, title, arxiv_id = content.topic, content.title, plan.arxiv_ids[index]
        entries = plan.paper_entries[index]
        quoted = any(
            SOURCE_PROFILES[lookups.digest_source[digest_id - 1] - 1].english_abstract
            for _, digest_id, _ in entries
        )
        abstract = write_text(rng, topic, "en", "abstract") if quoted and rng.random() < 0.95 else ""
        created = lookups.digest_time[entries[0][1] - 1]
        for entry_id, digest_id, position in entries:
            line = 1 + (position - 1) * LINES_PER_ENTRY[lookups.digest_source[digest_id - 1] - 1]
            entry_rows.append((entry_id, digest_id, paper_id, position, line))
        documents: dict[str, list[str]] = {"a": [title, arxiv_id or ""], "b": [], "c": [], "d": []}
        languages: set[str] = set()
        summary_id = plan.first_summary_id[index]
        for entry_id, language, kind, published in plan.paper_summaries[index]:
            text = write_text(rng, topic, language, kind)
            visibility = "published" if published else "hidden"
            summaries.append(
                (summary_id, paper_id, entry_id, language, kind, text, visibility, False, created, created)
            )
            summary_id += 1
            if published:
                documents[WEIGHT_BY_KIND.get(kind, "d")].append(text)
                languages.add(language)
        author_ids = plan.paper_authors[index]
        for position, author_id in enumerate(author_ids, start=1):
            authorships.append((authorship_id, paper_id, author_id, position))
            authorship_id += 1
            documents["b"].append(plan.author_names[author_id - 1])
        category_ids = content.category_ids
        for category in category_ids:
            categories.append((category_id, paper_id, category))
            category_id += 1
        for category in sorted(category_ids, key=lookups.category_rank.__getitem__):
            documents["b"].append(plan.category_codes[category - 1])
        has_code = False
        for kind, url in content.links:  # brought by the paper's first digest entry
            links.append((link_id, paper_id, entries[0][0], kind, url))
            link_id += 1
            has_code = has_code or kind == "code"
        best: float | None = None
        for source_id, entry_id, kind, value in plan.paper_scores[index]:
            scores.append((score_id, paper_id, source_id, entry_id, kind, value))
            score_id += 1
            if kind in SCORE_SCALES:  # as papers.search.index.refresh_papers scales them
                best = max(0.0 if best is None else best, min(value / SCORE_SCALES[kind], 1.0))
        digest_ids = sorted({digest_id for _, digest_id, _ in entries})
        source_ids = sorted({lookups.digest_source[digest_id - 1] for digest_id in digest_ids})
        staging.append(
            (
                paper_id,
                title,
                match_key(title),
                arxiv_id,
                paper_slug(title, arxiv_id),
                plan.published[index],
                abstract,
                "hidden" if plan.hidden[index] else "published",
                created,
                *documents_text(documents),
                ",".join(sorted(languages)),
                len(entries),
                has_code,
                best,
                ",".join(map(str, sorted(set(category_ids)))),
                ",".join(map(str, sorted(set(author_ids)))),
                ",".join(map(str, source_ids)),
                ",".join(map(str, digest_ids)),
            )
        )
    cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS corpus_staging ({_STAGING_COLUMNS})")
    cursor.execute("TRUNCATE corpus_staging")
    _copy(cursor, "corpus_staging", None, staging)
    cursor.execute(_INSERT_PAPERS)
    _copy(cursor, DigestEntry._meta.db_table, ("id", "digest_id", "paper_id", "position", "line"), entry_rows)
    _copy(cursor, Authorship._meta.db_table, ("id", "paper_id", "author_id", "position"), authorships)
    _copy(cursor, Paper.categories.through._meta.db_table, ("id", "paper_id", "category_id"), categories)
    _copy(cursor, Summary._meta.db_table, SUMMARY_COLUMNS, summaries)
    _copy(cursor, PaperLink._meta.db_table, ("id", "paper_id", "entry_id", "kind", "url"), links)
    _copy(cursor, Score._meta.db_table, ("id", "paper_id", "source_id", "entry_id", "kind", "value"), scores)
    return len(summaries)


def documents_text(documents: dict[str, list[str]]) -> list[str]:
    """The four weighted documents as refresh_papers hands them to to_tsvector."""
    return [index_text("\n".join(part for part in documents[key] if part)) for key in "abcd"]


SUMMARY_COLUMNS = (
    "id",
    "paper_id",
    "entry_id",
    "language",
    "kind",
    "text",
    "visibility",
    "edited_by_editor",
    "created_at",
    "updated_at",
)


def _copy(cursor, table: str, columns: tuple[str, ...] | None, rows) -> None:
    names = f" ({', '.join(columns)})" if columns else ""
    with cursor.copy(f"COPY {table}{names} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def make_lookups(plan: Plan) -> Lookups:
    with connection.cursor() as cursor:
        # The order refresh_papers lists a paper's categories in: ORDER BY code, in the database's collation.
        cursor.execute("SELECT code FROM unnest(%s::text[]) AS code ORDER BY code", [plan.category_codes])
        rank = {code: place for place, (code,) in enumerate(cursor.fetchall())}
    return Lookups(
        category_rank={number: rank[code] for number, code in enumerate(plan.category_codes, start=1)},
        digest_source=[digest.source + 1 for digest in plan.digests],
        digest_time=[imported_at(digest.issued) for digest in plan.digests],
    )


def write_parents(plan: Plan, lookups: Lookups) -> None:
    """Sources, categories, authors and digests: the rows every chunk of papers refers to."""
    digest_time = lookups.digest_time
    summaries_per_digest = [0] * len(plan.digests)
    created_per_digest = [0] * len(plan.digests)
    author_created: list[datetime | None] = [None] * len(plan.author_names)
    for index in range(plan.papers):
        entries = plan.paper_entries[index]
        created_per_digest[entries[0][1] - 1] += 1
        digest_of_entry = {entry_id: digest_id for entry_id, digest_id, _ in entries}
        for entry_id, *_ in plan.paper_summaries[index]:
            summaries_per_digest[digest_of_entry[entry_id] - 1] += 1
        for author_id in plan.paper_authors[index]:
            if author_created[author_id - 1] is None:
                author_created[author_id - 1] = digest_time[entries[0][1] - 1]
    with connection.cursor() as cursor:
        _copy(
            cursor,
            Source._meta.db_table,
            ("id", "slug", "name", "url", "language"),
            (
                (number, info.slug, info.name, info.url, info.language)
                for number, info in enumerate((SOURCES[p.family] for p in SOURCE_PROFILES), start=1)
            ),
        )
        _copy(
            cursor,
            Category._meta.db_table,
            ("id", "code", "name"),
            (
                (number, code, ARXIV_CATEGORY_NAMES.get(code, ""))
                for number, code in enumerate(plan.category_codes, start=1)
            ),
        )
        _copy(
            cursor,
            Author._meta.db_table,
            ("id", "name", "name_key", "created_at"),
            (
                (number, name, match_key(name), created)
                for number, (name, created) in enumerate(
                    zip(plan.author_names, author_created, strict=True), 1
                )
            ),
        )
        _copy(
            cursor,
            Digest._meta.db_table,
            DIGEST_COLUMNS,
            _digest_rows(plan, summaries_per_digest, created_per_digest),
        )


DIGEST_COLUMNS = (
    "id",
    "source_id",
    "name",
    "title",
    "url",
    "checksum",
    "encoding",
    "issued",
    "status",
    "papers_created",
    "papers_updated",
    "papers_unchanged",
    "summaries_count",
    "warnings",
    "error",
    "imported_by_id",
    "imported_at",
    "created_at",
    "updated_at",
)
# How each family titles its posts (arxiv.jp and some PyTorchKR posts have no title of their own).
DIGEST_TITLES = (
    "",
    "[{issued:%Y/%m/%d}] 今週の主要ML論文 (Top ML Papers of the Week)",
    "每周论文精选 第{number}期（{issued:%Y-%m-%d}）",
    "論文の概要 {issued:%Y年%m月%d日}",
)


def _digest_rows(plan: Plan, summaries_per_digest: list[int], created_per_digest: list[int]):
    for digest in plan.digests:
        source = SOURCES[SOURCE_PROFILES[digest.source].family]
        when = imported_at(digest.issued)
        size = len(digest.entries)
        url = (
            f"https://discuss.pytorch.kr/t/top-ml-papers-{digest.issued:%Y-%m-%d}/{3000 + digest.number}"
            if source.slug.startswith("pytorchkr")
            else ""
        )
        created = created_per_digest[digest.id - 1]
        yield (
            digest.id,
            digest.source + 1,
            f"{source.slug}-{digest.issued:%Y-%m-%d}-{digest.number:05d}.txt",
            DIGEST_TITLES[digest.source].format(issued=digest.issued, number=digest.number),
            url,
            hashlib.sha256(f"corpus/{plan.seed}/{digest.id}".encode()).hexdigest(),
            "utf-8",
            digest.issued,
            "imported",
            created,
            size - created,  # a paper seen before is "updated": this digest lists it and adds summaries
            0,
            summaries_per_digest[digest.id - 1],
            "[]",
            "",
            None,
            when,
            when,
            when,
        )


def write_related(plan: Plan) -> None:
    with connection.cursor() as cursor:
        _copy(
            cursor,
            RelatedPaper._meta.db_table,
            ("id", "paper_id", "related_id", "entry_id", "position", "score"),
            ((number, *row) for number, row in enumerate(plan.related, start=1)),
        )


def reset_sequences(tables: list[str]) -> None:
    """Rows were written with explicit ids: the next row the application adds takes the next id."""
    with connection.cursor() as cursor:
        for table in tables:
            next_id = f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table})"
            cursor.execute(f"SELECT setval(pg_get_serial_sequence(%s, 'id'), {next_id}, false)", [table])
