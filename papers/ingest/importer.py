"""Turns one digest file into rows. The admin upload, the CLI and the tests all call ``import_digest``.

One transaction per file: a file imports completely or not at all. Papers are matched by arXiv id,
else by normalised title, so the same paper from several digests is one row with all its summaries.
Concurrent imports of overlapping digests serialise on transaction-scoped advisory locks taken on
every paper key of the file (in one sorted order, so they cannot deadlock each other), and the unique
constraints stay the last line of defence.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from papers.catalogue import refresh_papers
from papers.ingest.categories import ARXIV_CATEGORY_NAMES
from papers.ingest.families import SOURCES, read_digest
from papers.ingest.parsed import DigestParseError, ParsedDigest, ParsedPaper, ParsedRelated
from papers.ingest.text import match_key
from papers.models import (
    Author,
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
    paper_slug,
)

logger = logging.getLogger(__name__)

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
_MAX_TITLE = Paper._meta.get_field("title").max_length
_MAX_AUTHOR = Author._meta.get_field("name").max_length
_MAX_URL = PaperLink._meta.get_field("url").max_length


@dataclass
class PaperOutcome:
    title: str
    arxiv_id: str | None
    state: str = UNCHANGED
    matched_by: str | None = None  # "arxiv_id", "title", or None for a new paper
    changes: list[str] = field(default_factory=list)
    related: bool = False  # listed in a related-paper list rather than as an entry
    paper_id: int | None = None


@dataclass
class ImportResult:
    name: str
    checksum: str = ""
    family: str = ""
    encoding: str = ""
    digest_id: int | None = None
    identical: bool = False  # these exact bytes were imported before
    dry_run: bool = False
    parsed: ParsedDigest | None = None
    papers: list[PaperOutcome] = field(default_factory=list)
    summaries_created: int = 0
    summaries_updated: int = 0
    summaries_deleted: int = 0
    corrections_kept: int = 0  # editors' corrections a re-import left alone (each also a warning)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def count(self, state: str) -> int:
        return sum(1 for outcome in self.papers if outcome.state == state)


def import_digest(data: bytes, name: str, *, user=None, dry_run: bool = False) -> ImportResult:
    """Import one digest file. Never raises for bad input: problems are in ``result.errors`` and then
    nothing was written. With ``dry_run`` everything runs and is rolled back, an exact preview."""
    result = ImportResult(name=name, checksum=hashlib.sha256(data).hexdigest(), dry_run=dry_run)
    limit = settings.DIGEST_MAX_FILE_BYTES
    if len(data) > limit:
        result.errors.append(f"file is {len(data):,} bytes; the limit is {limit:,} bytes")
        return result
    try:
        read = read_digest(data)
    except DigestParseError as error:
        result.errors.append(str(error))
        return result
    result.family, result.encoding, result.parsed = read.parsed.family, read.encoding, read.parsed
    result.warnings.extend(str(warning) for warning in read.parsed.warnings)
    result.identical = Digest.objects.filter(checksum=result.checksum, status=Digest.Status.IMPORTED).exists()
    try:
        with transaction.atomic():
            _DigestWriter(result, read.parsed, user).write()
            if dry_run:
                transaction.set_rollback(True)
    except Exception as error:  # any failure leaves nothing behind; report it, keep the CLI going
        logger.exception("import of %s failed", name)
        result.errors.append(f"import failed, nothing was written: {error}")
        result.papers, result.digest_id = [], None
    if dry_run:
        result.digest_id = None
    return result


def paper_keys(title_key: str, arxiv_id: str | None) -> set[str]:
    """The advisory-lock keys of a paper: whoever creates, matches or merges it takes them first."""
    return {f"title:{title_key}", *([f"arxiv:{arxiv_id}"] if arxiv_id else [])}


def lock_keys(keys: list[str]) -> None:
    """Transaction-scoped advisory locks on ``keys``, taken in one global order so that two
    transactions locking overlapping keys wait for each other instead of deadlocking."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(h) FROM (SELECT DISTINCT hashtextextended(k, 0) AS h"
            " FROM unnest(%s::text[]) AS k ORDER BY 1) AS keys",
            [keys],
        )


