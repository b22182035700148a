"""Where the catalogue's texts come from: sources, digests, their entries, and what each entry gave a paper
(summaries, links, editorial scores, related papers)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from papers import summary_kinds
from papers.models.catalogue import Paper, Visibility


class Language(models.TextChoices):
    JAPANESE = "ja", _("Japanese")
    CHINESE = "zh", _("Chinese")
    KOREAN = "ko", _("Korean")
    ENGLISH = "en", _("English")


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
