"""Facet counts: database aggregates over the already filtered papers.

A facet's counts apply the search and every other active filter but not its own selection, so that
readers can add a second value to it (OR) and see what they would get, as shops do.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Case, CharField, Count, QuerySet, Value, When
from django.db.models.functions import ExtractYear, TruncMonth
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from papers.filters import (
    DIGEST_COUNT_BUCKETS,
    FACET_NAMES,
    MAX_VALUES_PER_FACET,
    SCORE_BANDS,
    PaperFilterSet,
    _ints,
)
from papers.languages import LANGUAGE_NAMES
from papers.models import Author, Authorship, Digest, DigestEntry, Paper

SHOWN_VALUES = 8  # the rest are behind "more"
_MONTH_VALUE = re.compile(r"^\d{4}-\d{2}$")
MAX_VALUES = 50

Counts = list[tuple[str, str, int]]  # (value, label, count), most frequent first


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool
    url: str  # this list with the value toggled


@dataclass
class Facet:
    name: str
    label: str
    values: list[FacetValue] = field(default_factory=list)

    @property
    def shown(self) -> list[FacetValue]:
        return self.values[:SHOWN_VALUES]

    @property
    def more(self) -> list[FacetValue]:
        return self.values[SHOWN_VALUES:]

    @property
    def selected(self) -> list[FacetValue]:
        return [value for value in self.values if value.selected]


def _through_counts(rows: QuerySet, value: str, label: str) -> Counts:
    counted = rows.values(value, label).annotate(n=Count("paper_id", distinct=True)).order_by("-n", label)
    return [(str(row[value]), str(row[label] or row[value]), row["n"]) for row in counted[:MAX_VALUES]]


def count_categories(papers: QuerySet) -> Counts:
    rows = Paper.categories.through.objects.filter(paper_id__in=papers)
    return _through_counts(rows, "category__code", "category__code")


def count_authors(papers: QuerySet) -> Counts:
    return _through_counts(Authorship.objects.filter(paper_id__in=papers), "author_id", "author__name")


def count_sources(papers: QuerySet) -> Counts:
    rows = DigestEntry.objects.filter(paper_id__in=papers)
    return _through_counts(rows, "digest__source__slug", "digest__source__name")


def count_digests(papers: QuerySet) -> Counts:
    rows = DigestEntry.objects.filter(paper_id__in=papers).values("digest_id")
    counted = rows.annotate(n=Count("paper_id")).order_by("-n", "-digest_id")[:MAX_VALUES]
    digests = Digest.objects.select_related("source").in_bulk([row["digest_id"] for row in counted])
    return [(str(row["digest_id"]), str(digests[row["digest_id"]]), row["n"]) for row in counted]


def count_languages(papers: QuerySet) -> Counts:
    try:
        sql, params = papers.query.sql_with_params()
    except EmptyResultSet:  # a filter no value can match (``?year=-1``): the ORM has no SQL for it
        return []
    # Raw SQL skips the database router: run it where the queryset would (a read replica, maybe).
    with connections[papers.db].cursor() as cursor:
        cursor.execute(
            "SELECT language, count(*) FROM (SELECT unnest(languages) AS language FROM papers_paper"
            f" WHERE id IN ({sql})) AS languages GROUP BY language ORDER BY 2 DESC, 1",
            params,
        )
        return [(code, LANGUAGE_NAMES.get(code, code), n) for code, n in cursor.fetchall()]


def _grouped(papers: QuerySet, expression, labels: dict | None = None) -> Counts:
    rows = (
        Paper.objects.filter(pk__in=papers)
        .annotate(bucket=expression)
        .exclude(bucket=None)
        .values("bucket")
        .annotate(n=Count("pk"))
    )
    counted = [(str(row["bucket"]), row["n"]) for row in rows]
    if labels is not None:
        order = list(labels)
        return sorted(((v, str(labels[v]), n) for v, n in counted), key=lambda row: order.index(row[0]))
    return sorted(((v, v, n) for v, n in counted), reverse=True)


def count_years(papers: QuerySet) -> Counts:
    return _grouped(papers, ExtractYear("published"))


def count_months(papers: QuerySet) -> Counts:
    rows = _grouped(papers, TruncMonth("published"))
    return [(value[:7], value[:7], n) for value, _, n in rows]


SCORE_LABELS = {"high": _("High"), "medium": _("Medium"), "low": _("Low"), "none": _("Not scored")}
CODE_LABELS = {"yes": _("With code"), "no": _("Without code")}
DIGEST_COUNT_LABELS = {"1": _("In 1 digest"), "2": _("In 2 digests"), "3+": _("In 3 or more")}


def count_score_bands(papers: QuerySet) -> Counts:
    whens = [When(editorial_score__gte=low, then=Value(band)) for band, (low, _high) in SCORE_BANDS.items()]
    band = Case(*whens, default=Value("none"), output_field=CharField())
    return _grouped(papers, band, SCORE_LABELS)


def count_code(papers: QuerySet) -> Counts:
    has_code = Case(When(has_code=True, then=Value("yes")), default=Value("no"), output_field=CharField())
    return _grouped(papers, has_code, CODE_LABELS)


def count_digest_buckets(papers: QuerySet) -> Counts:
    whens = [When(condition, then=Value(bucket)) for bucket, condition in DIGEST_COUNT_BUCKETS.items()]
    return _grouped(papers, Case(*whens, default=None, output_field=CharField()), DIGEST_COUNT_LABELS)


COUNTERS: dict[str, Callable[[QuerySet], Counts]] = {
    "category": count_categories,
    "author": count_authors,
    "language": count_languages,
    "source": count_sources,
    "digest": count_digests,
    "year": count_years,
    "month": count_months,
    "score": count_score_bands,
    "code": count_code,
    "digests": count_digest_buckets,
}
assert set(COUNTERS) == set(FACET_NAMES)


def _selected_labels(name: str, values: list[str]) -> dict[str, str]:
    """Labels for selected values the counts do not list (no match under the other filters)."""
    ids = _ints(values)
    if name == "author":
        return {str(pk): a.name for pk, a in Author.objects.in_bulk(ids).items()}
    if name == "digest":
        return {str(pk): str(d) for pk, d in Digest.objects.select_related("source").in_bulk(ids).items()}
    fixed = {
        "score": SCORE_LABELS,
        "code": CODE_LABELS,
        "digests": DIGEST_COUNT_LABELS,
        "language": LANGUAGE_NAMES,
    }
    return {value: str(fixed.get(name, {}).get(value, value)) for value in values}


def toggle_url(data: QueryDict, name: str, value: str) -> str:
    params = data.copy()
    values = params.getlist(name)
    params.setlist(name, [v for v in values if v != value] if value in values else [*values, value])
    params.pop("page", None)
    return "?" + urlencode(sorted(params.lists()), doseq=True)


def _bounded(data: QueryDict) -> QueryDict:
    """The query with each facet's values deduplicated and capped as the filters cap them, and one value
    (the one ``get`` reads) of anything else: every facet value's link re-encodes the whole query, so
    200 repeated parameters would otherwise cost 200 × (facet values) encodings per request."""
    bounded = QueryDict(mutable=True)
    for key, values in data.lists():
        if key in FACET_NAMES:
            bounded.setlist(key, list(dict.fromkeys(values))[:MAX_VALUES_PER_FACET])
        elif values:
            bounded.setlist(key, values[-1:])
    return bounded


def compute_facets(data: QueryDict, base: QuerySet[Paper], names: list[str] | None = None) -> list[Facet]:
    data = _bounded(data)
    facets = []
    for name in names or FACET_NAMES:
        others = data.copy()
        others.pop(name, None)
        papers = PaperFilterSet(others, queryset=base).qs.order_by().values("pk")
        selected = [value for value in data.getlist(name) if value]
        counts = COUNTERS[name](papers)
        listed = {value for value, _label, _count in counts}
        missing = [value for value in selected if value not in listed]
        extra = [(value, label, 0) for value, label in _selected_labels(name, missing).items()]
        facet = Facet(name, str(PaperFilterSet.base_filters[name].label))
        for value, label, count in extra + counts:
            facet.values.append(
                FacetValue(value, label, count, value in selected, toggle_url(data, name, value))
            )
        facets.append(facet)
    return facets


def _month_slots(months: list[str], max_span: int) -> list[str]:
    """Every month from the first to the last when that span is short enough to draw as a timeline;
    otherwise just the months that have papers (a long empty stretch would flatten every bar)."""
    first_year, first_month = map(int, months[0].split("-"))
    last_year, last_month = map(int, months[-1].split("-"))
    span = (last_year - first_year) * 12 + last_month - first_month + 1
    if span > max_span:
        return months
    return [
        f"{first_year + (first_month - 1 + i) // 12}-{(first_month - 1 + i) % 12 + 1:02d}"
        for i in range(span)
    ]


def month_chart(facet: Facet, width: int = 600, height: int = 76, max_span: int = 48) -> list[dict]:
    """Bars of papers per month, oldest first, placed in an SVG of ``width`` × ``height``; months
    without papers inside a short span are gaps (``month`` is None)."""
    by_month = {value.value: value for value in facet.values if _MONTH_VALUE.match(value.value)}
    if not by_month:
        return []
    slots = _month_slots(sorted(by_month), max_span)
    step = width / len(slots)
    tallest = max(value.count for value in by_month.values()) or 1
    bars = []
    for index, slot in enumerate(slots):
        month = by_month.get(slot)
        bar_height = max(2.0, height * month.count / tallest) if month else 0.0
        bars.append(
            {
                "month": month,
                "x": round(index * step + step * 0.1, 1),
                "y": round(height - bar_height, 1),
                "width": round(max(step * 0.8, 1), 1),
                "height": round(bar_height, 1),
            }
        )
    return bars
