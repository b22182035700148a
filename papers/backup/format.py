"""The file format of a catalogue backup: JSON lines, independent of database ids and of PostgreSQL versions.

The file is one JSON object per line. Line 1 is the header::

    {"type":"header","format":"digest-catalogue","version":1,"counts":{"source":3,"paper":120,…}}

then the records, grouped by type in this order (a record only refers to records of earlier types)::

    source          slug, name, url, language
    category        code, name
    author          id, name, created_at
    digest          source (slug), name, title, url, checksum, …, imported_by (username), timestamps
    paper           arxiv_id, slug, title, published, abstract, visibility, timestamps,
                    authors (names in order), categories (codes)
    entry           digest, position, paper, line
    summary         paper, entry, language, kind, text, visibility, edited_by_editor, timestamps
    link            paper, entry, kind, url
    score           paper, source, entry, kind, value
    related         paper, related, entry, position, score
    paper_redirect  old_key, paper, created_at
    author_redirect old_id, author, created_at

References are natural keys: a paper is its arXiv id, else its slug; an author its name; a digest
``[source slug, file name]``; a digest entry ``[source slug, file name, position]``. Authors keep their
database id as well because it is part of their public URL (``/authors/<id>/``) and of the author
redirects. Derived columns (search vector, languages, digest count, code flag, editorial score,
title and name match keys) are not written: the import recomputes them. Upload jobs and the change
history are not part of the catalogue backup.
"""

from __future__ import annotations

from django.db import models

from papers.models import (
    Author,
    AuthorRedirect,
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

FORMAT = "digest-catalogue"
VERSION = 1
SUPPORTED_VERSIONS = {1}

# Record types in file order, each with the fields it must carry.
FIELDS: dict[str, tuple[str, ...]] = {
    "source": ("slug", "name", "url", "language"),
    "category": ("code", "name"),
    "author": ("id", "name", "created_at"),
    "digest": (
        "source",
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
        "imported_by",
        "imported_at",
        "created_at",
        "updated_at",
    ),
    "paper": (
        "arxiv_id",
        "slug",
        "title",
        "published",
        "abstract",
        "visibility",
        "created_at",
        "updated_at",
        "authors",
        "categories",
    ),
    "entry": ("digest", "position", "paper", "line"),
    "summary": (
        "paper",
        "entry",
        "language",
        "kind",
        "text",
        "visibility",
        "edited_by_editor",
        "created_at",
        "updated_at",
    ),
    "link": ("paper", "entry", "kind", "url"),
    "score": ("paper", "source", "entry", "kind", "value"),
    "related": ("paper", "related", "entry", "position", "score"),
    "paper_redirect": ("old_key", "paper", "created_at"),
    "author_redirect": ("old_id", "author", "created_at"),
}
TYPES = tuple(FIELDS)

CATALOGUE_MODELS: tuple[type[models.Model], ...] = (
    Source,
    Category,
    Author,
    Digest,
    Paper,
    DigestEntry,
    Summary,
    PaperLink,
    Score,
    RelatedPaper,
    PaperRedirect,
    AuthorRedirect,
)


class BackupError(Exception):
    """A file that cannot be imported, or a catalogue that cannot receive it."""


def catalogue_is_empty() -> bool:
    return not any(model.objects.exists() for model in CATALOGUE_MODELS)
