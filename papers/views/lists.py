"""Paper lists: search and facets, as HTML, JSON or CSV, for all papers, an author or a category."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from papers.csv_export import papers_csv
from papers.models import Author, AuthorRedirect, Category, Paper
from papers.search.cache import cached_page
from papers.search.facets import Facet, compute_facets, month_chart
from papers.search.filters import PaperFilterSet
from papers.search.query import ResultPage, decorate, filtered_papers, paginate

CSV_MAX_ROWS = 10_000
# The query parameters a list reads (papers.search.cache keys its pages on them, and drops any other): the
# filters (a feed reads only these), then sorting, paging and the output format.
FILTER_PARAMS = tuple(PaperFilterSet.base_filters)
LIST_PARAMS = (*FILTER_PARAMS, "sort", "page", "format")
SORT_LABELS = {
    "relevance": gettext_lazy("Relevance"),
    "newest": gettext_lazy("Newest"),
    "score": gettext_lazy("Editorial score"),
    "digests": gettext_lazy("Most digests"),
}


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
            "ranked_window": selection.ranked_window,
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
