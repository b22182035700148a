"""Counting the facets of the whole catalogue reads every paper (about a second at a million papers):
the worker does it once after each change, so that no reader waits for it."""

from __future__ import annotations

from django.http import QueryDict
from django.tasks import task

from papers.facets import compute_facets
from papers.models import Paper


@task()
def warm_reader_caches() -> None:
    compute_facets(QueryDict(), Paper.objects.published())
