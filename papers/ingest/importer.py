"""Turns one digest file into rows. The admin upload, the CLI and the tests all call ``import_digest``.

One transaction per file: a file imports completely or not at all. Papers are matched by arXiv id,
else by normalised title, so the same paper from several digests is one row with all its summaries.
Concurrent imports of overlapping digests serialise on transaction-scoped advisory locks taken on
every paper key of the file (in one sorted order, so they cannot deadlock each other; a file with very
many keys locks the whole catalogue instead), and the unique constraints stay the last line of defence.

The work is set-based, so that a file of 10,000 papers costs about as many queries as one of 10: what
exists is loaded in a fixed number of queries, the file is walked in memory (every decision the same as
matching paper by paper against the database would make, in the file's order), and each table is then
written with one statement whose columns travel as arrays.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple

from django.conf import settings
from django.db import DataError, IntegrityError, connection, transaction
from django.utils import timezone

from papers.identifiers import match_key
from papers.ingest.categories import ARXIV_CATEGORY_NAMES
from papers.ingest.families import SOURCES, read_digest
from papers.ingest.parsed import DigestParseError, ParsedDigest, ParsedPaper, ParsedRelated
from papers.ingest.rules import check_parsed, refusal_reason
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
from papers.search.index import AnyOf, array_cursor, refresh_papers

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
        result.errors.append(_failure_message(name, error))
        result.papers, result.digest_id = [], None
    if dry_run:
        result.digest_id = None
    return result


def _failure_message(name: str, error: Exception) -> str:
    if isinstance(error, DigestParseError):  # a value rules.check_parsed refused, with its line
        return f"{error}; nothing was written"
    logger.exception("import of %s failed", name)
    if isinstance(error, IntegrityError | DataError):
        return f"could not store the digest: {refusal_reason(error)}; nothing was written"
    return f"import failed, nothing was written: {error}"


def paper_keys(title_key: str, arxiv_id: str | None) -> set[str]:
    """The advisory-lock keys of a paper: whoever creates, matches or merges it takes them first."""
    return {f"title:{title_key}", *([f"arxiv:{arxiv_id}"] if arxiv_id else [])}


# PostgreSQL keeps every advisory lock in its shared lock table, sized for max_locks_per_transaction (64)
# times max_connections: a 10,000-paper digest's 20,000 keys do not fit ("out of shared memory"). A
# transaction with more keys than this locks the whole catalogue instead (exclusively), and every other
# one takes that catalogue lock in shared mode before its keys, so the two kinds still exclude each other.
MAX_KEY_LOCKS = 1000
_CATALOGUE_LOCK = "catalogue"


def lock_keys(keys: list[str]) -> None:
    """Transaction-scoped advisory locks on ``keys``, taken in one global order so that two
    transactions locking overlapping keys wait for each other instead of deadlocking. Over
    ``MAX_KEY_LOCKS`` keys, one exclusive lock on the whole catalogue stands for all of them."""
    keys = sorted(set(keys))
    with connection.cursor() as cursor:
        if len(keys) > MAX_KEY_LOCKS:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [_CATALOGUE_LOCK])
            return
        # The catalogue lock first, in every transaction, so that it cannot take part in a deadlock.
        cursor.execute("SELECT pg_advisory_xact_lock_shared(hashtextextended(%s, 0))", [_CATALOGUE_LOCK])
        cursor.execute(
            "SELECT pg_advisory_xact_lock(h) FROM (SELECT DISTINCT hashtextextended(k, 0) AS h"
            " FROM unnest(%s::text[]) AS k ORDER BY 1) AS keys",
            [keys],
        )


# -- what the walk keeps in memory ---------------------------------------------------------------------------
# The file is walked in memory against these (loaded once, in a fixed number of queries), then each table
# is written in one or two statements: the walk decides, _save_rows and _sync_summaries write.


@dataclass(eq=False, slots=True)
class _PaperRow:
    """What the walk reads and writes of a paper row (loaded or still to write), without a model instance."""

    title: str
    title_key: str
    arxiv_id: str | None
    slug: str
    published: date | None
    abstract: str
    pk: int | None = None  # None until written
    updated_at: datetime | None = None  # set when the import changes the row


_PAPER_FIELDS = ("title", "title_key", "arxiv_id", "slug", "published", "abstract")


@dataclass(eq=False)
class _PaperState:
    """A paper the file names, with what it has and what this import changes on it."""

    paper: _PaperRow
    order: int  # the row's pk, or a number past every pk for a paper still to create
    exists: bool
    author_names: list[str] = field(default_factory=list)
    category_codes: set[str] = field(default_factory=set)
    link_urls: set[str] = field(default_factory=set)
    scores: dict[str, Score] = field(default_factory=dict)  # this source's scores, by kind
    fields_changed: bool = False  # arXiv id, date or abstract to save on an existing row
    new_authors: list[int] | None = None  # author ids replacing the authorships
    new_categories: list[int] = field(default_factory=list)  # category ids to add


@dataclass(eq=False)
class _EntryState:
    """The paper's entry in this digest: kept (perhaps moved) or new."""

    pk: int | None  # None until written
    paper: _PaperState
    position: int
    line: int
    exists: bool
    moved: bool = False  # position or line to save


