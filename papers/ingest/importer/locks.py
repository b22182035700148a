"""Advisory locks on paper keys, so that imports and merges touching the same papers run one after the other.

Whoever creates, matches or merges a paper first takes transaction-scoped locks on its keys (its title key
and arXiv id), in one global order, so two transactions locking overlapping keys wait for each other
instead of deadlocking; the unique constraints stay the last line of defence.
"""

from __future__ import annotations

from django.db import connection


def paper_keys(title_key: str, arxiv_id: str | None) -> set[str]:
    """The advisory-lock keys of a paper: whoever creates, matches or merges it takes them first."""
    return {f"title:{title_key}", *([f"arxiv:{arxiv_id}"] if arxiv_id else [])}


# PostgreSQL keeps every advisory lock in its shared lock table, sized for max_locks_per_transaction (64)
# times max_connections: a 10,000-paper digest's 20,000 keys do not fit ("out of shared memory"). A
# transaction with more keys than this locks the whole catalogue instead (exclusively), and every other
# one takes that catalogue lock in shared mode before its keys, so the two kinds still exclude each other.
MAX_KEY_LOCKS = 1000
_CATALOGUE_LOCK = "catalogue"


def lock_keys(keys: list[str]) -> None:
    """Transaction-scoped advisory locks on ``keys``, taken in one global order so that two
    transactions locking overlapping keys wait for each other instead of deadlocking. Over
    ``MAX_KEY_LOCKS`` keys, one exclusive lock on the whole catalogue stands for all of them."""
    keys = sorted(set(keys))
    with connection.cursor() as cursor:
        if len(keys) > MAX_KEY_LOCKS:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [_CATALOGUE_LOCK])
            return
        # The catalogue lock first, in every transaction, so that it cannot take part in a deadlock.
        cursor.execute("SELECT pg_advisory_xact_lock_shared(hashtextextended(%s, 0))", [_CATALOGUE_LOCK])
        cursor.execute(
            "SELECT pg_advisory_xact_lock(h) FROM (SELECT DISTINCT hashtextextended(k, 0) AS h"
            " FROM unnest(%s::text[]) AS k ORDER BY 1) AS keys",
            [keys],
        )
