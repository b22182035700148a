"""The walk: every decision of an import, in the file's order, made in memory without a query.

Against the rows ``KnownPapers`` loaded, each paper of the file is matched or created, and what it gains
(fields, authors, categories, links, scores, relations, summaries) is decided and named in its outcome,
exactly as matching paper by paper against the database would decide. ``DigestWriter`` then writes the
plan with a few statements per table.
"""

from __future__ import annotations

from dataclasses import dataclass

from papers.ingest.importer.matching import KnownPapers, PaperRow, PaperState
from papers.ingest.importer.results import CREATED, UNCHANGED, DigestImportResult, PaperOutcome
from papers.ingest.parsed import ParsedPaper, ParsedRelated
from papers.models import DigestEntry, Paper, PaperLink, RelatedPaper, Score, Source, paper_slug

_MAX_TITLE = Paper._meta.get_field("title").max_length
_MAX_URL = PaperLink._meta.get_field("url").max_length


@dataclass(eq=False)
class EntryState:
    """The paper's entry in this digest: kept (perhaps moved) or new."""

    pk: int | None  # None until written
    paper: PaperState
    position: int
    line: int
    exists: bool
    moved: bool = False  # position or line to save


@dataclass(eq=False)
class RelationState:
    relation: RelatedPaper
    entry: EntryState | None  # None: the row's entry_id as loaded (another digest's entry, or none)
    exists: bool
    changed: bool = False


