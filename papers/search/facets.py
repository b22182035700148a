"""Facet counts: database aggregates over the already filtered papers.

A facet's counts apply the search and every other active filter but not its own selection, so that
readers can add a second value to it (OR) and see what they would get, as shops do.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from papers.languages import LANGUAGE_NAMES
from papers.models import Author, Category, Digest, Paper, Source
from papers.search.cache import versioned_key
from papers.search.filters import (
    FACET_NAMES,
    MAX_VALUES_PER_FACET,
    SCORE_BANDS,
    PaperFilterSet,
    whole_numbers,
)

SHOWN_VALUES = 8  # the rest are behind "more"
SLOW_COUNT_SECONDS = 0.5
SLOW_COUNT_CACHE_SECONDS = 30 * 24 * 3600  # the key names the catalogue version: never stale, only unused
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


# Each facet is counted from the matching papers' own columns (ids kept in arrays by
# papers.search.index), so a count reads only the matching rows: no join with a many-to-many table.
SCORE_LABELS = {"high": _("High"), "medium": _("Medium"), "low": _("Low"), "none": _("Not scored")}
CODE_LABELS = {"yes": _("With code"), "no": _("Without code")}
DIGEST_COUNT_LABELS = {"1": _("In 1 digest"), "2": _("In 2 digests"), "3+": _("In 3 or more")}
FIXED_LABELS = {
    "language": LANGUAGE_NAMES,
    "score": SCORE_LABELS,
    "code": CODE_LABELS,
    "digests": DIGEST_COUNT_LABELS,
}

_SCORE_BAND = (
    "CASE "
    + " ".join(f"WHEN editorial_score >= {low} THEN '{band}'" for band, (low, _high) in SCORE_BANDS.items())
    + " ELSE 'none' END"
)
_DIGEST_BUCKET = (
    "CASE WHEN digest_count = 1 THEN '1' WHEN digest_count = 2 THEN '2' WHEN digest_count >= 3 THEN '3+' END"
)

# facet name -> (SQL giving one value per row, or per array element when unnested; order; limit)
_VALUE_SQL: dict[str, tuple[str, str, int | None]] = {
    "category": ("unnest(category_ids)", "n DESC, value", None),  # few: all counted, ordered by code later
    "author": ("unnest(author_ids)", "n DESC, value", MAX_VALUES),
    "language": ("unnest(languages)", "n DESC, value", None),
    "source": ("unnest(source_ids)", "n DESC, value", None),
    "digest": ("unnest(digest_ids)", "n DESC, value DESC", MAX_VALUES),
    "year": ("extract(year FROM published)::int", "value DESC", None),
    "month": ("to_char(published, 'YYYY-MM')", "value DESC", None),
    "score": (_SCORE_BAND, "value", None),
    "code": ("CASE WHEN has_code THEN 'yes' ELSE 'no' END", "value", None),
    "digests": (_DIGEST_BUCKET, "value", None),
}
_COLUMNS = [
    "category_ids",
    "author_ids",
    "languages",
    "source_ids",
    "digest_ids",
    "published",
    "editorial_score",
    "has_code",
    "digest_count",
]


def _count_sql(relation: str, name: str) -> str:
    value, order, limit = _VALUE_SQL[name]
    return (
        f"(SELECT '{name}' AS facet, value::text, n FROM"
        f" (SELECT {value} AS value, count(*) AS n FROM {relation} GROUP BY 1) AS counted"
        f" WHERE value IS NOT NULL ORDER BY {order}{f' LIMIT {limit}' if limit else ''})"
    )


def _statement(groups: list[tuple[QuerySet[Paper], list[str]]]) -> tuple[str, list]:
    """ONE statement counting every facet: each group of facets sharing the same filtered papers reads
    them once (a materialised CTE) and counts all its facets from those rows."""
    ctes, parts, params = [], [], []
    for number, (papers, names) in enumerate(groups):
        try:
            sql, sql_params = papers.order_by().values(*_COLUMNS).query.sql_with_params()
        except EmptyResultSet:  # a filter no value can match (``?year=-1``): nothing to count
            continue
        ctes.append(f"matching{number} AS MATERIALIZED ({sql})")
        params.extend(sql_params)
        parts.extend(_count_sql(f"matching{number}", name) for name in names)
    if not parts:
        return "", []
    return f"WITH {', '.join(ctes)} {' UNION ALL '.join(parts)}", params


def _count(sql: str, params: list, names: list[str], using: str) -> dict[str, Counts]:
    counted: dict[str, list[tuple[str, int]]] = {name: [] for name in names}
    if sql:
        # Raw SQL skips the database router: run it where the querysets would (a read replica, maybe).
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            for facet, value, n in cursor.fetchall():
                counted[facet].append((value, n))
    return {name: _labelled(name, values) for name, values in counted.items()}


def facet_counts(data: QueryDict, base: QuerySet[Paper], names: list[str]) -> dict[str, Counts]:
    """Each facet's (value, label, count), most frequent first. A facet without a selection counts the
    papers all filters select; a facet with one counts what the other filters select. Cached under the
    catalogue version and the exact statement, so paging or re-sorting a list does not count again."""
    shared = [name for name in names if not any(data.getlist(name))]
    filterset = PaperFilterSet(data, queryset=base)
    groups = [(filterset.qs, shared)] if shared else []
    groups += [(filterset.without(name), [name]) for name in names if name not in shared]
    sql, params = _statement(groups)
    seconds = settings.FACET_CACHE_SECONDS
    if not seconds:
        return _translated(_count(sql, params, names, base.db))
    key = versioned_key("facets", sql, params, using=base.db, per_language=False)
    counts = cache.get(key)
    if counts is None:
        started = time.monotonic()
        counts = _count(sql, params, names, base.db)
        # Counts that took long (most of a large catalogue: seconds at a million papers) are kept until
        # the catalogue changes rather than recounted by a reader once they expire.
        slow = time.monotonic() - started >= SLOW_COUNT_SECONDS
        cache.set(key, counts, max(seconds, SLOW_COUNT_CACHE_SECONDS) if slow else seconds)
    return _translated(counts)


def _translated(counts: dict[str, Counts]) -> dict[str, Counts]:
    translated = dict(counts)
    for name, labels in FIXED_LABELS.items():
        if name in counts:
            rows = [(value, str(labels.get(value, value)), n) for value, _label, n in counts[name]]
            order = list(labels)
            # Languages stay most frequent first; bands and buckets in their natural order.
            translated[name] = rows if name == "language" else sorted(rows, key=lambda r: order.index(r[0]))
    return translated


def _labelled(name: str, counted: list[tuple[str, int]]) -> Counts:
    """(value, label, count) as the list and its links use them: codes and slugs rather than ids.
    Fixed labels (which the reader's language translates) are put on later by ``_translated``."""
    ids = [int(value) for value, _n in counted] if name in ("category", "author", "source", "digest") else []
    if name == "category":
        codes = dict(Category.objects.filter(pk__in=ids).values_list("pk", "code"))
        rows = [(codes[int(v)], codes[int(v)], n) for v, n in counted if int(v) in codes]
        return sorted(rows, key=lambda row: (-row[2], row[0]))[:MAX_VALUES]
    if name == "author":
        names = dict(Author.objects.filter(pk__in=ids).values_list("pk", "name"))
        return [(v, names.get(int(v), v), n) for v, n in counted]
    if name == "source":
        sources = {pk: (slug, label) for pk, slug, label in Source.objects.values_list("pk", "slug", "name")}
        return [(*sources[int(v)], n) for v, n in counted if int(v) in sources]
    if name == "digest":
        digests = Digest.objects.select_related("source").in_bulk(ids)
        return [(v, str(digests[int(v)]), n) for v, n in counted if int(v) in digests]
    return [(v, v, n) for v, n in counted]


assert set(_VALUE_SQL) == set(FACET_NAMES)


def _selected_labels(name: str, values: list[str]) -> dict[str, str]:
    """Labels for selected values the counts do not list (no match under the other filters)."""
    ids = whole_numbers(values)
    if name == "author":
        return {str(pk): a.name for pk, a in Author.objects.public().in_bulk(ids).items()}
    if name == "digest":
        digests = Digest.objects.public().select_related("source").in_bulk(ids)
        return {str(pk): str(digest) for pk, digest in digests.items()}
    return {value: str(FIXED_LABELS.get(name, {}).get(value, value)) for value in values}


class ToggleLinks:
    """Links to this list with one facet value added or removed (and back to its first page). Every
    value of every facet gets one (hundreds per page), so the rest of the query is encoded once per
    facet and each link encodes just its own value."""

    def __init__(self, data: QueryDict) -> None:
        self.data = data
        self.encoded = {
            key: urlencode([(key, values)], doseq=True) for key, values in data.lists() if key != "page"
        }
        self._around: dict[str, tuple[str, str]] = {}

    def url(self, name: str, value: str) -> str:
        values = self.data.getlist(name)
        if value in values:
            own = urlencode([(name, [v for v in values if v != value])], doseq=True)
        else:
            own = "&".join(part for part in (self.encoded.get(name), urlencode([(name, value)])) if part)
        before, after = self.around(name)
        return "?" + "&".join(part for part in (before, own, after) if part)

    def around(self, name: str) -> tuple[str, str]:
        """The encoded parameters that sort before and after ``name``."""
        if name not in self._around:
            keys = sorted(key for key in self.encoded if key != name)
            self._around[name] = (
                "&".join(self.encoded[key] for key in keys if key < name and self.encoded[key]),
                "&".join(self.encoded[key] for key in keys if key > name and self.encoded[key]),
            )
        return self._around[name]


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
    names = names or FACET_NAMES
    counts = facet_counts(data, base, names)
    links = ToggleLinks(data)
    facets = []
    for name in names:
        selected = [value for value in data.getlist(name) if value]
        listed = {value for value, _label, _count in counts[name]}
        missing = [value for value in selected if value not in listed]
        extra = [(value, label, 0) for value, label in _selected_labels(name, missing).items()]
        facet = Facet(name, str(PaperFilterSet.base_filters[name].label))
        for value, label, count in extra + counts[name]:
            facet.values.append(FacetValue(value, label, count, value in selected, links.url(name, value)))
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
        # Coordinates as SVG wants them, whatever the reader's locale (and not localised 60 times a page).
        bars.append(
            {
                "month": month,
                "x": f"{index * step + step * 0.1:.1f}",
                "y": f"{height - bar_height:.1f}",
                "width": f"{max(step * 0.8, 1):.1f}",
                "height": f"{bar_height:.1f}",
            }
        )
    return bars
