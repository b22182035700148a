"""Writes one digest file in its transaction: locks, loads what exists, lets the walk decide, writes.

The work is set-based, so that a file of 10,000 papers costs about as many queries as one of 10: what
exists is loaded in a fixed number of queries (``matching``), the file is walked in memory (``planning``:
every decision the same as matching paper by paper against the database would make, in the file's order),
and each table is then written with one statement whose columns travel as arrays (``papers.db``).
Concurrent imports of overlapping digests serialise on transaction-scoped advisory locks taken on every
paper key of the file (``locks``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from typing import NamedTuple

from django.utils import timezone

from papers.db import AnyOf, as_columns, delete_rows, get_or_create_ids, insert_rows, update_rows
from papers.identifiers import match_key
from papers.ingest.categories import ARXIV_CATEGORY_NAMES
from papers.ingest.families import SOURCES
from papers.ingest.importer.checks import check_parsed
from papers.ingest.importer.locks import lock_keys, paper_keys
from papers.ingest.importer.matching import PAPER_FIELDS, KnownPapers, PaperState
from papers.ingest.importer.planning import ImportPlan
from papers.ingest.importer.results import CREATED, UNCHANGED, UPDATED, DigestImportResult
from papers.ingest.parsed import ParsedDigest
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
)
from papers.search.index import refresh_papers

_MAX_AUTHOR = Author._meta.get_field("name").max_length


class _SummaryRow(NamedTuple):
    """A summary of this digest as loaded, without a model instance."""

    pk: int
    entry_id: int
    entry_paper_id: int
    paper_id: int
    language: str
    kind: str
    text: str
    edited_by_editor: bool
    updated_at: datetime | None = None  # set when the import changes the text


# How a _SummaryRow is read (its fields but the last).
_SUMMARY_FIELDS = (
    "pk",
    "entry_id",
    "entry__paper_id",
    "paper_id",
    "language",
    "kind",
    "text",
    "edited_by_editor",
)


class DigestWriter:
    """Imports ``parsed`` into the catalogue, filling ``result``; runs inside the caller's transaction."""

    def __init__(self, result: DigestImportResult, parsed: ParsedDigest, user) -> None:
        self.result = result
        self.parsed = parsed
        self.user = user
        self.reason = f"imported from {result.name}"[:100]
        self.known = KnownPapers()

    def write(self) -> None:
        check_parsed(self.parsed, self.result.warnings)
        info = SOURCES[self.parsed.family]
        lock_keys(self._lock_keys(info.slug))
        source, _ = Source.objects.get_or_create(
            slug=info.slug, defaults={"name": info.name, "url": info.url, "language": info.language}
        )
        digest = self._digest(source)
        authors, categories = self._authors(), self._categories()
        old_entries = {e.paper_id: e for e in digest.entries.all()} if self.digest_existed else {}
        self.plan = ImportPlan(self.result, self.known, source, authors, categories, old_entries)
        valid = self.plan.usable(self.parsed.papers)
        states = self.known.load(valid, source)
        if states:
            ids = list(states)
            relations = RelatedPaper.objects.filter(AnyOf("paper_id", ids), AnyOf("related_id", ids))
            self.plan.add_existing_relations(list(relations), states)
        self.plan.walk(valid)
        self._save_rows(digest)
        self._sync_summaries(digest)
        still_there = self._drop_stale(digest)
        refresh_papers(self._changed_paper_ids() | still_there)
        self._finish(digest)

    def _lock_keys(self, source_slug: str) -> list[str]:
        keys = {
            f"source:{source_slug}",
            f"digest:{source_slug}:{self.result.name}",
            f"sha:{self.result.checksum}",
        }
        for item in [*self.parsed.papers, *(r for p in self.parsed.papers for r in p.related)]:
            keys.update(paper_keys(self.known.key(item.title), item.arxiv_id))
        return sorted(keys)

    def _digest(self, source: Source) -> Digest:
        digest = (
            Digest.objects.filter(checksum=self.result.checksum).first()
            or Digest.objects.filter(source=source, name=self.result.name).first()
            or Digest(source=source, name=self.result.name)
        )
        self.digest_existed = digest.pk is not None
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

    def _authors(self) -> dict[str, int]:
        """Author ids by name, creating the names not seen before."""
        names = sorted(
            {name for paper in self.parsed.papers for name in paper.authors if 0 < len(name) <= _MAX_AUTHOR}
        )
        return get_or_create_ids(
            Author, "name", names, lambda new: {"name_key": [match_key(name) for name in new]}
        )

    def _categories(self) -> dict[str, int]:
        """Category ids by code, creating the codes not seen before (named when arXiv has a name)."""
        codes = sorted({code for paper in self.parsed.papers for code in paper.categories if code})
        return get_or_create_ids(
            Category, "code", codes, lambda new: {"name": [ARXIV_CATEGORY_NAMES.get(c, "") for c in new]}
        )

    # -- writing what the walk decided: a few statements per table ---------------------------------------

    def _save_rows(self, digest: Digest) -> None:
        now = timezone.now()
        history = (self.user or Paper.history.model.get_default_history_user(None), self.reason)
        new = [state.paper for state in self.known.created]
        slugs = insert_rows(
            Paper,
            {name: [getattr(paper, name) for paper in new] for name in PAPER_FIELDS},
            returning=("slug", "id"),
            history=history,
        )
        ids = dict(slugs)
        for state in self.known.created:
            state.paper.pk = ids[state.paper.slug]
            self.plan.outcomes[state].paper_id = state.paper.pk
        changed = [state.paper for state in self.plan.outcomes if state.fields_changed]
        for paper in changed:
            paper.updated_at = now
        update_rows(Paper, ["arxiv_id", "published", "abstract", "updated_at"], changed, history=history)
        self.state_by_pk: dict[int, PaperState] = {state.paper.pk: state for state in self.plan.outcomes}

        new_entries = [entry for entry in self.plan.entries if not entry.exists]
        rows = [(digest.pk, e.paper.paper.pk, e.position, e.line) for e in new_entries]
        entry_ids = dict(
            insert_rows(
                DigestEntry,
                as_columns(("digest", "paper", "position", "line"), rows),
                returning=("paper_id", "id"),
            )
        )
        for entry in new_entries:
            entry.pk = entry_ids[entry.paper.paper.pk]
        update_rows(DigestEntry, ["position", "line"], [e for e in self.plan.entries if e.moved])

        replaced = [state for state in self.plan.outcomes if state.new_authors is not None]
        if any(state.exists for state in replaced):
            Authorship.objects.filter(AnyOf("paper_id", [s.paper.pk for s in replaced if s.exists])).delete()
        rows = [
            (state.paper.pk, author, position)
            for state in replaced
            for position, author in enumerate(state.new_authors, start=1)
        ]
        insert_rows(Authorship, as_columns(("paper", "author", "position"), rows))
        rows = [
            (state.paper.pk, category) for state in self.plan.outcomes for category in state.new_categories
        ]
        insert_rows(Paper.categories.through, as_columns(("paper", "category"), rows))
        rows = [(state.paper.pk, entry.pk, url, kind) for state, entry, url, kind in self.plan.new_links]
        # (paper, url) is unique: a link another transaction added meanwhile is not an error.
        insert_rows(PaperLink, as_columns(("paper", "entry", "url", "kind"), rows), conflicts="DO NOTHING")

        scores = []
        for score, state, entry in self.plan.scores_to_save.values():
            score.paper_id, score.entry_id = state.paper.pk, entry.pk
            scores.append(score)
        rows = [(s.paper_id, s.source_id, s.entry_id, s.kind, s.value) for s in scores if s.pk is None]
        insert_rows(Score, as_columns(("paper", "source", "entry", "kind", "value"), rows))
        update_rows(Score, ["value", "entry"], [score for score in scores if score.pk is not None])

        for (paper, related), relation in self.plan.relations.items():
            if relation.changed:
                row, entry = relation.relation, relation.entry
                row.paper_id, row.related_id, row.entry_id = paper.paper.pk, related.paper.pk, entry.pk
        relations = [r.relation for r in self.plan.relations.values() if r.changed]
        rows = [(r.paper_id, r.related_id, r.entry_id, r.position, r.score) for r in relations if not r.pk]
        insert_rows(RelatedPaper, as_columns(("paper", "related", "entry", "position", "score"), rows))
        update_rows(RelatedPaper, ["score", "position", "entry"], [r for r in relations if r.pk])

    # -- summaries, stale rows and counts ---------------------------------------------------------------

    def _sync_summaries(self, digest: Digest) -> None:
        wanted = {
            (entry.pk, state.paper.pk, language, kind): text
            for (entry, state, language, kind), text in self.plan.wanted_summaries.items()
        }
        rows = Summary.objects.filter(entry__digest=digest).order_by().values_list(*_SUMMARY_FIELDS)
        existing = {
            (s.entry_id, s.paper_id, s.language, s.kind): s for s in (_SummaryRow(*row) for row in rows)
        }
        added: dict[int, set[str]] = defaultdict(set)
        added_count: Counter[int] = Counter()
        to_create: list[tuple[int, int, str, str, str]] = []
        to_update, corrected, lost = [], [], []
        for key, text in wanted.items():
            entry_id, paper_id, language, kind = key
            summary = existing.pop(key, None)
            if summary is None:
                to_create.append((entry_id, paper_id, language, kind, text))
                added[paper_id].add(language)
                added_count[paper_id] += 1
            elif summary.text != text and summary.edited_by_editor:
                corrected.append((summary, "the digest's text differs"))
            elif summary.text != text:
                to_update.append(summary._replace(text=text))
        # With history records, so that an editor's first correction shows the imported text before it.
        history = (self.user or Summary.history.model.get_default_history_user(None), self.reason)
        insert_rows(
            Summary, as_columns(("entry", "paper", "language", "kind", "text"), to_create), history=history
        )
        now = timezone.now()
        to_update = [summary._replace(updated_at=now) for summary in to_update]
        update_rows(Summary, ["text", "updated_at"], to_update, history=history)
        gone = []
        entry_paper_ids = {state.paper.pk for state in self.plan.entry_papers}
        for summary in existing.values():
            if not summary.edited_by_editor:
                gone.append(summary)
                continue
            if summary.entry_paper_id in entry_paper_ids:
                corrected.append((summary, "the digest no longer has this text"))
                continue
            if not self._paper_stays(summary.paper_id, digest):  # deleted with its paper by _drop_stale
                gone.append(summary)
                lost.append(summary)
                continue
            # Its entry leaves the digest (_drop_stale): the correction stays, as an editor's own text.
            detached = Summary.objects.get(pk=summary.pk)
            detached.entry = None
            detached.save(update_fields=["entry", "updated_at"])
            corrected.append((summary, "the digest no longer lists the paper; kept as an editor's text"))
        delete_rows(Summary, [summary.pk for summary in gone], history=history)
        self._report_corrections(corrected, lost)
        for paper_id, languages in added.items():
            outcome = self.plan.outcomes[self.state_by_pk[paper_id]]
            if outcome.state != CREATED:
                count = added_count[paper_id]
                outcome.changes.append(
                    f"{count} new summar{'ies' if count > 1 else 'y'} ({', '.join(sorted(languages))})"
                )
        for summary in to_update:
            self.plan.outcomes[self.state_by_pk[summary.paper_id]].changes.append(
                f"{summary.language} {summary.kind} text changed"
            )
        for summary in gone:
            if summary.paper_id in self.state_by_pk:
                self.plan.outcomes[self.state_by_pk[summary.paper_id]].changes.append(
                    f"{summary.language} {summary.kind} removed"
                )
        self.result.summaries_created = len(to_create)
        self.result.summaries_updated = len(to_update)
        self.result.summaries_deleted = len(gone)

    def _paper_stays(self, paper_id: int, digest: Digest) -> bool:
        """Whether a paper is still referred to after this import (else _drop_stale deletes it)."""
        state = self.state_by_pk.get(paper_id)
        if state is not None and (
            state in self.plan.entry_papers
            or any(related is state for _, related in self.plan.wanted_related)
        ):
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
        titles = dict(Paper.objects.filter(pk__in=papers).values_list("pk", "title")) if papers else {}

        def name(summary: Summary) -> str:
            return f"the {summary.language} {summary.kind.replace('_', ' ')} of {titles[summary.paper_id]!r}"

        for summary, why in sorted(corrected, key=lambda item: item[0].pk):
            self.result.warnings.append(f"kept an editor's correction of {name(summary)} ({why})")
        for summary in sorted(lost, key=lambda summary: summary.pk):
            self.result.warnings.append(
                f"an editor's correction of {name(summary)} goes with its paper (no digest lists it any more)"
            )
        self.result.corrections_kept = len(corrected)

    def _drop_stale(self, digest: Digest) -> set[int]:
        """A corrected file may drop papers: their entries (and the summaries and relations they
        brought) go, and so do papers nothing else refers to any more. Returns the ids of the papers
        that lost something here but remain."""
        if not self.digest_existed:
            return set()  # a new digest has nothing of its own to drop
        wanted = {(paper.paper.pk, related.paper.pk) for paper, related in self.plan.wanted_related}
        relations = RelatedPaper.objects.filter(entry__digest=digest).values_list(
            "pk", "paper_id", "related_id"
        )
        stale_relations = [
            (pk, related) for pk, paper, related in relations if (paper, related) not in wanted
        ]
        candidates = {related for _, related in stale_relations}
        if stale_relations:
            RelatedPaper.objects.filter(pk__in=[pk for pk, _ in stale_relations]).delete()
        kept = {entry.pk for entry in self.plan.entries if entry.exists}
        stale_entries = [entry for entry in self.plan.old_entries.values() if entry.pk not in kept]
        candidates |= {entry.paper_id for entry in stale_entries}
        if stale_entries:
            DigestEntry.objects.filter(pk__in=[entry.pk for entry in stale_entries]).delete()
        if not candidates:
            return set()
        Paper.objects.filter(pk__in=candidates, entries__isnull=True, related_from__isnull=True).delete()
        return set(Paper.objects.filter(pk__in=candidates).values_list("pk", flat=True))

    def _changed_paper_ids(self) -> set[int]:
        """Papers whose rows this import changed, so whose derived columns need a refresh: every change
        to what they are built from (fields, authors, categories, entries, summaries, code links,
        scores) is named in the outcome, and new papers have none yet."""
        return {
            state.paper.pk
            for state, outcome in self.plan.outcomes.items()
            if outcome.state == CREATED or outcome.changes
        }

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
