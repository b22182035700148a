"""Read replicas (settings: ``DATABASE_REPLICA_URLS`` → ``DATABASES["replica1"]``, ``["replica2"]``…).

Rules, in order:

- every write, and every migration, goes to ``default`` (the primary);
- so does every read of a login-throttling model (django-axes): a lockout must be seen by the next
  attempt, not by a replica that has not replayed it yet;
- a read goes to ``default`` unless the current request was cleared for replicas by
  ``papers.middleware.PrimaryPinningMiddleware`` (a public GET/HEAD outside the admin by an anonymous
  reader who has not posted anything in the last few seconds). Code outside a request, management
  commands, the import worker, the shell, is therefore always on the primary;
- a read inside a transaction on ``default`` (``transaction.atomic()``: the importer, jobs) stays there;
- otherwise a replica that accepts connections, picked at random once per request (so that all of a
  page's queries see the same point in time); one that refused is left out for a while, and with none
  left the read goes to ``default``.
"""

from __future__ import annotations

import logging
import random
import time
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

logger = logging.getLogger(__name__)

REPLICA_PREFIX = "replica"
PRIMARY_ONLY_APPS = {"axes"}
# How long a replica that refused a connection is left out.
RETRY_AFTER_SECONDS = 30.0

# None: reads go to the primary (the default, outside requests too). A dict: reads of the current request
# may go to a replica; it remembers the one picked ("alias").
_replica_state: ContextVar[dict | None] = ContextVar("replica_state", default=None)
_down_until: dict[str, float] = {}


@contextmanager
def replicas_allowed(allowed: bool = True):
    """Lets reads in the block go to replicas (or, with False, keeps them on the primary)."""
    token = _replica_state.set({} if allowed else None)
    try:
        yield
    finally:
        _replica_state.reset(token)


def reading_from_replicas() -> bool:
    return _replica_state.get() is not None


def replica_aliases() -> list[str]:
    return [alias for alias in connections if alias.startswith(REPLICA_PREFIX)]


def _usable(alias: str) -> bool:
    if _down_until.get(alias, 0.0) > time.monotonic():
        return False
    try:
        connections[alias].ensure_connection()
    except DatabaseError:
        logger.warning("read replica %s refused a connection; reading from the primary", alias)
        _down_until[alias] = time.monotonic() + RETRY_AFTER_SECONDS
        return False
    _down_until.pop(alias, None)
    return True


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        state = _replica_state.get()
        if (
            state is None
            or model._meta.app_label in PRIMARY_ONLY_APPS
            or connections[DEFAULT_DB_ALIAS].in_atomic_block
        ):
            return DEFAULT_DB_ALIAS
        if state.get("alias") and _usable(state["alias"]):
            return state["alias"]
        candidates = replica_aliases()
        random.shuffle(candidates)
        state["alias"] = next((alias for alias in candidates if _usable(alias)), DEFAULT_DB_ALIAS)
        return state["alias"]

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS
