"""Typed readers for settings from the environment. A bad value stops start-up with a message that
names the variable, instead of surfacing later as a confusing error."""

from __future__ import annotations

import os
import re

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use one of 1/0, true/false, yes/no, on/off")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}")
    return value


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


_HEADER_NAME = re.compile(r"[A-Za-z0-9_-]+")


def env_request_header(name: str) -> str | None:
    """A request header as Django's ``request.META`` names it, from either spelling (``X-Real-IP`` or
    ``HTTP_X_REAL_IP``); None when unset or empty."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    if not _HEADER_NAME.fullmatch(raw):
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a header name; write it as sent (X-Real-IP) or as in request.META "
            "(HTTP_X_REAL_IP)"
        )
    key = raw.upper().replace("-", "_")
    return key if key == "REMOTE_ADDR" or key.startswith("HTTP_") else f"HTTP_{key}"


def env_database_url(name: str) -> dict | None:
    """Django DATABASES entry from a postgres:// URL, or None when the variable is unset."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    return _database_config(name, raw)


def env_database_urls(name: str) -> list[dict]:
    """Django DATABASES entries from comma-separated postgres:// URLs (read replicas); [] when unset.
    A bad or empty entry stops start-up naming its position (write a comma inside a password as %2C)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return []
    configs = []
    for position, entry in enumerate(raw.split(","), start=1):
        label = f"{name} entry {position}"
        if not entry.strip():
            raise ImproperlyConfigured(f"{label} is empty (a stray comma?) in {name}={raw!r}")
        configs.append(_database_config(label, entry.strip()))
    return configs


def _database_config(label: str, raw: str) -> dict:
    import dj_database_url

    if not raw.startswith(("postgres://", "postgresql://", "pgsql://")):
        raise ImproperlyConfigured(
            f"{label} must be a PostgreSQL URL such as postgres://user:password@host:5432/dbname, got {raw!r}"
        )
    try:
        config = dj_database_url.parse(raw, conn_max_age=60, conn_health_checks=True)
    except ValueError as error:
        raise ImproperlyConfigured(f"{label} is not a valid database URL: {error}") from None
    if not config.get("NAME"):
        raise ImproperlyConfigured(
            f"{label} must name a database, e.g. postgres://postgres@127.0.0.1:5432/digest"
        )
    return config
