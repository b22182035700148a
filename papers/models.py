"""The catalogue: papers, their authors and categories, and every summary with the digest it came from.

Integrity lives in the database (unique keys, foreign keys, checks) so that concurrent imports and
admin edits cannot create duplicates or orphans, whatever the Python code does.
"""

from __future__ import annotations

import hashlib
import re

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField
from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connections, models
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from papers import summary_kinds
from papers.identifiers import (
    ARXIV_ID_PATTERN,
    CATEGORY_CODE_MAX_LENGTH,
    CATEGORY_CODE_PATTERN,
    is_category_code,
    match_key,
)
from papers.search.text import websearch_query


class Visibility(models.TextChoices):
    PUBLISHED = "published", pgettext_lazy("visibility", "Published")
    HIDDEN = "hidden", _("Hidden")


class Language(models.TextChoices):
    JAPANESE = "ja", _("Japanese")
    CHINESE = "zh", _("Chinese")
    KOREAN = "ko", _("Korean")
    ENGLISH = "en", _("English")


def validate_category_code(code: str) -> None:
    if not is_category_code(code):
        raise ValidationError(
            _("%(code)s is not an arXiv category code such as cs.LG, hep-th or cond-mat.dis-nn."),
            code="invalid",
            params={"code": code},
        )


class CategoryQuerySet(models.QuerySet):
    def public(self) -> CategoryQuerySet:
        """Categories with a published paper: one that only hidden papers carry does not exist for readers."""
        on_published = Paper.categories.through.objects.filter(
            category=OuterRef("pk"), paper__visibility=Visibility.PUBLISHED
        )
        return self.filter(Exists(on_published))


class Category(models.Model):
    """An arXiv subject class such as ``cs.CL``; codes without a known name are kept with an empty one, but
    every code has arXiv's shape (papers.ingest.categories), whichever way it arrives."""

    code = models.CharField(
        max_length=CATEGORY_CODE_MAX_LENGTH, unique=True, validators=[validate_category_code]
    )
    name = models.CharField(max_length=200, blank=True)

    objects = CategoryQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "categories"
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=CATEGORY_CODE_PATTERN), name="category_code_format"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.name})" if self.name else self.code

    def get_absolute_url(self) -> str:
        return reverse("category_detail", args=[self.code])


class AuthorQuerySet(models.QuerySet):
    def public(self) -> AuthorQuerySet:
        """Authors of a published paper: a name that only hidden papers print does not exist for readers."""
        signed = Authorship.objects.filter(author=OuterRef("pk"), paper__visibility=Visibility.PUBLISHED)
        return self.filter(Exists(signed))


