"""The catalogue itself: papers, their authors and categories, and the redirects merges leave behind.

Integrity lives in the database (unique keys, foreign keys, checks) so that concurrent imports and
admin edits cannot create duplicates or orphans, whatever the Python code does.
"""

from __future__ import annotations

import hashlib
import re

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