class ImportPlan:
    """What one import changes, decided paper by paper. ``result`` receives the outcomes and warnings;
    ``authors`` and ``categories`` are ids by name and code (every usable one of the file);
    ``old_entries`` the digest's entries before this import, by paper id."""

    def __init__(
        self,
        result: DigestImportResult,
        known: KnownPapers,
        source: Source,
        authors: dict[str, int],
        categories: dict[str, int],
        old_entries: dict[int, DigestEntry],
    ) -> None:
        self.result, self.known, self.source = result, known, source
        self.authors, self.categories, self.old_entries = authors, categories, old_entries
        self.outcomes: dict[PaperState, PaperOutcome] = {}
        self.entry_papers: set[PaperState] = set()
        self.entries: list[EntryState] = []
        self.relations: dict[tuple[PaperState, PaperState], RelationState] = {}
        self.wanted_related: set[tuple[PaperState, PaperState]] = set()
        self.wanted_summaries: dict[tuple[EntryState, PaperState, str, str], str] = {}
        self.new_links: list[tuple[PaperState, EntryState, str, str]] = []
        # New or changed scores (by object id), with the paper and entry they will point to.
        self.scores_to_save: dict[int, tuple[Score, PaperState, EntryState]] = {}

    def usable(self, papers: list[ParsedPaper]) -> list[ParsedPaper]:
        """The papers whose title can be stored and matched; a warning for each of the others."""
        valid = []
        for parsed_paper in papers:
            if not self.known.key(parsed_paper.title) or len(parsed_paper.title) > _MAX_TITLE:
                self.result.warnings.append(
                    f"line {parsed_paper.line}: skipped an entry whose title is empty or longer than "
                    f"{_MAX_TITLE} characters"
                )
                continue
            valid.append(parsed_paper)
        return valid

    def add_existing_relations(self, relations: list[RelatedPaper], states: dict[int, PaperState]) -> None:
        """Relations among the loaded papers, as they are before this import."""
        for relation in relations:
            pair = (states[relation.paper_id], states[relation.related_id])
            self.relations[pair] = RelationState(relation, None, exists=True)

    def walk(self, papers: list[ParsedPaper]) -> None:
        for position, parsed_paper in enumerate(papers, start=1):
            state, outcome = self._paper(parsed_paper)
            if outcome is None:
                continue
            entry = self._entry(state, position, parsed_paper.line, outcome)
            self._fill_paper(state, parsed_paper, entry, outcome)
            for related_position, related in enumerate(parsed_paper.related, start=1):
                self._related(state, entry, related, related_position)

    def _paper(self, parsed: ParsedPaper | ParsedRelated, related: bool = False):
        """The state of a parsed entry's or related paper's row, and its outcome; ``None`` as the
        outcome for a paper this digest already listed as an entry."""
        state, matched_by = self.known.match(parsed.title, parsed.arxiv_id)
        if state is None:
            arxiv_id = parsed.arxiv_id or None
            paper = PaperRow(
                title=parsed.title,
                title_key=self.known.key(parsed.title),
                arxiv_id=arxiv_id,
                slug=paper_slug(parsed.title, arxiv_id),
                published=parsed.published,
                abstract=getattr(parsed, "abstract", ""),
            )
            state = self.known.create(paper)
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
        self, state: PaperState, parsed: ParsedPaper | ParsedRelated, outcome: PaperOutcome
    ) -> None:
        """Fill what the row lacks; where both have a value, keep a choice that does not depend on the
        order digests arrive in (earliest date, longest abstract)."""
        paper, changed = state.paper, []
        if parsed.arxiv_id and not paper.arxiv_id:
            self.known.set_arxiv_id(state, parsed.arxiv_id)
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

    def _entry(self, state: PaperState, position: int, line: int, outcome: PaperOutcome) -> EntryState:
        entry = self.old_entries.get(state.paper.pk) if state.exists else None
        if entry is None:
            outcome.changes.append("listed in this digest")
            entry_state = EntryState(None, state, position, line, exists=False)
        else:
            moved = (entry.position, entry.line) != (position, line)
            entry_state = EntryState(entry.pk, state, position, line, exists=True, moved=moved)
        self.entries.append(entry_state)
        return entry_state

    def _fill_paper(
        self, state: PaperState, parsed: ParsedPaper, entry: EntryState, outcome: PaperOutcome
    ) -> None:
        self._set_authors(state, parsed, outcome)
        self._add_categories(state, parsed, outcome)
        self._add_links(state, parsed, entry, outcome)
        self._set_scores(state, parsed, entry, outcome)
        for summary in parsed.summaries:
            self._want_summary(entry, state, summary.language, summary.kind, summary.text)

    def _set_authors(self, state: PaperState, parsed: ParsedPaper, outcome: PaperOutcome) -> None:
        names = [name for name in parsed.authors if name in self.authors]
        current = state.author_names
        # The fuller list wins (more names, then longer names: "Albert Gu" over "A Gu"), whatever the order.
        if not names or (len(names), sum(map(len, names))) <= (len(current), sum(map(len, current))):
            return
        state.author_names = names
        state.new_authors = [self.authors[name] for name in names]
        if outcome.state != CREATED:
            outcome.changes.append("authors")

    def _add_categories(self, state: PaperState, parsed: ParsedPaper, outcome: PaperOutcome) -> None:
        wanted = {code for code in parsed.categories if code in self.categories}
        new = sorted(wanted - state.category_codes)
        if new:
            state.category_codes.update(new)
            state.new_categories.extend(self.categories[code] for code in new)
            if outcome.state != CREATED:
                outcome.changes.append("categories " + ", ".join(new))

    def _add_links(
        self, state: PaperState, parsed: ParsedPaper, entry: EntryState, outcome: PaperOutcome
    ) -> None:
        links = {link.url: link.kind for link in parsed.links if len(link.url) <= _MAX_URL}
        new = [(url, kind) for url, kind in links.items() if url not in state.link_urls]
        if new:
            state.link_urls.update(url for url, _ in new)
            self.new_links.extend((state, entry, url, kind) for url, kind in new)
            if outcome.state != CREATED:
                outcome.changes.append(f"{len(new)} new link{'s' if len(new) > 1 else ''}")

    def _set_scores(
        self, state: PaperState, parsed: ParsedPaper, entry: EntryState, outcome: PaperOutcome
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

    def _related(self, state: PaperState, entry: EntryState, parsed: ParsedRelated, position: int) -> None:
        paper = state.paper
        if not self.known.key(parsed.title) or len(parsed.title) > _MAX_TITLE:
            self.result.warnings.append(f"skipped a related paper of {paper.title!r} with an unusable title")
            return
        related, _ = self._paper(parsed, related=True)
        if related is state:
            self.result.warnings.append(f"{paper.title!r} lists itself as related; skipped")
            return
        relation = self.relations.get((state, related))
        if relation is None:
            relation = RelationState(
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
        self, entry: EntryState, state: PaperState, language: str, kind: str, text: str
    ) -> None:
        text = text.strip()
        if not text:
            return
        key = (entry, state, language, kind)
        # One entry giving two texts of one kind and language: keep both, in order.
        self.wanted_summaries[key] = (
            f"{self.wanted_summaries[key]}\n\n{text}" if key in self.wanted_summaries else text
        )