class Author(models.Model):
    """A name as printed. Two spellings of one person stay two rows until an editor merges them:
    ``name_key`` groups candidates, it never merges by itself."""

    name = models.CharField(max_length=300, unique=True)
    name_key = models.CharField(max_length=300, db_index=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AuthorQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        permissions = [("merge_author", "Can merge duplicate authors")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.name_key = match_key(self.name)
        super().save(*args, **kwargs)


# Newest first: the order of lists, feeds and the relevance window (paper_newest_idx).
NEWEST = (F("published").desc(nulls_last=True), F("id").desc())
# A rewritten query of words and phrases only: no OR, no exclusion, nothing but letters and digits.
_WORDS_AND_PHRASES = re.compile(r'[\w\s"]+')


class PaperQuerySet(models.QuerySet):
    def published(self) -> PaperQuerySet:
        return self.filter(visibility=Visibility.PUBLISHED)

    def search(self, query: str) -> PaperQuerySet:
        """Papers matching a web-search style query (quoted phrases, -exclude, OR) in any language,
        annotated with ``rank`` (titles weigh most, then authors, then summaries)."""
        search_query = _search_query(query)
        if search_query is None:
            return self.none()._with_rank(None)
        return self.filter(search_vector=search_query)._with_rank(search_query)

    def ranked(self, query: str) -> PaperQuerySet:
        """These papers annotated with ``rank`` for ``query`` without searching them again: for papers
        already known to match (a search's window), so that PostgreSQL looks them up by id instead of
        re-checking every match of the search."""
        return self._with_rank(_search_query(query))

    def _with_rank(self, search_query: SearchQuery | None) -> PaperQuerySet:
        if search_query is None:  # nothing searchable in the query
            return self.annotate(rank=models.Value(0.0, output_field=models.FloatField()))
        return self.annotate(rank=SearchRank(F("search_vector"), search_query, weights=[0.1, 0.2, 0.4, 1.0]))

    def newest_matches(self, query: str, limit: int) -> list[int]:
        """Ids of the newest ``limit`` of these papers that match ``query``, newest first.

        GIN cannot check a phrase (what a CJK word becomes: 強化学習 → "強化 化学 学習"): PostgreSQL
        re-checks every candidate against its stored vector, 21,867 vectors for 強化学習 at 1M papers
        (190 ms). When the query is only words and phrases, every match also has the phrases' words
        in any order, which GIN answers alone; so those candidates are taken newest first and the
        phrases are checked only until ``limit`` pass (55 ms). Same ids, same order."""
        rewritten = websearch_query(query)
        if not rewritten:
            return []
        in_any_order = _phrases_in_any_order(rewritten)
        if in_any_order is None:
            matches = self.filter(search_vector=_websearch(rewritten)).order_by(*NEWEST)
            return list(matches.values_list("pk", flat=True)[:limit])
        candidates = self.filter(search_vector=_websearch(in_any_order)).order_by(*NEWEST)
        try:
            sql, params = candidates.values("pk", "published", "search_vector").query.sql_with_params()
        except EmptyResultSet:  # a filter no paper can pass (``?year=11242208``): the ORM runs no SQL either
            return []
        with connections[self.db].cursor() as cursor:
            # OFFSET 0 keeps PostgreSQL from folding the phrase check back into the index scan.
            cursor.execute(
                f"SELECT pk FROM ({sql} OFFSET 0) AS candidates"
                " WHERE search_vector @@ websearch_to_tsquery('english', %s)"
                " ORDER BY published DESC NULLS LAST, pk DESC LIMIT %s",
                [*params, rewritten, limit],
            )
            return [pk for (pk,) in cursor.fetchall()]


def _phrases_in_any_order(rewritten: str) -> str | None:
    """The rewritten query with its phrases' words in any order, when it has phrases and every paper it
    matches matches that too: only words and phrases (no OR, no exclusion, no punctuation)."""
    if '"' not in rewritten or not _WORDS_AND_PHRASES.fullmatch(rewritten):
        return None
    if "or" in rewritten.replace('"', " ").casefold().split():
        return None
    return rewritten.replace('"', " ")


def _websearch(rewritten: str) -> SearchQuery:
    return SearchQuery(rewritten, search_type="websearch", config="english")


def _search_query(query: str) -> SearchQuery | None:
    rewritten = websearch_query(query)
    return _websearch(rewritten) if rewritten else None


class Paper(models.Model):
    title = models.CharField(max_length=500, help_text="The English original title.")
    title_key = models.CharField(
        max_length=500,
        editable=False,
        help_text="Normalised title, used to match papers without an arXiv id.",
    )
    arxiv_id = models.CharField(
        "arXiv id",
        max_length=40,
        null=True,
        blank=True,
        unique=True,
        help_text="Without version, e.g. 2404.19756.",
    )
    slug = models.SlugField(max_length=120, unique=True, editable=False)
    published = models.DateField(null=True, blank=True)
    # What the digests gave (the importer keeps the longest): the importer's record, never shown as it
    # stands. Readers see and search the published English abstract summaries it came from instead.
    abstract = models.TextField(blank=True, help_text="The English original abstract, when known.")
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.PUBLISHED)
    authors = models.ManyToManyField(Author, through="Authorship", related_name="papers")
    categories = models.ManyToManyField(Category, related_name="papers", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Derived from the rows above by papers.search.index.refresh_papers() in the same transaction as every
    # import or admin edit, so that search and facets never need joins and are never stale.
    search_vector = SearchVectorField(null=True, editable=False)
    languages = ArrayField(models.CharField(max_length=10), default=list, blank=True, editable=False)
    digest_count = models.PositiveIntegerField(default=0, editable=False)
    has_code = models.BooleanField(default=False, editable=False)
    editorial_score = models.FloatField(
        null=True, blank=True, editable=False, help_text="Best editorial score, scaled to 0–1."
    )
    # Facet values as sorted distinct ids, so that counting a facet reads only the matching paper
    # rows instead of joining a many-to-many table with millions of rows.
    category_ids = ArrayField(models.BigIntegerField(), default=list, blank=True, editable=False)
    author_ids = ArrayField(models.BigIntegerField(), default=list, blank=True, editable=False)
    source_ids = ArrayField(models.BigIntegerField(), default=list, blank=True, editable=False)
    digest_ids = ArrayField(models.BigIntegerField(), default=list, blank=True, editable=False)

    objects = PaperQuerySet.as_manager()
    history = HistoricalRecords(
        excluded_fields=[
            "search_vector",
            "languages",
            "digest_count",
            "has_code",
            "editorial_score",
            "category_ids",
            "author_ids",
            "source_ids",
            "digest_ids",
            "updated_at",
        ]
    )

    class Meta:
        ordering = [F("published").desc(nulls_last=True), "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(arxiv_id__regex=ARXIV_ID_PATTERN), name="paper_arxiv_id_format"
            ),
            models.CheckConstraint(condition=~Q(title=""), name="paper_title_not_empty"),
            # What SlugField means and paper_slug() makes: a slug is a URL part as it stands.
            models.CheckConstraint(condition=Q(slug__regex=r"^[-a-zA-Z0-9_]+$"), name="paper_slug_format"),
            models.CheckConstraint(condition=~Q(title_key=""), name="paper_title_key_not_empty"),
            models.CheckConstraint(
                condition=Q(visibility__in=Visibility.values), name="paper_visibility_valid"
            ),
            # Papers without an arXiv id are identified by their title alone.
            models.UniqueConstraint(
                "title_key", condition=Q(arxiv_id__isnull=True), name="paper_unique_title_without_arxiv_id"
            ),
        ]
        permissions = [("merge_paper", "Can merge duplicate papers")]
        indexes = [
            models.Index(fields=["title_key"], name="paper_title_key_idx"),
            # One GIN index over the search vector and the two facets almost every search combines
            # with it: a search filtered by a category and a language is answered inside one index
            # scan, which skips through a common category's entries (430,000 papers carry cs.LG at
            # 1M) instead of building a bitmap of each and intersecting them (100 ms -> 30 ms). A
            # multicolumn GIN index serves conditions on any of its columns alone just as well. The
            # languages are never looked up alone through it: each is on a quarter to half of the papers.
            GinIndex(fields=["search_vector", "category_ids", "languages"], name="paper_search_gin"),
            GinIndex(fields=["author_ids"], name="paper_author_ids_gin"),
            GinIndex(fields=["digest_ids"], name="paper_digest_ids_gin"),
            models.Index(F("published").desc(nulls_last=True), F("id").desc(), name="paper_newest_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        self.title_key = match_key(self.title)
        if not self.arxiv_id:
            self.arxiv_id = None
        if not self.slug:
            self.slug = paper_slug(self.title, self.arxiv_id)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("paper_detail", args=[self.arxiv_id or self.slug])


def paper_slug(title: str, arxiv_id: str | None) -> str:
    """A stable URL part: the arXiv id when there is one, else the slugified title plus a short
    hash of its match key (titles in CJK only slugify to nothing)."""
    if arxiv_id:
        return slugify(arxiv_id.replace("/", "-"))
    digest = hashlib.sha1(match_key(title).encode()).hexdigest()[:8]
    base = slugify(title, allow_unicode=False)[:100].strip("-")
    return f"{base}-{digest}" if base else digest


class Authorship(models.Model):
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="authorships")
    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="authorships")
    position = models.PositiveSmallIntegerField(help_text="1 for the first author.")

    class Meta:
        ordering = ["paper", "position"]
        # Not unique on (paper, author): one paper can list two people printed with the same name.
        constraints = [
            models.UniqueConstraint(fields=["paper", "position"], name="authorship_unique_position"),
            models.CheckConstraint(condition=Q(position__gte=1), name="authorship_position_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.author}"


class Source(models.Model):
    """A digest family or publisher, e.g. arxiv.jp or the PyTorchKR weekly translation."""

    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    url = models.URLField(blank=True)
    language = models.CharField(max_length=10, choices=Language.choices, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DigestStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    IMPORTED = "imported", _("Imported")
    FAILED = "failed", _("Failed")


class DigestQuerySet(models.QuerySet):
    def public(self) -> DigestQuerySet:
        """Imported digests that list a published paper. One that lists only hidden papers does not exist
        for readers: its page, title and date would show what was hidden (a 論文の概要 digest is named
        after its one paper)."""
        listing = DigestEntry.objects.filter(digest=OuterRef("pk"), paper__visibility=Visibility.PUBLISHED)
        return self.filter(Exists(listing), status=DigestStatus.IMPORTED)


class Digest(models.Model):
    """One imported digest file."""

    Status = DigestStatus

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="digests")
    name = models.CharField(max_length=255, help_text="File name as uploaded or imported.")
    title = models.CharField(max_length=500, blank=True)
    url = models.URLField(
        max_length=1000, blank=True, help_text="The original post, when the digest names it."
    )
    checksum = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the file's bytes.")
    encoding = models.CharField(max_length=40, blank=True)
    issued = models.DateField(null=True, blank=True, help_text="The digest's own issue or posting date.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    papers_created = models.PositiveIntegerField(default=0)
    papers_updated = models.PositiveIntegerField(default=0)
    papers_unchanged = models.PositiveIntegerField(default=0)
    summaries_count = models.PositiveIntegerField(default=0)
    warnings = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    imported_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DigestQuerySet.as_manager()

    class Meta:
        ordering = [F("issued").desc(nulls_last=True), "-id"]
        permissions = [("upload_digest", "Can upload, preview and import digest files")]
        constraints = [
            # A corrected file re-imported under the same name updates that digest.
            models.UniqueConstraint(fields=["source", "name"], name="digest_unique_name_per_source"),
            models.CheckConstraint(condition=Q(status__in=DigestStatus.values), name="digest_status_valid"),
            models.CheckConstraint(
                condition=Q(checksum__regex=r"^[0-9a-f]{64}$"), name="digest_checksum_sha256"
            ),
        ]
        indexes = [
            # The newest digests (the home page's) are read in this order, checking each one's papers
            # (DigestQuerySet.public) until there are enough, instead of checking every digest first.
            models.Index(F("issued").desc(nulls_last=True), F("id").desc(), name="digest_newest_idx"),
        ]

    def __str__(self) -> str:
        if self.title:
            return self.title
        # Digests without a title of their own (arxiv.jp, some PyTorchKR posts) go by source and date.
        when = f"{self.issued:%Y-%m-%d}" if self.issued else self.name.rsplit(".", 1)[0]
        return f"{self.source.name} · {when}"


class DigestEntry(models.Model):
    """A paper's place in one digest; every summary points back here for provenance."""

    digest = models.ForeignKey(Digest, on_delete=models.CASCADE, related_name="entries")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="entries")
    position = models.PositiveIntegerField(help_text="1 for the digest's first paper.")
    line = models.PositiveIntegerField(default=0, help_text="Line of the entry in the digest's text.")

    class Meta:
        ordering = ["digest", "position"]
        verbose_name_plural = "digest entries"
        constraints = [
            # Deferred so that a corrected digest can reorder its entries in one transaction.
            models.UniqueConstraint(
                fields=["digest", "position"],
                name="entry_unique_position",
                deferrable=models.Deferrable.DEFERRED,
            ),
            models.UniqueConstraint(fields=["digest", "paper"], name="entry_unique_paper"),
            models.CheckConstraint(condition=Q(position__gte=1), name="entry_position_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.digest} #{self.position}"


class SummaryKind(models.TextChoices):
    TITLE = summary_kinds.TITLE, _("Title translation")
    ABSTRACT = summary_kinds.ABSTRACT, _("Abstract")
    SUMMARY = summary_kinds.SUMMARY, _("Short summary")
    BACKGROUND = summary_kinds.BACKGROUND, _("Background")
    METHOD = summary_kinds.METHOD, _("Method")
    CONTRIBUTIONS = summary_kinds.CONTRIBUTIONS, _("Contributions")
    RESULTS = summary_kinds.RESULTS, _("Results")
    FUTURE_WORK = summary_kinds.FUTURE_WORK, _("Future work")
    ANALYSIS = summary_kinds.ANALYSIS, _("Analysis")


class SummaryQuerySet(models.QuerySet):
    def public(self) -> SummaryQuerySet:
        """The summaries readers may see with their paper (whose own visibility its lists decide):
        published ones, written by editors or given by the paper's own digest entry or by a published
        paper's. A related paper's text that a hidden paper's entry carried is hidden with that paper:
        where it came from would name it."""
        provenance = (
            Q(entry__isnull=True)
            | Q(entry__paper_id=F("paper_id"))
            | Q(entry__paper__visibility=Visibility.PUBLISHED)
        )
        return self.filter(provenance, visibility=Visibility.PUBLISHED)


class Summary(models.Model):
    """One text about one paper, in one language, of one kind, from one digest entry."""

    Kind = SummaryKind

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="summaries")
    entry = models.ForeignKey(
        DigestEntry,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="summaries",
        help_text="The digest entry this text came from; empty for texts written by editors.",
    )
    language = models.CharField(max_length=10, db_index=True)
    kind = models.CharField(max_length=20, choices=SummaryKind.choices)
    text = models.TextField()
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.PUBLISHED)
    edited_by_editor = models.BooleanField(
        default=False,
        help_text="An editor corrected this text; re-imports report a difference instead of overwriting.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SummaryQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["paper", "language", "kind"]
        verbose_name_plural = "summaries"
        constraints = [
            models.UniqueConstraint(
                fields=["paper", "entry", "language", "kind"],
                name="summary_unique_per_entry",
            ),
            models.CheckConstraint(condition=Q(kind__in=SummaryKind.values), name="summary_kind_valid"),
            models.CheckConstraint(
                condition=Q(language__regex=r"^[a-z]{2,3}(-[A-Za-z0-9]+)*$"), name="summary_language_tag"
            ),
            models.CheckConstraint(condition=~Q(text=""), name="summary_text_not_empty"),
            models.CheckConstraint(
                condition=Q(visibility__in=Visibility.values), name="summary_visibility_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.paper} [{self.language} {self.kind}]"


class LinkKind(models.TextChoices):
    PAPER = "paper", _("Paper")
    PDF = "pdf", _("PDF")
    CODE = "code", _("Code")
    PROJECT = "project", _("Project")
    DISCUSSION = "discussion", _("Discussion")
    MORE = "more", _("More")


class PaperLink(models.Model):
    Kind = LinkKind

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="links")
    entry = models.ForeignKey(
        DigestEntry, on_delete=models.SET_NULL, null=True, blank=True, related_name="links"
    )
    kind = models.CharField(max_length=20, choices=LinkKind.choices)
    url = models.URLField(max_length=2000)

    class Meta:
        ordering = ["paper", "kind", "id"]
        constraints = [
            models.UniqueConstraint(fields=["paper", "url"], name="link_unique_url_per_paper"),
            models.CheckConstraint(condition=Q(kind__in=LinkKind.values), name="link_kind_valid"),
            models.CheckConstraint(condition=Q(url__regex=r"^https?://"), name="link_url_http"),
        ]

    def __str__(self) -> str:
        return self.url


class Score(models.Model):
    """An editorial score a digest gave a paper (推荐阅读指数, 参考スコア …), kept with its source."""

    LABELS = {
        "reading_index": _("Reading index (推荐阅读指数)"),
        "reference_score": _("Reference score (参考スコア)"),
    }

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="scores")
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="scores")
    entry = models.ForeignKey(
        DigestEntry, on_delete=models.SET_NULL, null=True, blank=True, related_name="scores"
    )
    kind = models.CharField(max_length=30)
    value = models.FloatField()

    class Meta:
        ordering = ["paper", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["paper", "source", "kind"], name="score_unique_per_source"),
            models.CheckConstraint(condition=Q(value__gte=0), name="score_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}={self.value:g}"


class RelatedPaper(models.Model):
    """A relation a digest curated (論文の概要's 関連論文リスト), with the score it printed."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="related_links")
    related = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="related_from")
    entry = models.ForeignKey(
        DigestEntry, on_delete=models.CASCADE, null=True, blank=True, related_name="related"
    )
    position = models.PositiveSmallIntegerField(default=1)
    score = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["paper", "position"]
        constraints = [
            models.UniqueConstraint(fields=["paper", "related"], name="related_unique_pair"),
            models.CheckConstraint(condition=~Q(paper=F("related")), name="related_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.paper} -> {self.related}"


class PaperRedirect(models.Model):
    """An old paper URL key (arXiv id or slug) kept alive after a merge: it redirects permanently."""

    old_key = models.CharField(max_length=120, unique=True)
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="redirects")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.old_key} -> {self.paper}"


class AuthorRedirect(models.Model):
    """The id of an author merged into another: /authors/<old id>/ redirects permanently."""

    old_id = models.PositiveBigIntegerField(unique=True)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="redirects")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.old_id} -> {self.author}"


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    """One upload of digest files: previewed (in the request, or by the background worker when large),
    then, once confirmed, imported now or by the background worker (papers.jobs). ``status`` and the
    progress count describe the preview until ``previewed_at`` is set, the import after ``started_at``."""

    Status = JobStatus

    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    total_files = models.PositiveIntegerField(default=0)
    done_files = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    previewed_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)  # when the editor confirmed the preview
    finished_at = models.DateTimeField(null=True, blank=True)
    # What the preview page shows: {"errors": [...], "notes": [...]} of reading the upload and "files",
    # one papers.previews.FilePreview per file, refused ones included.
    preview = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("view_all_imports", "Can view the import jobs of every editor")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=JobStatus.values), name="importjob_status_valid"),
            models.CheckConstraint(condition=Q(done_files__lte=F("total_files")), name="importjob_progress"),
            models.CheckConstraint(
                condition=Q(started_at__isnull=True) | Q(previewed_at__isnull=False),
                name="importjob_confirmed_after_preview",
            ),
        ]

    def __str__(self) -> str:
        # Not the status: whether it is the preview's or the import's is the admin's status line to say.
        return f"Upload #{self.pk}"


class ImportJobFile(models.Model):
    """One file of an upload, kept until imported so that a failed import can be retried."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="files")
    position = models.PositiveIntegerField()
    name = models.CharField(max_length=255)
    data = models.BinaryField()
    size = models.PositiveIntegerField(default=0)
    checksum = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    digest = models.ForeignKey(Digest, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["job", "position"]
        constraints = [
            models.UniqueConstraint(fields=["job", "position"], name="importjobfile_unique_position"),
            models.CheckConstraint(
                condition=Q(status__in=JobStatus.values), name="importjobfile_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name
