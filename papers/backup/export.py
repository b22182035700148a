"""Writing a catalogue backup (the format: :mod:`papers.backup.format`).

Export streams every table with ``iterator(chunk_size=…)`` in primary-key order inside one repeatable-read
transaction, so memory stays constant and the counts in the header match the records.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Prefetch

from papers.backup.format import FORMAT, VERSION
from papers.models import (
    Author,
    AuthorRedirect,
    Authorship,
    Category,
    Digest,
    DigestEntry,
    Paper,
    PaperLink,
    PaperRedirect,
    RelatedPaper,
    Score,
    Source,
    Summary,
)

CHUNK_SIZE = 2000


def _when(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _entry_key(source: str | None, name: str | None, position: int | None) -> list | None:
    return [source, name, position] if source is not None else None


def _dumps(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


def catalogue_counts() -> dict[str, int]:
    return {
        "source": Source.objects.count(),
        "category": Category.objects.count(),
        "author": Author.objects.count(),
        "digest": Digest.objects.count(),
        "paper": Paper.objects.count(),
        "entry": DigestEntry.objects.count(),
        "summary": Summary.objects.count(),
        "link": PaperLink.objects.count(),
        "score": Score.objects.count(),
        "related": RelatedPaper.objects.count(),
        "paper_redirect": PaperRedirect.objects.count(),
        "author_redirect": AuthorRedirect.objects.count(),
    }


def export_catalogue(write: Callable[[str], Any], chunk_size: int = CHUNK_SIZE) -> dict[str, int]:
    """Write the whole catalogue, one ``\\n``-terminated JSON line per ``write`` call; return the counts."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost:
            # One snapshot: the header's counts and the records come from the same point in time.
            # (Inside a caller's transaction, e.g. a test, the isolation level is the caller's.)
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        counts = catalogue_counts()
        write(_dumps({"type": "header", "format": FORMAT, "version": VERSION, "counts": counts}))
        for record in _records(chunk_size):
            write(_dumps(record))
    return counts


