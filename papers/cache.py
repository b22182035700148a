"""Caches of what readers see, keyed by the catalogue's version so that no change is ever served stale.

The version is a PostgreSQL sequence: reading it is one cheap query that every web process (and read
replica) agrees on, and taking the next value neither locks nor waits, so concurrent imports do not
queue on it. A change takes a value inside its transaction (so the same connection, and tests running
in one transaction, stop reading older entries at once) and again after commit: a reader that cached
the old rows under the first value while the change was still uncommitted is never read again.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections, transaction

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


def catalogue_version(using: str = DEFAULT_DB_ALIAS) -> int:
    with connections[using].cursor() as cursor:
        cursor.execute(_CURRENT)
        return cursor.fetchone()[0]