@dataclass(eq=False)
class _RelationState:
    relation: RelatedPaper
    entry: _EntryState | None  # None: the row's entry_id as loaded (another digest's entry, or none)
    exists: bool
    changed: bool = False


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


class _DigestWriter:
    def __init__(self, result: ImportResult, parsed: ParsedDigest, user) -> None:
        self.result = result
        self.parsed = parsed
        self.user = user
        self.reason = f"imported from {result.name}"[:100]
        self.outcomes: dict[_PaperState, PaperOutcome] = {}
        self.wanted_summaries: dict[tuple[_EntryState, _PaperState, str, str], str] = {}
        self.wanted_related: set[tuple[_PaperState, _PaperState]] = set()
        self.entry_papers: set[_PaperState] = set()
        self.by_arxiv: dict[str, _PaperState] = {}
        self.by_title: dict[str, list[_PaperState]] = defaultdict(list)
        self.redirects: dict[str, list[tuple[int, _PaperState]]] = defaultdict(list)
        self.relations: dict[tuple[_PaperState, _PaperState], _RelationState] = {}
        self.new_papers: list[_PaperState] = []
        self.entries: list[_EntryState] = []
        self.new_links: list[tuple[_PaperState, _EntryState, str, str]] = []
        # New or changed scores (by object id), with the paper and entry they will point to.
        self.scores_to_save: dict[int, tuple[Score, _PaperState, _EntryState]] = {}
        self._keys: dict[str, str] = {}
        self._slugs: dict[str, str] = {}

    def key(self, title: str) -> str:
        """match_key of a title, computed once per title of the file."""
        if title not in self._keys:
            self._keys[title] = match_key(title)
        return self._keys[title]

    def slug(self, title: str) -> str:
        """The slug a paper of this title has without an arXiv id (what a merge redirect may hold)."""
        if title not in self._slugs:
            self._slugs[title] = paper_slug(title, None)
        return self._slugs[title]

    # -- the whole file ------------------------------------------------------------------------------

    def write(self) -> None:
        check_parsed(self.parsed, self.result.warnings)
        info = SOURCES[self.parsed.family]
        lock_keys(self._lock_keys(info.slug))
        source, _ = Source.objects.get_or_create(
            slug=info.slug, defaults={"name": info.name, "url": info.url, "language": info.language}
        )
        self.source = source
        digest = self._digest(source)
        self.authors = self._authors()
        self.categories = self._categories()
        self.old_entries = {e.paper_id: e for e in digest.entries.all()} if self.digest_existed else {}
        valid = self._valid_papers()
        self._load_papers(valid)
        # The walk: every decision, in the file's order, against the states (no query).
        for position, parsed_paper in enumerate(valid, start=1):
            state, outcome = self._paper(parsed_paper)
            if outcome is None:
                continue
            entry = self._entry(state, position, parsed_paper.line, outcome)
            self._fill_paper(state, parsed_paper, entry, outcome)
            for related_position, related in enumerate(parsed_paper.related, start=1):
                self._related(state, entry, related, related_position)
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
            keys.update(paper_keys(self.key(item.title), item.arxiv_id))
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

    def _valid_papers(self) -> list[ParsedPaper]:
        valid = []
        for parsed_paper in self.parsed.papers:
            if not self.key(parsed_paper.title) or len(parsed_paper.title) > _MAX_TITLE:
                self.result.warnings.append(
                    f"line {parsed_paper.line}: skipped an entry whose title is empty or longer than "
                    f"{_MAX_TITLE} characters"
                )
                continue
            valid.append(parsed_paper)
        return valid

    def _authors(self) -> dict[str, int]:
        """Author ids by name, creating the names not seen before."""
        names = sorted(
            {name for paper in self.parsed.papers for name in paper.authors if 0 < len(name) <= _MAX_AUTHOR}
        )
        return _ids_by(Author, "name", names, lambda new: {"name_key": [match_key(name) for name in new]})

    def _categories(self) -> dict[str, int]:
        """Category ids by code, creating the codes not seen before (named when arXiv has a name)."""
        codes = sorted({code for paper in self.parsed.papers for code in paper.categories if code})
        return _ids_by(
            Category, "code", codes, lambda new: {"name": [ARXIV_CATEGORY_NAMES.get(c, "") for c in new]}
        )

    # -- what exists already: a fixed number of queries, whatever the file's length ----------------------

    def _load_papers(self, valid: list[ParsedPaper]) -> None:
        """Every row the walk may match (by arXiv id, by title, through a merge redirect) and what it
        already has (authors, categories, links, this source's scores, relations among them)."""
        items: list[ParsedPaper | ParsedRelated] = [*valid, *(r for p in valid for r in p.related)]
        arxiv_ids = {item.arxiv_id for item in items if item.arxiv_id}
        title_keys = {self.key(item.title) for item in items}
        matches = AnyOf("arxiv_id", arxiv_ids) | AnyOf("title_key", title_keys)
        rows = Paper.objects.filter(matches).order_by().values_list("pk", *_PAPER_FIELDS)
        papers = {pk: _PaperRow(*fields, pk=pk) for pk, *fields in rows}
        # A merged-away paper's arXiv id or slug redirects to the paper it was merged into; an item
        # whose arXiv id a loaded row has always matches that row, so it needs no redirect.
        loaded_ids = {paper.arxiv_id for paper in papers.values() if paper.arxiv_id}
        old_keys = set()
        for item in items:
            if item.arxiv_id not in loaded_ids:
                old_keys.update(key for key in (item.arxiv_id, self.slug(item.title)) if key)
        redirects = PaperRedirect.objects.filter(AnyOf("old_key", old_keys)).order_by("pk")
        found = list(
            redirects.values_list("pk", "old_key", "paper_id", *(f"paper__{f}" for f in _PAPER_FIELDS))
        )
        for _, _, paper_id, *fields in found:
            papers.setdefault(paper_id, _PaperRow(*fields, pk=paper_id))
        states = {pk: self._add_state(paper, exists=True) for pk, paper in sorted(papers.items())}
        for pk, old_key, paper_id, *_ in found:
            self.redirects[old_key].append((pk, states[paper_id]))
        if not states:
            return
        ids = list(states)
        authorships = Authorship.objects.filter(AnyOf("paper_id", ids)).order_by("paper_id", "position")
        for paper_id, name in authorships.values_list("paper_id", "author__name"):
            states[paper_id].author_names.append(name)
        categories = Paper.categories.through.objects.filter(AnyOf("paper_id", ids))
        for paper_id, code in categories.values_list("paper_id", "category__code"):
            states[paper_id].category_codes.add(code)
        for paper_id, url in PaperLink.objects.filter(AnyOf("paper_id", ids)).values_list("paper_id", "url"):
            states[paper_id].link_urls.add(url)
        for score in Score.objects.filter(AnyOf("paper_id", ids), source=self.source):
            states[score.paper_id].scores[score.kind] = score
        for relation in RelatedPaper.objects.filter(AnyOf("paper_id", ids), AnyOf("related_id", ids)):
            pair = (states[relation.paper_id], states[relation.related_id])
            self.relations[pair] = _RelationState(relation, None, exists=True)

    def _add_state(self, paper: _PaperRow, exists: bool) -> _PaperState:
        order = paper.pk if exists else _NEW_ORDER + len(self.new_papers)
        state = _PaperState(paper, order, exists)
        if paper.arxiv_id:
            self.by_arxiv[paper.arxiv_id] = state
        self.by_title[paper.title_key].append(state)
        return state

    # -- one paper -------------------------------------------------------------------------------------

    def _match(self, title: str, arxiv_id: str | None) -> tuple[_PaperState | None, str | None]:
        """As queries would answer at this point of the walk (rows loaded plus papers created so far)."""
        candidates = self.by_title.get(self.key(title), [])
        if arxiv_id:
            state = self.by_arxiv.get(arxiv_id)
            if state:
                return state, "arxiv_id"
            # The same title with another arXiv id is another paper (or version) and stays apart.
            state = next((s for s in candidates if not s.paper.arxiv_id), None)
        else:
            # Papers with an arXiv id first (the lowest id), then the oldest row.
            state = min(
                candidates,
                key=lambda s: (s.paper.arxiv_id is None, s.paper.arxiv_id or "", s.order),
                default=None,
            )
        if state:
            return state, "title"
        if not self.redirects:
            return None, None
        # A paper an editor merged into another: its old arXiv id or slug now redirects there.
        keys = [key for key in (arxiv_id, self.slug(title)) if key]
        found = [found for key in keys for found in self.redirects.get(key, [])]
        return (min(found, key=lambda item: item[0])[1], "merged") if found else (None, None)

    def _paper(self, parsed: ParsedPaper | ParsedRelated, related: bool = False):
        """The state of a parsed entry's or related paper's row, and its outcome; ``None`` as the
        outcome for a paper this digest already listed as an entry."""
        state, matched_by = self._match(parsed.title, parsed.arxiv_id)
        if state is None:
            arxiv_id = parsed.arxiv_id or None
            paper = _PaperRow(
                title=parsed.title,
                title_key=self.key(parsed.title),
                arxiv_id=arxiv_id,
                slug=paper_slug(parsed.title, arxiv_id),
                published=parsed.published,
                abstract=getattr(parsed, "abstract", ""),
            )
            state = self._add_state(paper, exists=False)
            self.new_papers.append(state)
            outcome = PaperOutcome(parsed.title, parsed.arxiv_id, CREATED, None, ["new paper"], related)
        elif state in self.outcomes:
            if not related and state in self.entry_papers:
                self.result.warnings.append(
                    f"line {parsed.line}: {parsed.title!r} appears twice in this digest; "
                    "the second occurrence was skipped"
                )
                return state, None
            outcome = self.outcomes[state]
        else:
            paper = state.paper
            outcome = PaperOutcome(paper.title, paper.arxiv_id, UNCHANGED, matched_by, [], related, paper.pk)
        if state not in self.outcomes:
            self.outcomes[state] = outcome
            self.result.papers.append(outcome)
        if not related:
            self.entry_papers.add(state)
            outcome.related = False
        self._enrich_fields(state, parsed, outcome)
        return state, outcome

    def _enrich_fields(
        self, state: _PaperState, parsed: ParsedPaper | ParsedRelated, outcome: PaperOutcome
    ) -> None:
        """Fill what the row lacks; where both have a value, keep a choice that does not depend on the
        order digests arrive in (earliest date, longest abstract)."""
        paper, changed = state.paper, []
        if parsed.arxiv_id and not paper.arxiv_id:
            paper.arxiv_id = parsed.arxiv_id
            self.by_arxiv[paper.arxiv_id] = state
            changed.append("arxiv id")
        if parsed.published and (paper.published is None or parsed.published < paper.published):
            paper.published = parsed.published
            changed.append("published date")
        abstract = getattr(parsed, "abstract", "")
        if len(abstract) > len(paper.abstract):
            paper.abstract = abstract
            changed.append("English abstract")
        if changed:
            state.fields_changed = state.exists
            outcome.changes.extend(changed)

    def _entry(self, state: _PaperState, position: int, line: int, outcome: PaperOutcome) -> _EntryState:
        entry = self.old_entries.get(state.paper.pk) if state.exists else None
        if entry is None:
            outcome.changes.append("listed in this digest")
            entry_state = _EntryState(None, state, position, line, exists=False)
        else:
            moved = (entry.position, entry.line) != (position, line)
            entry_state = _EntryState(entry.pk, state, position, line, exists=True, moved=moved)
        self.entries.append(entry_state)
        return entry_state

    def _fill_paper(
        self, state: _PaperState, parsed: ParsedPaper, entry: _EntryState, outcome: PaperOutcome
    ) -> None:
        self._set_authors(state, parsed, outcome)
        self._add_categories(state, parsed, outcome)
        self._add_links(state, parsed, entry, outcome)
        self._set_scores(state, parsed, entry, outcome)
        for summary in parsed.summaries:
            self._want_summary(entry, state, summary.language, summary.kind, summary.text)

    def _set_authors(self, state: _PaperState, parsed: ParsedPaper, outcome: PaperOutcome) -> None:
        names = [name for name in parsed.authors if name in self.authors]
        current = state.author_names
        # The fuller list wins (more names, then longer names: "Albert Gu" over "A Gu"), whatever the order.
        if not names or (len(names), sum(map(len, names))) <= (len(current), sum(map(len, current))):
            return
        state.author_names = names
        state.new_authors = [self.authors[name] for name in names]
        if outcome.state != CREATED:
            outcome.changes.append("authors")

    def _add_categories(self, state: _PaperState, parsed: ParsedPaper, outcome: PaperOutcome) -> None:
        wanted = {code for code in parsed.categories if code in self.categories}
        new = sorted(wanted - state.category_codes)
        if new:
            state.category_codes.update(new)
            state.new_categories.extend(self.categories[code] for code in new)
            if outcome.state != CREATED:
                outcome.changes.append("categories " + ", ".join(new))

    def _add_links(
        self, state: _PaperState, parsed: ParsedPaper, entry: _EntryState, outcome: PaperOutcome
    ) -> None:
        links = {link.url: link.kind for link in parsed.links if len(link.url) <= _MAX_URL}
        new = [(url, kind) for url, kind in links.items() if url not in state.link_urls]
        if new:
            state.link_urls.update(url for url, _ in new)
            self.new_links.extend((state, entry, url, kind) for url, kind in new)
            if outcome.state != CREATED:
                outcome.changes.append(f"{len(new)} new link{'s' if len(new) > 1 else ''}")

    def _set_scores(
        self, state: _PaperState, parsed: ParsedPaper, entry: _EntryState, outcome: PaperOutcome
    ) -> None:
        for kind, value in parsed.scores.items():
            score = state.scores.get(kind)
            created = score is None
            if created:
                score = state.scores[kind] = Score(source=self.source, kind=kind, value=value)
            changed = not created and score.value != value
            if created or changed:
                score.value = value
                self.scores_to_save[id(score)] = (score, state, entry)
                if outcome.state != CREATED:
                    outcome.changes.append(f"score {kind}")

    def _related(self, state: _PaperState, entry: _EntryState, parsed: ParsedRelated, position: int) -> None:
        paper = state.paper
        if not self.key(parsed.title) or len(parsed.title) > _MAX_TITLE:
            self.result.warnings.append(f"skipped a related paper of {paper.title!r} with an unusable title")
            return
        related, _ = self._paper(parsed, related=True)
        if related is state:
            self.result.warnings.append(f"{paper.title!r} lists itself as related; skipped")
            return
        relation = self.relations.get((state, related))
        if relation is None:
            relation = _RelationState(
                RelatedPaper(score=parsed.score, position=position), entry, exists=False, changed=True
            )
            self.relations[(state, related)] = relation
            self.outcomes[state].changes.append(f"related paper {related.paper.title!r}")
        else:
            row = relation.relation
            same_entry = (
                relation.entry is entry
                if relation.entry is not None
                else entry.exists and row.entry_id == entry.pk
            )
            if (row.score, row.position) != (parsed.score, position) or not same_entry:
                row.score, row.position = parsed.score, position
                relation.entry, relation.changed = entry, True
        self.wanted_related.add((state, related))
        for summary in parsed.summaries:
            self._want_summary(entry, related, summary.language, summary.kind, summary.text)

    def _want_summary(
        self, entry: _EntryState, state: _PaperState, language: str, kind: str, text: str
    ) -> None:
        text = text.strip()
        if not text:
            return
        key = (entry, state, language, kind)
        # One entry giving two texts of one kind and language: keep both, in order.
        self.wanted_summaries[key] = (
            f"{self.wanted_summaries[key]}\n\n{text}" if key in self.wanted_summaries else text
        )

    # -- writing what the walk decided: a few statements per table ---------------------------------------

    def _save_rows(self, digest: Digest) -> None:
        now = timezone.now()
        history = (self.user or Paper.history.model.get_default_history_user(None), self.reason)
        new = [state.paper for state in self.new_papers]
        slugs = _insert(
            Paper,
            {name: [getattr(paper, name) for paper in new] for name in _PAPER_FIELDS},
            returning=("slug", "id"),
            history=history,
        )
        ids = dict(slugs)
        for state in self.new_papers:
            state.paper.pk = ids[state.paper.slug]
            self.outcomes[state].paper_id = state.paper.pk
        changed = [state.paper for state in self.outcomes if state.fields_changed]
        for paper in changed:
            paper.updated_at = now
        _update(Paper, ["arxiv_id", "published", "abstract", "updated_at"], changed, history=history)
        self.state_by_pk = {state.paper.pk: state for state in self.outcomes}

        new_entries = [entry for entry in self.entries if not entry.exists]
        rows = [(digest.pk, e.paper.paper.pk, e.position, e.line) for e in new_entries]
        entry_ids = dict(
            _insert(
                DigestEntry,
                _columns(("digest", "paper", "position", "line"), rows),
                returning=("paper_id", "id"),
            )
        )
        for entry in new_entries:
            entry.pk = entry_ids[entry.paper.paper.pk]
        _update(DigestEntry, ["position", "line"], [e for e in self.entries if e.moved])

        replaced = [state for state in self.outcomes if state.new_authors is not None]
        if any(state.exists for state in replaced):
            Authorship.objects.filter(AnyOf("paper_id", [s.paper.pk for s in replaced if s.exists])).delete()
        rows = [
            (state.paper.pk, author, position)
            for state in replaced
            for position, author in enumerate(state.new_authors, start=1)
        ]
        _insert(Authorship, _columns(("paper", "author", "position"), rows))
        rows = [(state.paper.pk, category) for state in self.outcomes for category in state.new_categories]
        _insert(Paper.categories.through, _columns(("paper", "category"), rows))
        rows = [(state.paper.pk, entry.pk, url, kind) for state, entry, url, kind in self.new_links]
        # (paper, url) is unique: a link another transaction added meanwhile is not an error.
        _insert(PaperLink, _columns(("paper", "entry", "url", "kind"), rows), conflicts="DO NOTHING")

        scores = []
        for score, state, entry in self.scores_to_save.values():
            score.paper_id, score.entry_id = state.paper.pk, entry.pk
            scores.append(score)
        rows = [(s.paper_id, s.source_id, s.entry_id, s.kind, s.value) for s in scores if s.pk is None]
        _insert(Score, _columns(("paper", "source", "entry", "kind", "value"), rows))
        _update(Score, ["value", "entry"], [score for score in scores if score.pk is not None])

        for (paper, related), relation in self.relations.items():
            if relation.changed:
                row, entry = relation.relation, relation.entry
                row.paper_id, row.related_id, row.entry_id = paper.paper.pk, related.paper.pk, entry.pk
        relations = [r.relation for r in self.relations.values() if r.changed]
        rows = [(r.paper_id, r.related_id, r.entry_id, r.position, r.score) for r in relations if not r.pk]
        _insert(RelatedPaper, _columns(("paper", "related", "entry", "position", "score"), rows))
        _update(RelatedPaper, ["score", "position", "entry"], [r for r in relations if r.pk])

    # -- summaries, stale rows and counts ---------------------------------------------------------------

    def _sync_summaries(self, digest: Digest) -> None:
        wanted = {
            (entry.pk, state.paper.pk, language, kind): text
            for (entry, state, language, kind), text in self.wanted_summaries.items()
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
        _insert(Summary, _columns(("entry", "paper", "language", "kind", "text"), to_create), history=history)
        now = timezone.now()
        to_update = [summary._replace(updated_at=now) for summary in to_update]
        _update(Summary, ["text", "updated_at"], to_update, history=history)
        gone = []
        entry_paper_ids = {state.paper.pk for state in self.entry_papers}
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
        _delete(Summary, [summary.pk for summary in gone], history=history)
        self._report_corrections(corrected, lost)
        for paper_id, languages in added.items():
            outcome = self.outcomes[self.state_by_pk[paper_id]]
            if outcome.state != CREATED:
                count = added_count[paper_id]
                outcome.changes.append(
                    f"{count} new summar{'ies' if count > 1 else 'y'} ({', '.join(sorted(languages))})"
                )
        for summary in to_update:
            self.outcomes[self.state_by_pk[summary.paper_id]].changes.append(
                f"{summary.language} {summary.kind} text changed"
            )
        for summary in gone:
            if summary.paper_id in self.state_by_pk:
                self.outcomes[self.state_by_pk[summary.paper_id]].changes.append(
                    f"{summary.language} {summary.kind} removed"
                )
        self.result.summaries_created = len(to_create)
        self.result.summaries_updated = len(to_update)
        self.result.summaries_deleted = len(gone)

    def _paper_stays(self, paper_id: int, digest: Digest) -> bool:
        """Whether a paper is still referred to after this import (else _drop_stale deletes it)."""
        state = self.state_by_pk.get(paper_id)
        if state is not None and (
            state in self.entry_papers or any(related is state for _, related in self.wanted_related)
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
        wanted = {(paper.paper.pk, related.paper.pk) for paper, related in self.wanted_related}
        relations = RelatedPaper.objects.filter(entry__digest=digest).values_list(
            "pk", "paper_id", "related_id"
        )
        stale_relations = [
            (pk, related) for pk, paper, related in relations if (paper, related) not in wanted
        ]
        candidates = {related for _, related in stale_relations}
        if stale_relations:
            RelatedPaper.objects.filter(pk__in=[pk for pk, _ in stale_relations]).delete()
        kept = {entry.pk for entry in self.entries if entry.exists}
        stale_entries = [entry for entry in self.old_entries.values() if entry.pk not in kept]
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
            for state, outcome in self.outcomes.items()
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


_NEW_ORDER = 1 << 62  # sorts papers still to create after every existing row, in creation order


# -- set-based SQL ------------------------------------------------------------------------------------------
# One statement per table and kind of change, however long the file: each column travels as one array
# parameter (in binary, apart from the SQL text) and PostgreSQL unnests the arrays into rows. Django's
# bulk_create builds a model instance per row and quotes every value into the SQL text; for thousands
# of rows that, not the database, was most of an import's time.

_HISTORY_FIELDS = ("history_id", "history_date", "history_change_reason", "history_type", "history_user")


def _columns(names: tuple[str, ...], rows: list[tuple]) -> dict[str, list]:
    """Row tuples as one list per field name."""
    return {name: [row[index] for row in rows] for index, name in enumerate(names)}


def _array_type(field) -> str:
    """The array type a column's values travel in (``varchar(500)`` -> ``varchar[]``: the column checks
    the length)."""
    target = field.target_field if field.is_relation else field
    return target.db_type(connection).split("(")[0] + "[]"


# Fields whose Python values psycopg takes as they are (get_db_prep_save would only check them, one call
# per value); values of any other field go through the field.
_PLAIN_FIELDS = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "DateField",
    "DateTimeField",
    "FloatField",
    "ForeignKey",
    "IntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SlugField",
    "SmallIntegerField",
    "TextField",
}


def _prepared(field, values: list) -> list:
    if field.get_internal_type() in _PLAIN_FIELDS:
        return values
    return [field.get_db_prep_save(value, connection) for value in values]


def _history_sql(model, rows: str, history_type: str) -> str:
    """An INSERT of one django-simple-history record per row of ``rows`` (a CTE of ``model``'s rows),
    with the date, reason and user as the three parameters it leaves open."""
    record = model.history.model
    tracked = [field.column for field in record.tracked_fields]
    expected = {*tracked, *(record._meta.get_field(name).column for name in _HISTORY_FIELDS)}
    if {field.column for field in record._meta.concrete_fields} != expected:
        raise RuntimeError(f"{record.__name__} has columns the importer does not fill")
    quote = connection.ops.quote_name
    columns = ", ".join(map(quote, tracked))
    return (
        f"INSERT INTO {quote(record._meta.db_table)} ({columns}, history_date, history_change_reason,"
        f" history_type, history_user_id) SELECT {columns}, %s, %s, '{history_type}', %s FROM {rows}"
    )


def _history_params(history: tuple) -> list:
    user, reason = history
    return [timezone.now(), reason, user.pk if user is not None else None]


def _insert(
    model, columns: dict[str, list], *, returning: tuple[str, ...] = (), conflicts: str = "", history=None
) -> list[tuple]:
    """INSERT the rows given as one list per field; every other field gets its default (now for
    auto_now fields), as bulk_create would. ``history`` = (user, reason) adds a "+" record per row
    in the same statement. Returns the ``returning`` columns of the rows written."""
    count = len(next(iter(columns.values())))
    if not count:
        return []
    meta, quote, now = model._meta, connection.ops.quote_name, timezone.now()
    given = [meta.get_field(name) for name in columns]
    defaults = {
        field: now
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        else field.get_default()
        for field in meta.concrete_fields
        if not field.primary_key and field not in given
    }
    names = ", ".join(quote(field.column) for field in [*given, *defaults])
    aliases = [f"c{index}" for index in range(len(given))]
    values = ", ".join(
        [*(f"d.{alias}" for alias in aliases), *(f"%s::{f.db_type(connection)}" for f in defaults)]
    )
    arrays = ", ".join(f"%b::{_array_type(field)}" for field in given)
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({names}) SELECT {values}"
        f" FROM unnest({arrays}) AS d({', '.join(aliases)}) {conflicts and f'ON CONFLICT {conflicts}'}"
    )
    params = [field.get_db_prep_save(value, connection) for field, value in defaults.items()]
    params += [_prepared(field, columns[field.name]) for field in given]
    wanted = ", ".join(map(quote, returning))
    if history:
        records = _history_sql(model, "new", "+")
        sql = (
            f"WITH new AS ({sql} RETURNING *), records AS ({records}) SELECT {wanted or 'count(*)'} FROM new"
        )
        params += _history_params(history)
    elif returning:
        sql += f" RETURNING {wanted}"
    with array_cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if returning else []