def _records(chunk_size: int):
    for slug, name, url, language in Source.objects.order_by("pk").values_list(
        "slug", "name", "url", "language"
    ):
        yield {"type": "source", "slug": slug, "name": name, "url": url, "language": language}

    for code, name in Category.objects.order_by("pk").values_list("code", "name"):
        yield {"type": "category", "code": code, "name": name}

    authors = Author.objects.order_by("pk").values_list("pk", "name", "created_at")
    for pk, name, created_at in authors.iterator(chunk_size=chunk_size):
        yield {"type": "author", "id": pk, "name": name, "created_at": _when(created_at)}

    usernames = dict(get_user_model().objects.values_list("pk", get_user_model().USERNAME_FIELD))
    digests = Digest.objects.order_by("pk").select_related("source")
    for digest in digests.iterator(chunk_size=chunk_size):
        yield {
            "type": "digest",
            "source": digest.source.slug,
            "name": digest.name,
            "title": digest.title,
            "url": digest.url,
            "checksum": digest.checksum,
            "encoding": digest.encoding,
            "issued": _when(digest.issued),
            "status": digest.status,
            "papers_created": digest.papers_created,
            "papers_updated": digest.papers_updated,
            "papers_unchanged": digest.papers_unchanged,
            "summaries_count": digest.summaries_count,
            "warnings": digest.warnings,
            "error": digest.error,
            "imported_by": usernames.get(digest.imported_by_id),
            "imported_at": _when(digest.imported_at),
            "created_at": _when(digest.created_at),
            "updated_at": _when(digest.updated_at),
        }

    papers = (
        Paper.objects.order_by("pk")
        .only("arxiv_id", "slug", "title", "published", "abstract", "visibility", "created_at", "updated_at")
        .prefetch_related(
            Prefetch(
                "authorships",
                queryset=Authorship.objects.select_related("author").order_by("position"),
                to_attr="ordered_authorships",
            ),
            Prefetch("categories", queryset=Category.objects.order_by("code"), to_attr="ordered_categories"),
        )
    )
    for paper in papers.iterator(chunk_size=chunk_size):
        yield {
            "type": "paper",
            "arxiv_id": paper.arxiv_id,
            "slug": paper.slug,
            "title": paper.title,
            "published": _when(paper.published),
            "abstract": paper.abstract,
            "visibility": paper.visibility,
            "created_at": _when(paper.created_at),
            "updated_at": _when(paper.updated_at),
            "authors": [authorship.author.name for authorship in paper.ordered_authorships],
            "categories": [category.code for category in paper.ordered_categories],
        }

    entries = DigestEntry.objects.order_by("pk").values_list(
        "digest__source__slug", "digest__name", "position", "paper__arxiv_id", "paper__slug", "line"
    )
    for source, name, position, arxiv_id, slug, line in entries.iterator(chunk_size=chunk_size):
        yield {
            "type": "entry",
            "digest": [source, name],
            "position": position,
            "paper": arxiv_id or slug,
            "line": line,
        }

    entry = ("entry__digest__source__slug", "entry__digest__name", "entry__position")
    summaries = Summary.objects.order_by("pk").values_list(
        "paper__arxiv_id",
        "paper__slug",
        *entry,
        "language",
        "kind",
        "text",
        "visibility",
        "edited_by_editor",
        "created_at",
        "updated_at",
    )
    for row in summaries.iterator(chunk_size=chunk_size):
        arxiv_id, slug, e_source, e_name, e_position, language, kind, text, visibility, edited, c, u = row
        yield {
            "type": "summary",
            "paper": arxiv_id or slug,
            "entry": _entry_key(e_source, e_name, e_position),
            "language": language,
            "kind": kind,
            "text": text,
            "visibility": visibility,
            "edited_by_editor": edited,
            "created_at": _when(c),
            "updated_at": _when(u),
        }

    links = PaperLink.objects.order_by("pk").values_list(
        "paper__arxiv_id", "paper__slug", *entry, "kind", "url"
    )
    for arxiv_id, slug, e_source, e_name, e_position, kind, url in links.iterator(chunk_size=chunk_size):
        yield {
            "type": "link",
            "paper": arxiv_id or slug,
            "entry": _entry_key(e_source, e_name, e_position),
            "kind": kind,
            "url": url,
        }

    scores = Score.objects.order_by("pk").values_list(
        "paper__arxiv_id", "paper__slug", "source__slug", *entry, "kind", "value"
    )
    for arxiv_id, slug, source, e_source, e_name, e_position, kind, value in scores.iterator(
        chunk_size=chunk_size
    ):
        yield {
            "type": "score",
            "paper": arxiv_id or slug,
            "source": source,
            "entry": _entry_key(e_source, e_name, e_position),
            "kind": kind,
            "value": value,
        }

    related = RelatedPaper.objects.order_by("pk").values_list(
        "paper__arxiv_id", "paper__slug", "related__arxiv_id", "related__slug", *entry, "position", "score"
    )
    for arxiv_id, slug, r_arxiv_id, r_slug, e_source, e_name, e_position, position, score in related.iterator(
        chunk_size=chunk_size
    ):
        yield {
            "type": "related",
            "paper": arxiv_id or slug,
            "related": r_arxiv_id or r_slug,
            "entry": _entry_key(e_source, e_name, e_position),
            "position": position,
            "score": score,
        }

    paper_redirects = PaperRedirect.objects.order_by("pk").values_list(
        "old_key", "paper__arxiv_id", "paper__slug", "created_at"
    )
    for old_key, arxiv_id, slug, created_at in paper_redirects.iterator(chunk_size=chunk_size):
        yield {
            "type": "paper_redirect",
            "old_key": old_key,
            "paper": arxiv_id or slug,
            "created_at": _when(created_at),
        }

    author_redirects = AuthorRedirect.objects.order_by("pk").values_list(
        "old_id", "author__name", "created_at"
    )
    for old_id, name, created_at in author_redirects.iterator(chunk_size=chunk_size):
        yield {"type": "author_redirect", "old_id": old_id, "author": name, "created_at": _when(created_at)}
