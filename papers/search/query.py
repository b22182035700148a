"""The search service: which papers a list URL selects, in what order, a page of them, and what a list
shows of each. The list pages, feeds, the home page and the newsletter all read papers through it."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from django.db.models import F, Prefetch, QuerySet
from django.http import Http404, QueryDict

from papers.languages import by_reader_preference, reader_language
from papers.models import NEWEST, Authorship, Paper, Summary
from papers.search.filters import PaperFilterSet
from papers.search.highlight import highlight
from papers.search.text import positive_terms

PAGE_SIZE = 20
COUNT_CAP = 1000  # past this the page says "1,000+" instead of counting every match
# Relevance orders the newest this many matches: ranking every match of a common word reads every
# match's search vector (seconds at a million papers); a window this size stays in milliseconds.
RANK_WINDOW = 1000

SORTS = {
    "relevance": (F("rank").desc(), *NEWEST),
    "newest": NEWEST,
    "score": (F("editorial_score").desc(nulls_last=True), *NEWEST),
    "digests": (F("digest_count").desc(), *NEWEST),
}
# Which summary a list shows under each paper, best first.
SNIPPET_KINDS = [Summary.Kind.SUMMARY, Summary.Kind.ABSTRACT, Summary.Kind.ANALYSIS, Summary.Kind.BACKGROUND]


@dataclass
class ResultPage:
    papers: list[Paper]
    number: int
    count: int
    count_is_exact: bool
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


@dataclass
class Selection:
    """The papers a list URL selects. ``filterset.qs`` is every match; ``papers`` is ordered, and when
    ordered by relevance holds only the newest ``RANK_WINDOW`` matches, whose ids (and one more, when
    there are more matches) are ``window``."""

    filterset: PaperFilterSet
    papers: QuerySet[Paper]
    sort: str
    window: list[int] | None = None

    @property
    def ranks_some_matches(self) -> bool:
        """True when there are more matches than the relevance window ranks."""
        return self.window is not None and len(self.window) > RANK_WINDOW

    @property
    def ranked_window(self) -> int | None:
        """How many matches relevance ordered, when that was only some of them (the page says so)."""
        return RANK_WINDOW if self.ranks_some_matches else None

    @property
    def every_match(self) -> QuerySet[Paper]:
        """Every match in this order, for exports: relevance ranks them all, however many."""
        return self.filterset.qs.order_by(*SORTS[self.sort])

    def capped_count(self, cap: int) -> int:
        """How many papers match, or ``cap + 1`` when more do; the window answers without counting
        again when it can."""
        if self.window is not None and (len(self.window) <= RANK_WINDOW or cap < len(self.window)):
            return min(len(self.window), cap + 1)
        matching = self.filterset.qs
        # A search counts its first matches from its own index, in any order. Anything else counts
        # along the date index: rows lie in the order they were imported, so "in the last two years"
        # matches sit at the table's end, and a count in table order read 580,000 rows to reach them.
        ordering = () if "rank" in matching.query.annotations else NEWEST
        return matching.order_by(*ordering).values("pk")[: cap + 1].count()


def filtered_papers(data: QueryDict, base: QuerySet[Paper], *, sort: str | None = None) -> Selection:
    """The filtered, ordered papers for a list URL's query; shared by the page, exports and feeds
    (``sort`` overrides the URL's, as feeds always list the newest)."""
    filterset = PaperFilterSet(data, queryset=base)
    searching = bool(data.get("q", "").strip())
    sort = sort or data.get("sort") or ("relevance" if searching else "newest")
    papers = filterset.qs
    # No rank without a search the filter ran (an invalid form gives none()): fall back to newest.
    if sort not in SORTS or (sort == "relevance" and not (searching and "rank" in papers.query.annotations)):
        sort = "newest"
    if sort != "relevance":
        return Selection(filterset, papers.order_by(*SORTS[sort]), sort)
    query = filterset.form.cleaned_data["q"]
    window = filterset.without("q").newest_matches(query, RANK_WINDOW + 1)
    ranked = Paper.objects.filter(pk__in=window[:RANK_WINDOW]).ranked(query)
    return Selection(filterset, ranked.order_by(*SORTS[sort]), sort, window)


def with_list_details(papers: QuerySet[Paper]) -> QuerySet[Paper]:
    """What a list shows of each paper, in one query per relation; not the search vector or abstract
    (large, stored out of line, and not shown)."""
    return papers.defer("search_vector", "abstract").prefetch_related(
        Prefetch("authorships", queryset=Authorship.objects.select_related("author").order_by("position")),
        "categories",
        Prefetch(
            "summaries",
            queryset=Summary.objects.public().only("paper_id", "language", "kind", "text"),
            to_attr="public_summaries",
        ),
    )


def paginate(selection: Selection, page_param: str | None) -> ResultPage:
    try:
        number = int(page_param or 1)
    except ValueError:
        raise Http404("page must be a whole number") from None
    if number < 1 or number > 10_000:
        raise Http404("no such page")
    offset = (number - 1) * PAGE_SIZE
    rows = list(with_list_details(selection.papers)[offset : offset + PAGE_SIZE + 1])
    if not rows and number > 1:
        raise Http404("no such page")
    capped = selection.capped_count(COUNT_CAP)
    return ResultPage(
        papers=rows[:PAGE_SIZE],
        number=number,
        count=min(capped, COUNT_CAP),
        count_is_exact=capped <= COUNT_CAP,
        has_next=len(rows) > PAGE_SIZE,
    )


def decorate(papers: list[Paper], query: str) -> None:
    """Attach what a list shows: the title and a highlighted snippet in the reader's language."""
    reader = reader_language()
    terms = (
        [unicodedata.normalize("NFKC", term).casefold() for term in positive_terms(query)] if query else []
    )
    for paper in papers:
        summaries = paper.public_summaries
        order = by_reader_preference({s.language for s in summaries}, reader)
        titles = {s.language: s.text for s in summaries if s.kind == Summary.Kind.TITLE}
        paper.reader_title = titles.get(reader) if reader != "en" else None
        candidates = sorted(
            (s for s in summaries if s.kind in SNIPPET_KINDS),
            key=lambda s: (order.index(s.language), SNIPPET_KINDS.index(s.kind)),
        )
        # A summary that shows what the reader searched for beats the reader's own language.
        snippet = next((s for s in candidates if mentions(s.text, terms)), None) if terms else None
        snippet = snippet or (candidates[0] if candidates else None)
        paper.snippet = highlight(snippet.text, query) if snippet else ""
        paper.snippet_language = snippet.language if snippet else ""
        paper.summary_languages = order


def mentions(text: str, terms: list[str]) -> bool:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return any(term in folded for term in terms)
