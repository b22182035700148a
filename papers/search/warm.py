"""Counting the facets of the whole catalogue reads every paper (8–9 s at a million papers): the worker
does it once after each change, so that no reader waits for it. The counts land in Django's cache, which
the web processes share when REDIS_URL is set; with per-process memory each web process counts once
per change instead."""

from __future__ import annotations

from django.conf import settings
from django.http import QueryDict
from django.tasks import task

from papers.models import Paper
from papers.search.facets import compute_facets


@task()
def warm_reader_caches() -> None:
    compute_facets(QueryDict(), Paper.objects.published())


def warm_after_change(sender, using: str, **kwargs) -> None:
    """Receives ``catalogue_changed`` (connected in PapersConfig.ready)."""
    if settings.FACET_CACHE_SECONDS:
        warm_reader_caches.enqueue()
