"""Which row a paper of the file is: the one with its arXiv id, else one with its normalised title, else the
paper an editor merged it into.

Every row a file may match is loaded once, with what it already has, in a fixed number of queries
(``KnownPapers.load``); the walk then matches each paper in memory, answering as queries would at that
point of the file (the rows loaded plus the papers created so far), so a file of 10,000 papers costs about
as many queries as one of 10.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from papers.db import AnyOf
from papers.identifiers import match_key
from papers.ingest.parsed import ParsedPaper, ParsedRelated
from papers.models import Authorship, Paper, PaperLink, PaperRedirect, Score, Source, paper_slug


@dataclass(eq=False, slots=True)
class PaperRow:
    """What the walk reads and writes of a paper row (loaded or still to write), without a model instance."""

    title: str
    title_key: str
    arxiv_id: str | None
    slug: str
    published: date | None
    abstract: str
    pk: int | None = None  # None until written
    updated_at: datetime | None = None  # set when the import changes the row


PAPER_FIELDS = ("title", "title_key", "arxiv_id", "slug", "published", "abstract")


@dataclass(eq=False)
class PaperState:
    """A paper the file names, with what it has and what this import changes on it."""

    paper: PaperRow
    order: int  # the row's pk, or a number past every pk for a paper still to create
    exists: bool
    author_names: list[str] = field(default_factory=list)
    category_codes: set[str] = field(default_factory=set)
    link_urls: set[str] = field(default_factory=set)
    scores: dict[str, Score] = field(default_factory=dict)  # this source's scores, by kind
    fields_changed: bool = False  # arXiv id, date or abstract to save on an existing row
    new_authors: list[int] | None = None  # author ids replacing the authorships
    new_categories: list[int] = field(default_factory=list)  # category ids to add


_NEW_ORDER = 1 << 62  # sorts papers still to create after every existing row, in creation order


class KnownPapers:
    """The papers of one import, by what they are matched on: the rows loaded, then the papers the walk
    creates (``created``, in creation order)."""

    def __init__(self) -> None:
        self.by_arxiv: dict[str, PaperState] = {}
        self.by_title: dict[str, list[PaperState]] = defaultdict(list)
        # Merge redirects by old key (arXiv id or slug): (redirect pk, the paper it leads to).
        self.redirects: dict[str, list[tuple[int, PaperState]]] = defaultdict(list)
        self.created: list[PaperState] = []
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

    def load(self, papers: list[ParsedPaper], source: Source) -> dict[int, PaperState]:
        """Every row the walk may match for ``papers`` and their related papers (by arXiv id, by title,
        through a merge redirect) and what it already has (authors, categories, links, ``source``'s
        scores). Returns their states by pk."""
        items: list[ParsedPaper | ParsedRelated] = [*papers, *(r for p in papers for r in p.related)]
        arxiv_ids = {item.arxiv_id for item in items if item.arxiv_id}
        title_keys = {self.key(item.title) for item in items}
        matches = AnyOf("arxiv_id", arxiv_ids) | AnyOf("title_key", title_keys)
        rows = Paper.objects.filter(matches).order_by().values_list("pk", *PAPER_FIELDS)
        papers_by_pk = {pk: PaperRow(*fields, pk=pk) for pk, *fields in rows}
        # A merged-away paper's arXiv id or slug redirects to the paper it was merged into; an item
        # whose arXiv id a loaded row has always matches that row, so it needs no redirect.
        loaded_ids = {paper.arxiv_id for paper in papers_by_pk.values() if paper.arxiv_id}
        old_keys = set()
        for item in items:
            if item.arxiv_id not in loaded_ids:
                old_keys.update(key for key in (item.arxiv_id, self.slug(item.title)) if key)
        redirects = PaperRedirect.objects.filter(AnyOf("old_key", old_keys)).order_by("pk")
        found = list(
            redirects.values_list("pk", "old_key", "paper_id", *(f"paper__{f}" for f in PAPER_FIELDS))
        )
        for _, _, paper_id, *fields in found:
            papers_by_pk.setdefault(paper_id, PaperRow(*fields, pk=paper_id))
        states = {pk: self._add(paper, pk, exists=True) for pk, paper in sorted(papers_by_pk.items())}
        for pk, old_key, paper_id, *_ in found:
            self.redirects[old_key].append((pk, states[paper_id]))
        if states:
            self._load_what_they_have(states, source)
        return states

    def _load_what_they_have(self, states: dict[int, PaperState], source: Source) -> None:
        ids = list(states)
        authorships = Authorship.objects.filter(AnyOf("paper_id", ids)).order_by("paper_id", "position")
        for paper_id, name in authorships.values_list("paper_id", "author__name"):
            states[paper_id].author_names.append(name)
        categories = Paper.categories.through.objects.filter(AnyOf("paper_id", ids))
        for paper_id, code in categories.values_list("paper_id", "category__code"):
            states[paper_id].category_codes.add(code)
        for paper_id, url in PaperLink.objects.filter(AnyOf("paper_id", ids)).values_list("paper_id", "url"):
            states[paper_id].link_urls.add(url)
        for score in Score.objects.filter(AnyOf("paper_id", ids), source=source):
            states[score.paper_id].scores[score.kind] = score

    def create(self, paper: PaperRow) -> PaperState:
        """The state of a paper still to write, matched from now on like a loaded row."""
        state = self._add(paper, _NEW_ORDER + len(self.created), exists=False)
        self.created.append(state)
        return state

    def _add(self, paper: PaperRow, order: int, exists: bool) -> PaperState:
        state = PaperState(paper, order, exists)
        if paper.arxiv_id:
            self.by_arxiv[paper.arxiv_id] = state
        self.by_title[paper.title_key].append(state)
        return state

    def set_arxiv_id(self, state: PaperState, arxiv_id: str) -> None:
        """Give a paper that had none an arXiv id, by which later papers of the file then match it."""
        state.paper.arxiv_id = arxiv_id
        self.by_arxiv[arxiv_id] = state

    def match(self, title: str, arxiv_id: str | None) -> tuple[PaperState | None, str | None]:
        """The paper's state and what matched it ("arxiv_id", "title", "merged"), or (None, None)."""
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
