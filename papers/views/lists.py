"""Paper lists: search and facets, as HTML, JSON or CSV, for all papers, an author or a category."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from django.db.models import F, Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from papers.cache import cached_page
from papers.csv_export import papers_csv
from papers.facets import Facet, compute_facets, month_chart
from papers.filters import PaperFilterSet
from papers.languages import by_reader_preference, reader_language
from papers.models import NEWEST, Author, AuthorRedirect, Authorship, Category, Paper, Summary
from papers.search_text import highlight, positive_terms

PAGE_SIZE = 20
COUNT_CAP = 1000  # past this the page says "1,000+" instead of counting every match
CSV_MAX_ROWS = 10_000
# The query parameters a list reads (papers.cache keys its pages on them, and drops any other): the
# filters (a feed reads only these), then sorting, paging and the output format.
FILTER_PARAMS = tuple(PaperFilterSet.base_filters)
LIST_PARAMS = (*FILTER_PARAMS, "sort", "page", "format")
# Relevance orders the newest this many matches: ranking every match of a common word reads every
# match's search vector (seconds at a million papers); a window this size stays in milliseconds.
RANK_WINDOW = 1000

SORTS = {
    "relevance": (F("rank").desc(), *NEWEST),
    "newest": NEWEST,
    "score": (F("editorial_score").desc(nulls_last=True), *NEWEST),
    "digests": (F("digest_count").desc(), *NEWEST),
}
SORT_LABELS = {
    "relevance": gettext_lazy("Relevance"),
    "newest": gettext_lazy("Newest"),
    "score": gettext_lazy("Editorial score"),
    "digests": gettext_lazy("Most digests"),
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


def paper_as_json(request: HttpRequest, paper: Paper) -> dict:
    return {
        "title": paper.title,
        "arxiv_id": paper.arxiv_id,
        "url": request.build_absolute_uri(paper.get_absolute_url()),
        "published": paper.published.isoformat() if paper.published else None,
        "authors": [authorship.author.name for authorship in paper.authorships.all()],
        "categories": [category.code for category in paper.categories.all()],
        "languages": list(paper.languages),
    }


def _json(request: HttpRequest, page: ResultPage, facets: list[Facet]) -> JsonResponse:
    return JsonResponse(
        {
            "count": page.count,
            "count_is_exact": page.count_is_exact,
            "page": page.number,
            "has_next": page.has_next,
            "results": [paper_as_json(request, paper) for paper in page.papers],
            "facets": {
                facet.name: [{"value": v.value, "label": v.label, "count": v.count} for v in facet.values]
                for facet in facets
            },
        },
        json_dumps_params={"ensure_ascii": False},
    )


def render_list(
    request: HttpRequest, base: QuerySet[Paper], *, heading: str = "", context: dict | None = None
) -> HttpResponse:
    selection = filtered_papers(request.GET, base)
    output = request.GET.get("format", "html")
    if output == "csv":
        return papers_csv(request, selection.every_match, CSV_MAX_ROWS)
    page = paginate(selection, request.GET.get("page"))
    facets = compute_facets(request.GET, base)
    if output == "json":
        return _json(request, page, facets)
    query = request.GET.get("q", "").strip()
    decorate(page.papers, query)
    by_name = {facet.name: facet for facet in facets}
    return render(
        request,
        "papers/paper_list.html",
        {
            "heading": heading or (_("Results for “%(query)s”") % {"query": query} if query else _("Papers")),
            "query": query,
            "page": page,
            "facets": [facet for facet in facets if facet.name != "month"],
            "chips": [(facet, value) for facet in facets for value in facet.selected],
            "month_bars": month_chart(by_name["month"]),
            "sort": selection.sort,
            "ranked_window": RANK_WINDOW if selection.ranks_some_matches else None,
            "sorts": [(key, label) for key, label in SORT_LABELS.items() if key != "relevance" or query],
            "filterset": selection.filterset,
            **(context or {}),
        },
    )


@cached_page(params=LIST_PARAMS)
def paper_list(request: HttpRequest) -> HttpResponse:
    return render_list(request, Paper.objects.published())


@cached_page(params=LIST_PARAMS)
def author_papers(request: HttpRequest, pk: int) -> HttpResponse:
    author = Author.objects.public().filter(pk=pk).first()  # none when only hidden papers name it
    if author is None:  # merged into another author: follow it for good
        moved = get_object_or_404(AuthorRedirect, old_id=pk)
        query = request.META.get("QUERY_STRING", "")
        url = reverse("author_detail", args=[moved.author_id])
        return redirect(f"{url}?{query}" if query else url, permanent=True)
    base = Paper.objects.published().filter(pk__in=author.authorships.values("paper_id"))
    return render_list(request, base, heading=author.name, context={"author": author})


@cached_page(params=LIST_PARAMS)
def category_papers(request: HttpRequest, code: str) -> HttpResponse:
    if "\x00" in code:  # no category code holds a NUL, and PostgreSQL refuses to compare one
        raise Http404("no such category")
    category = get_object_or_404(Category.objects.public(), code=code)
    base = Paper.objects.published().filter(categories=category)
    return render_list(request, base, heading=str(category), context={"category": category})
