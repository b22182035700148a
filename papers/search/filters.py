"""The one FilterSet behind every paper list: search, facets (several values of one facet OR, different
facets AND) — shared by the HTML page, the JSON/CSV exports and the feeds."""

from __future__ import annotations

import functools
import re
from datetime import date

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from papers.models import Category, Paper, Source

MAX_VALUES_PER_FACET = 50
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")

SCORE_BANDS = {
    "high": (0.8, None),
    "medium": (0.6, 0.8),
    "low": (0.0, 0.6),
}
DIGEST_COUNT_BUCKETS = {"1": Q(digest_count=1), "2": Q(digest_count=2), "3+": Q(digest_count__gte=3)}


class MultiValueField(forms.Field):
    """All values of a repeated query parameter (``?category=cs.CL&category=cs.LG``), cleaned of blanks."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[str]:
        values = value if isinstance(value, list | tuple) else [value] if value else []
        # NUL cannot be stored in (or compared with) PostgreSQL text: no facet value holds one. Spaces
        # are kept: a stored code may have them, and its facet link must still select it.
        values = [str(item).replace("\x00", "") for item in values]
        cleaned = [item[:100] for item in values if item.strip()]
        return list(dict.fromkeys(cleaned))[:MAX_VALUES_PER_FACET]


class MultiValueFilter(django_filters.Filter):
    field_class = MultiValueField


class SearchField(forms.CharField):
    """The search box: NUL characters are dropped (``?q=KAN%00`` searches for KAN) rather than making
    the whole form invalid, which would list nothing."""

    def to_python(self, value) -> str:
        return super().to_python(value).replace("\x00", "").strip()


class SearchFilter(django_filters.CharFilter):
    field_class = SearchField


def whole_numbers(values: list[str]) -> list[int]:
    """The values that are whole numbers a bigint column can hold (ids, years), as ints; others are dropped.
    The filters and the facets' labels read selected ids with it."""
    # isascii(): "²" and "١" are digits to str.isdigit() but not to int() or to a bigint column.
    values = [value.strip() for value in values]
    return [int(value) for value in values if value.isascii() and value.isdigit() and len(value) < 19]


def _any(conditions: list[Q]) -> Q:
    combined = Q(pk__in=[])  # no valid value selects nothing, like an empty IN list
    for condition in conditions:
        combined |= condition
    return combined


class PaperFilterSet(django_filters.FilterSet):
    q = SearchFilter(method="filter_search", label=_("Search"))
    category = MultiValueFilter(method="filter_category", label=_("Category"))
    author = MultiValueFilter(method="filter_author", label=_("Author"))
    language = MultiValueFilter(method="filter_language", label=_("Summary language"))
    source = MultiValueFilter(method="filter_source", label=_("Source"))
    digest = MultiValueFilter(method="filter_digest", label=_("Digest issue"))
    year = MultiValueFilter(method="filter_year", label=_("Year"))
    month = MultiValueFilter(method="filter_month", label=_("Month"))
    score = MultiValueFilter(method="filter_score", label=_("Editorial score"))
    code = MultiValueFilter(method="filter_code", label=_("Code"))
    digests = MultiValueFilter(method="filter_digests", label=_("Digests"))

    class Meta:
        model = Paper
        fields: list[str] = []

    def without(self, name: str) -> QuerySet[Paper]:
        """The papers every filter but ``name`` selects: what that facet's own counts are computed on
        (the same as a FilterSet of the query less ``name``, without validating the query again)."""
        self.errors  # noqa: B018 - validates the form, as ``qs`` does
        queryset = self.queryset.all()
        for field, value in self.form.cleaned_data.items():
            if field != name:
                queryset = self.filters[field].filter(queryset, value)
        return queryset

    @functools.cached_property
    def _looked_up(self) -> dict[tuple, list[int]]:
        return {}

    def _ids(self, model: type[Category] | type[Source], field: str, values: list[str]) -> list[int]:
        """Ids of the selected categories or sources, looked up once however many querysets use them."""
        key = (model, field, tuple(values))
        if key not in self._looked_up:
            selected = model.objects.filter(**{f"{field}__in": values})
            self._looked_up[key] = list(selected.values_list("pk", flat=True))
        return self._looked_up[key]

    def filter_search(self, queryset: QuerySet[Paper], name: str, value: str) -> QuerySet[Paper]:
        return queryset.search(value) if value.strip() else queryset

    # Related rows are matched on the papers' own id arrays (GIN-indexed, kept by papers.search.index):
    # no join and no per-paper lookups in a many-to-many table, however many papers match.
    # Codes and slugs become ids here rather than in a subquery: with the ids in the statement the
    # planner can estimate how many papers match (a million-paper list walks the date index or the GIN
    # index accordingly; with a subquery it guessed blind and read 650,000 rows for 21).
    def filter_category(self, queryset, name, values):
        if not values:
            return queryset
        return queryset.filter(category_ids__overlap=self._ids(Category, "code", values))

    def filter_author(self, queryset, name, values):
        return queryset.filter(author_ids__overlap=whole_numbers(values)) if values else queryset

    def filter_language(self, queryset, name, values):
        return queryset.filter(languages__overlap=values) if values else queryset

    def filter_source(self, queryset, name, values):
        if not values:
            return queryset
        return queryset.filter(source_ids__overlap=self._ids(Source, "slug", values))

    def filter_digest(self, queryset, name, values):
        return queryset.filter(digest_ids__overlap=whole_numbers(values)) if values else queryset

    def filter_year(self, queryset, name, values):
        if not values:
            return queryset
        years = [year for year in whole_numbers(values) if 1900 < year < 2200]
        return queryset.filter(
            _any([Q(published__gte=date(y, 1, 1), published__lt=date(y + 1, 1, 1)) for y in years])
        )

    def filter_month(self, queryset, name, values):
        if not values:
            return queryset
        ranges = []
        for value in values:
            match = _MONTH.match(value.strip())
            if match and 1900 < int(match[1]) < 2200 and 1 <= int(match[2]) <= 12:
                start = date(int(match[1]), int(match[2]), 1)
                end = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
                ranges.append(Q(published__gte=start, published__lt=end))
        return queryset.filter(_any(ranges))

    def filter_score(self, queryset, name, values):
        if not values:
            return queryset
        conditions = [Q(editorial_score__isnull=True)] if "none" in values else []
        for band in values:
            if band in SCORE_BANDS:
                low, high = SCORE_BANDS[band]
                below = Q(editorial_score__lt=high) if high else Q()
                conditions.append(Q(editorial_score__gte=low) & below)
        return queryset.filter(_any(conditions))

    def filter_code(self, queryset, name, values):
        wanted = {value == "yes" for value in values if value in ("yes", "no")}
        return queryset.filter(has_code__in=wanted) if values else queryset

    def filter_digests(self, queryset, name, values):
        if not values:
            return queryset
        return queryset.filter(_any([DIGEST_COUNT_BUCKETS[v] for v in values if v in DIGEST_COUNT_BUCKETS]))


FACET_NAMES = [name for name in PaperFilterSet.base_filters if name != "q"]
