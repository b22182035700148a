"""Caches of what readers see, keyed by the catalogue's version so that no change is ever served stale.

The version is a PostgreSQL sequence: reading it is one cheap query that every web process (and read
replica) agrees on, and taking the next value neither locks nor waits, so concurrent imports do not
queue on it. A change takes a value inside its transaction (so the same connection, and tests running
in one transaction, stop reading older entries at once) and again after commit: a reader that cached
the old rows under the first value while the change was still uncommitted is never read again.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Collection, Iterator

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections, router, transaction
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.utils.translation import get_language

from papers.models import Paper
from papers.search.signals import catalogue_changed

_NEXT = "SELECT nextval('papers_catalogue_version')"
_CURRENT = "SELECT last_value FROM papers_catalogue_version"
# A streamed page (a CSV export of up to 10,000 rows is about 2.5 MB) is cached up to this size.
MAX_STREAMED_BYTES = 8 * 1024 * 1024


def record_catalogue_change(using: str = DEFAULT_DB_ALIAS) -> None:
    """Call after writing catalogue rows (papers.search.index.refresh_papers does). Inside a transaction,
    ``catalogue_changed`` is sent once it commits."""
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
        catalogue_changed.send(sender=Paper, using=self.using)


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


def canonical_query(query: QueryDict, known: Collection[str]) -> QueryDict:
    """The parameters of ``query`` that a view reads (``known``), by name, without empty values: the
    same page asked for with junk (``&zz=1``, ``utm_source``), empty form fields or in another order is
    one cache entry, and cannot be used to bypass the cache or to fill it. The values of a repeated
    parameter keep their order."""
    canonical = QueryDict(mutable=True)
    for name in sorted(known):
        values = [value for value in query.getlist(name) if value]
        if values:
            canonical.setlist(name, values)
    canonical._mutable = False
    return canonical


def cached_page(
    view: Callable[..., HttpResponse] | None = None, *, params: Collection[str] = ()
) -> Callable[..., HttpResponse]:
    """Serve a reader's GET from the cache when another anonymous reader asked for the same page, in the
    same language, since the catalogue last changed. Signed-in people (editors see unpublished things
    and admin links) and anything but a complete 200 response are never cached. Security headers are
    added afresh by the middleware on every response, cached or not.

    ``params`` names the query parameters the view reads (none by default: ``@cached_page``). The view
    sees only those (``canonical_query``), for every request, cached or not, so that no page, and no
    link on it, depends on the others and the cache key can leave them out."""
    if view is None:
        return functools.partial(cached_page, params=params)
    known = frozenset(params)

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        _drop_unknown_parameters(request, known)
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
        if response.status_code != 200 or response.cookies:
            return response
        if response.streaming and not response.is_async:
            response.streaming_content = _stored_when_sent(response.streaming_content, response, key, seconds)
        elif hasattr(response, "add_post_render_callback"):  # a TemplateResponse: store it once rendered
            response.add_post_render_callback(functools.partial(_store, key, seconds=seconds))
        else:
            _store(key, response, seconds=seconds)
        return response

    return wrapper


def _drop_unknown_parameters(request: HttpRequest, known: frozenset[str]) -> None:
    query = canonical_query(request.GET, known)
    request.GET = query
    # get_full_path() (the cache key, the language switch's "next", redirects) reads the raw string.
    request.META["QUERY_STRING"] = query.urlencode()


def _store(key: str, response: HttpResponse, *, seconds: int) -> None:
    cache.set(key, (response.content, dict(response.items())), seconds)


def _stored_when_sent(
    content: Iterator[bytes], response: StreamingHttpResponse, key: str, seconds: int
) -> Iterator[bytes]:
    """Passes a streamed response through and stores it once it has been sent in full (a reader who
    disconnects, or an error half-way, stores nothing), unless it grew past MAX_STREAMED_BYTES."""
    chunks: list[bytes] = []
    size = 0
    for chunk in content:
        size += len(chunk)
        if size <= MAX_STREAMED_BYTES:
            chunks.append(chunk)
        else:
            chunks.clear()
        yield chunk
    if size <= MAX_STREAMED_BYTES:
        cache.set(key, (b"".join(chunks), dict(response.items())), seconds)