class _DigestWriter:
    def __init__(self, result: ImportResult, parsed: ParsedDigest, user) -> None:
        self.result = result
        self.parsed = parsed
        self.user = user
        self.outcomes: dict[int, PaperOutcome] = {}  # by paper id
        self.wanted_summaries: dict[tuple[int, int, str, str], str] = {}  # (entry, paper, lang, kind) -> text
        self.wanted_related: set[tuple[int, int]] = set()
        self.entry_papers: set[int] = set()

    # -- the whole file ------------------------------------------------------------------------------

    def write(self) -> None:
        info = SOURCES[self.parsed.family]
        lock_keys(self._lock_keys(info.slug))
        source, _ = Source.objects.get_or_create(
            slug=info.slug, defaults={"name": info.name, "url": info.url, "language": info.language}
        )
        self.source = source
        digest = self._digest(source)
        self.authors = self._authors()
        self.categories = self._categories()
        old_entries = {entry.paper_id: entry for entry in digest.entries.all()}
        kept_entry_ids: set[int] = set()
        for position, parsed_paper in enumerate(self._valid_papers(), start=1):
            paper, outcome = self._paper(parsed_paper)
            if outcome is None:
                continue
            entry = self._entry(digest, paper, position, parsed_paper.line, old_entries, outcome)
            kept_entry_ids.add(entry.pk)
            self._fill_paper(paper, parsed_paper, entry, outcome)
            for related_position, related in enumerate(parsed_paper.related, start=1):
                self._related(paper, entry, related, related_position)
        self._sync_summaries(digest)
        still_there = self._drop_stale(digest, old_entries, kept_entry_ids)
        refresh_papers(set(self.outcomes) | still_there)
        self._finish(digest)

    def _lock_keys(self, source_slug: str) -> list[str]:
        keys = {
            f"source:{source_slug}",
            f"digest:{source_slug}:{self.result.name}",
            f"sha:{self.result.checksum}",
        }
        for item in [*self.parsed.papers, *(r for p in self.parsed.papers for r in p.related)]:
            keys.update(paper_keys(match_key(item.title), item.arxiv_id))
        return sorted(keys)

    def _digest(self, source: Source) -> Digest:
        digest = (
            Digest.objects.filter(checksum=self.result.checksum).first()
            or Digest.objects.filter(source=source, name=self.result.name).first()
            or Digest(source=source, name=self.result.name)
        )
        digest.checksum = self.result.checksum
        digest.title = self.parsed.title[: Digest._meta.get_field("title").max_length]
        digest.url = (
            self.parsed.url if len(self.parsed.url) <= Digest._meta.get_field("url").max_length else ""
        )
        digest.issued = self.parsed.issued
        digest.encoding = self.result.encoding
        digest.status = Digest.Status.RUNNING
        digest.save()
        self.result.digest_id = digest.pk
        return digest

    def _valid_papers(self) -> list[ParsedPaper]:
        valid = []
        for parsed_paper in self.parsed.papers:
            if not match_key(parsed_paper.title) or len(parsed_paper.title) > _MAX_TITLE:
                self.result.warnings.append(
                    f"line {parsed_paper.line}: skipped an entry whose title is empty or longer than "
                    f"{_MAX_TITLE} characters"
                )
                continue
            valid.append(parsed_paper)
        return valid

    def _authors(self) -> dict[str, Author]:
        names = {
            name for paper in self.parsed.papers for name in paper.authors if 0 < len(name) <= _MAX_AUTHOR
        }
        Author.objects.bulk_create(
            [Author(name=name, name_key=match_key(name)) for name in sorted(names)], ignore_conflicts=True
        )
        return {author.name: author for author in Author.objects.filter(name__in=names)}

    def _categories(self) -> dict[str, Category]:
        codes = {code for paper in self.parsed.papers for code in paper.categories if code}
        Category.objects.bulk_create(
            [Category(code=code, name=ARXIV_CATEGORY_NAMES.get(code, "")) for code in sorted(codes)],
            ignore_conflicts=True,
        )
        return {category.code: category for category in Category.objects.filter(code__in=codes)}

    # -- one paper -------------------------------------------------------------------------------------

    def _match(self, title: str, arxiv_id: str | None) -> tuple[Paper | None, str | None]:
        if arxiv_id:
            paper = Paper.objects.filter(arxiv_id=arxiv_id).first()
            if paper:
                return paper, "arxiv_id"
            # The same title with another arXiv id is another paper (or version) and stays apart.
            paper = Paper.objects.filter(title_key=match_key(title), arxiv_id__isnull=True).first()
        else:
            paper = Paper.objects.filter(title_key=match_key(title)).order_by("arxiv_id", "pk").first()
        if paper:
            return paper, "title"
        # A paper an editor merged into another: its old arXiv id or slug now redirects there.
        old_keys = [key for key in (arxiv_id, paper_slug(title, None)) if key]
        redirect = PaperRedirect.objects.filter(old_key__in=old_keys).select_related("paper").first()
        return (redirect.paper, "merged") if redirect else (None, None)

    def _paper(self, parsed: ParsedPaper | ParsedRelated, related: bool = False):
        """The paper row for a parsed entry or related paper, and its outcome; ``None`` as the outcome
        for a paper this digest already listed as an entry."""
        paper, matched_by = self._match(parsed.title, parsed.arxiv_id)
        if paper is None:
            paper = Paper(
                title=parsed.title,
                arxiv_id=parsed.arxiv_id,
                published=parsed.published,
                abstract=getattr(parsed, "abstract", ""),
            )
            paper.save()
            outcome = PaperOutcome(
                parsed.title, parsed.arxiv_id, CREATED, None, ["new paper"], related, paper.pk
            )
        elif paper.pk in self.outcomes:
            if not related and paper.pk in self.entry_papers:
                self.result.warnings.append(
                    f"line {parsed.line}: {parsed.title!r} appears twice in this digest; "
                    "the second occurrence was skipped"
                )
                return paper, None
            outcome = self.outcomes[paper.pk]
        else:
            outcome = PaperOutcome(paper.title, paper.arxiv_id, UNCHANGED, matched_by, [], related, paper.pk)
        if paper.pk not in self.outcomes:
            self.outcomes[paper.pk] = outcome
            self.result.papers.append(outcome)
        if not related:
            self.entry_papers.add(paper.pk)
            outcome.related = False
        self._enrich_fields(paper, parsed, outcome)
        return paper, outcome

    def _enrich_fields(
        self, paper: Paper, parsed: ParsedPaper | ParsedRelated, outcome: PaperOutcome
    ) -> None:
        """Fill what the row lacks; where both have a value, keep a choice that does not depend on the
        order digests arrive in (earliest date, longest abstract)."""
        changed = []
        if parsed.arxiv_id and not paper.arxiv_id:
            paper.arxiv_id = parsed.arxiv_id
            changed.append("arxiv id")
        if parsed.published and (paper.published is None or parsed.published < paper.published):
            paper.published = parsed.published
            changed.append("published date")
        abstract = getattr(parsed, "abstract", "")
        if len(abstract) > len(paper.abstract):
            paper.abstract = abstract
            changed.append("English abstract")
        if changed:
            paper.save(update_fields=["arxiv_id", "published", "abstract", "updated_at"])
            outcome.changes.extend(changed)

    def _entry(self, digest, paper, position, line, old_entries, outcome) -> DigestEntry:
        entry = old_entries.get(paper.pk)
        if entry is None:
            outcome.changes.append("listed in this digest")
            return DigestEntry.objects.create(digest=digest, paper=paper, position=position, line=line)
        if (entry.position, entry.line) != (position, line):
            entry.position, entry.line = position, line
            entry.save(update_fields=["position", "line"])
        return entry

    def _fill_paper(
        self, paper: Paper, parsed: ParsedPaper, entry: DigestEntry, outcome: PaperOutcome
    ) -> None:
        self._set_authors(paper, parsed, outcome)
        self._add_categories(paper, parsed, outcome)
        self._add_links(paper, parsed, entry, outcome)
        self._set_scores(paper, parsed, entry, outcome)
        for summary in parsed.summaries:
            self._want_summary(entry, paper, summary.language, summary.kind, summary.text)

    def _set_authors(self, paper: Paper, parsed: ParsedPaper, outcome: PaperOutcome) -> None:
        names = [name for name in parsed.authors if name in self.authors]
        current = list(paper.authorships.order_by("position").values_list("author__name", flat=True))
        # The fuller list wins (more names, then longer names: "Albert Gu" over "A Gu"), whatever the order.
        if not names or (len(names), sum(map(len, names))) <= (len(current), sum(map(len, current))):
            return
        paper.authorships.all().delete()
        Authorship.objects.bulk_create(
            Authorship(paper=paper, author=self.authors[name], position=position)
            for position, name in enumerate(names, start=1)
        )
        if outcome.state != CREATED:
            outcome.changes.append("authors")

    def _add_categories(self, paper: Paper, parsed: ParsedPaper, outcome: PaperOutcome) -> None:
        wanted = {self.categories[code] for code in parsed.categories if code in self.categories}
        if not wanted:
            return
        have = set(paper.categories.values_list("code", flat=True))
        new = [category for category in wanted if category.code not in have]
        if new:
            paper.categories.add(*new)
            if outcome.state != CREATED:
                outcome.changes.append("categories " + ", ".join(sorted(c.code for c in new)))

    def _add_links(
        self, paper: Paper, parsed: ParsedPaper, entry: DigestEntry, outcome: PaperOutcome
    ) -> None:
        links = {link.url: link.kind for link in parsed.links if len(link.url) <= _MAX_URL}
        if not links:
            return
        have = set(paper.links.filter(url__in=links).values_list("url", flat=True))
        new = [
            PaperLink(paper=paper, entry=entry, url=url, kind=kind)
            for url, kind in links.items()
            if url not in have
        ]
        if new:
            PaperLink.objects.bulk_create(new, ignore_conflicts=True)
            if outcome.state != CREATED:
                outcome.changes.append(f"{len(new)} new link{'s' if len(new) > 1 else ''}")

    def _set_scores(
        self, paper: Paper, parsed: ParsedPaper, entry: DigestEntry, outcome: PaperOutcome
    ) -> None:
        for kind, value in parsed.scores.items():
            score, created = Score.objects.get_or_create(
                paper=paper, source=self.source, kind=kind, defaults={"value": value, "entry": entry}
            )
            changed = not created and score.value != value
            if changed:
                score.value, score.entry = value, entry
                score.save(update_fields=["value", "entry"])
            if (created or changed) and outcome.state != CREATED:
                outcome.changes.append(f"score {kind}")

    def _related(self, paper: Paper, entry: DigestEntry, parsed: ParsedRelated, position: int) -> None:
        if not match_key(parsed.title) or len(parsed.title) > _MAX_TITLE:
            self.result.warnings.append(f"skipped a related paper of {paper.title!r} with an unusable title")
            return
        related, _ = self._paper(parsed, related=True)
        if related.pk == paper.pk:
            self.result.warnings.append(f"{paper.title!r} lists itself as related; skipped")
            return
        relation, created = RelatedPaper.objects.get_or_create(
            paper=paper,
            related=related,
            defaults={"entry": entry, "score": parsed.score, "position": position},
        )
        if not created and (relation.score, relation.position, relation.entry_id) != (
            parsed.score,
            position,
            entry.pk,
        ):
            relation.score, relation.position, relation.entry = parsed.score, position, entry
            relation.save(update_fields=["score", "position", "entry"])
        if created:
            self.outcomes[paper.pk].changes.append(f"related paper {related.title!r}")
        self.wanted_related.add((paper.pk, related.pk))
        for summary in parsed.summaries:
            self._want_summary(entry, related, summary.language, summary.kind, summary.text)

    def _want_summary(self, entry: DigestEntry, paper: Paper, language: str, kind: str, text: str) -> None:
        text = text.strip()
        if not text:
            return
        key = (entry.pk, paper.pk, language, kind)
        # One entry giving two texts of one kind and language: keep both, in order.
        self.wanted_summaries[key] = (
            f"{self.wanted_summaries[key]}\n\n{text}" if key in self.wanted_summaries else text
        )

    # -- summaries, stale rows and counts ---------------------------------------------------------------

    def _sync_summaries(self, digest: Digest) -> None:
        existing = {
            (s.entry_id, s.paper_id, s.language, s.kind): s
            for s in Summary.objects.filter(entry__digest=digest).select_related("entry")
        }
        added: dict[int, set[str]] = defaultdict(set)
        to_create, to_update, corrected, lost = [], [], [], []
        for key, text in self.wanted_summaries.items():
            entry_id, paper_id, language, kind = key
            summary = existing.pop(key, None)
            if summary is None:
                to_create.append(
                    Summary(entry_id=entry_id, paper_id=paper_id, language=language, kind=kind, text=text)
                )
                added[paper_id].add(language)
            elif summary.text != text and summary.edited_by_editor:
                corrected.append((summary, "the digest's text differs"))
            elif summary.text != text:
                summary.text = text
                to_update.append(summary)
        # With history records, so that an editor's first correction shows the imported text before it.
        reason = f"imported from {self.result.name}"[:100]
        bulk_create_with_history(to_create, Summary, default_user=self.user, default_change_reason=reason)
        if to_update:
            now = timezone.now()
            for summary in to_update:
                summary.updated_at = now
            bulk_update_with_history(
                to_update,
                Summary,
                ["text", "updated_at"],
                default_user=self.user,
                default_change_reason=reason,
            )
        gone = []
        for summary in existing.values():
            if not summary.edited_by_editor:
                gone.append(summary)
                continue
            if summary.entry.paper_id in self.entry_papers:
                corrected.append((summary, "the digest no longer has this text"))
                continue
            if not self._paper_stays(summary.paper_id, digest):  # deleted with its paper by _drop_stale
                gone.append(summary)
                lost.append(summary)
                continue
            # Its entry leaves the digest (_drop_stale): the correction stays, as an editor's own text.
            summary.entry = None
            summary.save(update_fields=["entry", "updated_at"])
            corrected.append((summary, "the digest no longer lists the paper; kept as an editor's text"))
        Summary.objects.filter(pk__in=[s.pk for s in gone]).delete()
        self._report_corrections(corrected, lost)
        for paper_id, languages in added.items():
            outcome = self.outcomes[paper_id]
            if outcome.state != CREATED:
                count = sum(1 for s in to_create if s.paper_id == paper_id)
                outcome.changes.append(
                    f"{count} new summar{'ies' if count > 1 else 'y'} ({', '.join(sorted(languages))})"
                )
        for summary in to_update:
            self.outcomes[summary.paper_id].changes.append(f"{summary.language} {summary.kind} text changed")
        for summary in gone:
            if summary.paper_id in self.outcomes:
                self.outcomes[summary.paper_id].changes.append(f"{summary.language} {summary.kind} removed")
        self.result.summaries_created = len(to_create)
        self.result.summaries_updated = len(to_update)
        self.result.summaries_deleted = len(gone)

    def _paper_stays(self, paper_id: int, digest: Digest) -> bool:
        """Whether a paper is still referred to after this import (else _drop_stale deletes it)."""
        if paper_id in self.entry_papers or any(related == paper_id for _, related in self.wanted_related):
            return True
        elsewhere = RelatedPaper.objects.filter(related_id=paper_id).exclude(entry__digest=digest)
        return (
            DigestEntry.objects.filter(paper_id=paper_id).exclude(digest=digest).exists()
            or elsewhere.exists()
        )

    def _report_corrections(self, corrected: list[tuple[Summary, str]], lost: list[Summary]) -> None:
        """An editor's correction (``edited_by_editor``) is never overwritten or deleted by a re-import;
        the difference is reported instead, so the preview shows it. Only a paper that no digest lists
        any more takes its corrections with it, and that is reported too."""
        papers = {s.paper_id for s, _ in corrected} | {s.paper_id for s in lost}
        titles = dict(Paper.objects.filter(pk__in=papers).values_list("pk", "title"))

        def name(summary: Summary) -> str:
            return f"the {summary.language} {summary.kind.replace('_', ' ')} of {titles[summary.paper_id]!r}"

        for summary, why in sorted(corrected, key=lambda item: item[0].pk):
            self.result.warnings.append(f"kept an editor's correction of {name(summary)} ({why})")
        for summary in sorted(lost, key=lambda summary: summary.pk):
            self.result.warnings.append(
                f"an editor's correction of {name(summary)} goes with its paper (no digest lists it any more)"
            )
        self.result.corrections_kept = len(corrected)

    def _drop_stale(self, digest: Digest, old_entries: dict[int, DigestEntry], kept: set[int]) -> set[int]:
        """A corrected file may drop papers: their entries (and the summaries and relations they
        brought) go, and so do papers nothing else refers to any more. Returns the ids of the papers
        that lost something here but remain."""
        relations = RelatedPaper.objects.filter(entry__digest=digest).values_list(
            "pk", "paper_id", "related_id"
        )
        stale_relations = [
            (pk, related) for pk, paper, related in relations if (paper, related) not in self.wanted_related
        ]
        candidates = {related for _, related in stale_relations}
        RelatedPaper.objects.filter(pk__in=[pk for pk, _ in stale_relations]).delete()
        stale_entries = [entry for entry in old_entries.values() if entry.pk not in kept]
        candidates |= {entry.paper_id for entry in stale_entries}
        DigestEntry.objects.filter(pk__in=[entry.pk for entry in stale_entries]).delete()
        if candidates:
            Paper.objects.filter(pk__in=candidates, entries__isnull=True, related_from__isnull=True).delete()
        return set(Paper.objects.filter(pk__in=candidates).values_list("pk", flat=True))

    def _finish(self, digest: Digest) -> None:
        for outcome in self.result.papers:
            if outcome.state != CREATED:
                outcome.state = UPDATED if outcome.changes else UNCHANGED
        digest.status = Digest.Status.IMPORTED
        digest.papers_created = self.result.count(CREATED)
        digest.papers_updated = self.result.count(UPDATED)
        digest.papers_unchanged = self.result.count(UNCHANGED)
        digest.summaries_count = Summary.objects.filter(entry__digest=digest).count()
        digest.warnings = self.result.warnings
        digest.error = ""
        digest.imported_by = self.user
        digest.imported_at = timezone.now()
        digest.save()