def _ids_by(model, key: str, values: list, other_columns: Callable[[list], dict[str, list]]) -> dict:
    """Ids by ``key`` (a unique field) of the rows with those values, inserting the missing ones
    (``other_columns`` gives their other fields): one query when all exist, two or three otherwise."""
    ids = dict(model.objects.filter(AnyOf(key, values)).values_list(key, "id"))
    missing = [value for value in values if value not in ids]
    if missing:
        columns = {key: missing, **other_columns(missing)}
        ids.update(_insert(model, columns, returning=(key, "id"), conflicts="DO NOTHING"))
        if len(ids) < len(values):  # another transaction inserted some of them meanwhile
            ids.update(model.objects.filter(AnyOf(key, missing)).values_list(key, "id"))
    return ids


def _delete(model, pks: list[int], *, history) -> None:
    """DELETE rows by id, with a "-" history record each (what the ORM's delete does one row at a time).
    Only for models nothing else points to."""
    if not pks:
        return
    quote = connection.ops.quote_name
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    gone = f"DELETE FROM {table} WHERE {pk} = ANY(%b::bigint[]) RETURNING *"
    sql = f"WITH gone AS ({gone}) {_history_sql(model, 'gone', '-')}"
    with array_cursor() as cursor:
        cursor.execute(sql, [pks, *_history_params(history)])


