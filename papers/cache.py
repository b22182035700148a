"""Caches of what readers see, keyed by the catalogue's version so that no change is ever served stale.

The version is a PostgreSQL sequence: reading it is one cheap query that every web process (and read
replica) agrees on, and taking the next value neither locks nor waits, so concurrent imports do not
queue on it. A change takes a value inside its transaction (so the same connection, and tests running
in one transaction, stop reading older entries at once) and again after commit: a reader that cached
the old rows under the first value while the change was still uncommitted is never read again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections, router, transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import get_language

from papers.models import Paper

_NEXT = "SELECT nextval('papers_catalogue_version')"
_CURRENT = "SELECT last_value FROM papers_catalogue_version"


def catalogue_changed(using: str = DEFAULT_DB_ALIAS) -> None:
    """Call after writing catalogue rows (papers.catalogue.refresh_papers does)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(_NEXT)
    # One post-commit value per transaction is enough, however many batches it refreshed.
    pending = (callback for _savepoints, callback, _robust in connection.run_on_commit)
    if connection.in_atomic_block and not any(isinstance(c, _NextVersion) for c in pending):
        transaction.on_commit(_NextVersion(using), using=using)


class _NextVersion:
    def __init__(self, using: str) -> None:
        self.using = using

    def __call__(self) -> None:
        with connections[self.using].cursor() as cursor:
            cursor.execute(_NEXT)
        if settings.FACET_CACHE_SECONDS:
            from papers.warm import warm_reader_caches  # facets import this module

            warm_reader_caches.enqueue()


def catalogue_version(using: str = DEFAULT_DB_ALIAS) -> int:
    with connections[using].cursor() as cursor:
        cursor.execute(_CURRENT)
        return cursor.fetchone()[0]


def versioned_key(kind: str, *parts: object, using: str | None = None, per_language: bool = True) -> str:
    """A cache key that changes whenever the catalogue does (and with the reader's language)."""
    alias = using or router.db_for_read(Paper)
    language = get_language() if per_language else ""
    # Versions are per database: two catalogues sharing one Redis must not read each other's entries.
    database = connections[alias].settings_dict
    where = f"{database['HOST']}:{database['PORT']}/{database['NAME']}"
    raw = "\x1f".join(str(part) for part in (where, catalogue_version(alias), language, *parts))
    return f"{kind}:{hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()}"


def cached_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve a reader's GET from the cache when another anonymous reader asked for the same URL, in the
    same language, since the catalogue last changed. Signed-in people (editors see unpublished things
    and admin links) and anything but a complete 200 response are never cached. Security headers are
    added afresh by the middleware on every response, cached or not."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        seconds = settings.PAGE_CACHE_SECONDS
        if not seconds or request.method not in ("GET", "HEAD") or request.user.is_authenticated:
            return view(request, *args, **kwargs)
        key = versioned_key("page", request.scheme, request.get_host(), request.get_full_path())
        stored = cache.get(key)
        if stored is not None:
            content, headers = stored
            response = HttpResponse(content, headers=headers)
            response["X-Page-Cache"] = "hit"
            return response
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.streaming and not response.cookies:
            cache.set(key, (response.content, dict(response.items())), seconds)
        return response

    return wrapper
