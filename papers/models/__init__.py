"""The catalogue: papers, their authors and categories, and every summary with the digest it came from.

The models live in ``catalogue`` (papers, authors, categories, merge redirects), ``digests`` (sources,
digests, their entries and what each entry gave a paper) and ``jobs`` (uploads); every name other code
uses is importable from ``papers.models``, as Django expects of an app's models, and as the migrations
reference ``papers.models.validate_category_code``.
"""

from papers.models.catalogue import (
    NEWEST,
    Author,
    AuthorQuerySet,
    AuthorRedirect,
    Authorship,
    Category,
    CategoryQuerySet,
    Paper,
    PaperQuerySet,
    PaperRedirect,
    Visibility,
    paper_slug,
    validate_category_code,
)
from papers.models.digests import (
    Digest,
    DigestEntry,
    DigestQuerySet,
    DigestStatus,
    Language,
    LinkKind,
    PaperLink,
    RelatedPaper,
    Score,
    Source,
    Summary,
    SummaryKind,
    SummaryQuerySet,
)
from papers.models.jobs import ImportJob, ImportJobFile, JobStatus

__all__ = [
    "NEWEST",
    "Author",
    "AuthorQuerySet",
    "AuthorRedirect",
    "Authorship",
    "Category",
    "CategoryQuerySet",
    "Digest",
    "DigestEntry",
    "DigestQuerySet",
    "DigestStatus",
    "ImportJob",
    "ImportJobFile",
    "JobStatus",
    "Language",
    "LinkKind",
    "Paper",
    "PaperLink",
    "PaperQuerySet",
    "PaperRedirect",
    "RelatedPaper",
    "Score",
    "Source",
    "Summary",
    "SummaryKind",
    "SummaryQuerySet",
    "Visibility",
    "paper_slug",
    "validate_category_code",
]