def _update(model, fields: list[str], objs: list, *, history=None) -> None:
    """One ``UPDATE … FROM unnest(arrays)`` for all ``objs`` (Django's bulk_update builds a CASE per
    column whose cost grows with the square of the rows). ``history`` adds a "~" record per row."""
    if not objs:
        return
    meta, quote = model._meta, connection.ops.quote_name
    columns = [meta.get_field(name) for name in fields]
    pk = meta.pk
    aliases = [f"c{index}" for index in range(len(columns))]
    assignments = ", ".join(f"{quote(column.column)} = d.c{index}" for index, column in enumerate(columns))
    arrays = ", ".join(f"%b::{_array_type(field)}" for field in [pk, *columns])
    sql = (
        f"UPDATE {quote(meta.db_table)} AS t SET {assignments}"
        f" FROM unnest({arrays}) AS d(id, {', '.join(aliases)}) WHERE t.{quote(pk.column)} = d.id"
    )
    params = [[obj.pk for obj in objs]]
    params += [_prepared(column, [getattr(obj, column.attname) for obj in objs]) for column in columns]
    if history:
        sql = f"WITH changed AS ({sql} RETURNING t.*) {_history_sql(model, 'changed', '~')}"
        params += _history_params(history)
    with array_cursor() as cursor:
        cursor.execute(sql, params)
