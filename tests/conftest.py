from pathlib import Path

import pytest

from tests import fuzzing  # noqa: F401  (registers and loads the hypothesis profile first)

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO.parent / "shared" / "seeds"
SAMPLES = REPO / "papers" / "demo"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def pytest_configure(config):
    """Tests speak plain HTTP (test client, live_server), so the production HTTPS redirect is off for the
    session, before any handler (the live server's at its start) loads SecurityMiddleware.
    tests/test_production.py checks the redirect and `check --deploy` with production settings."""
    if config.pluginmanager.has_plugin("django"):
        from django.conf import settings

        settings.SECURE_SSL_REDIRECT = False


def seed_path(prefix: str) -> Path:
    """A file of ../shared/seeds/ by its number prefix ("000"); skips where the seeds are absent
    (a user's clone has no ../shared)."""
    if not SEEDS.is_dir():
        pytest.skip(f"seed digests not found at {SEEDS} (they live beside the repo in CI only)")
    matches = sorted(SEEDS.glob(f"{prefix}_*"))
    if not matches:
        pytest.skip(f"no seed file {prefix}_* in {SEEDS}")
    return matches[0]


def seed_text(prefix: str) -> str:
    return seed_path(prefix).read_text(encoding="utf-8")


@pytest.fixture(autouse=True)
def _unhashed_static_files(request):
    """Production serves hashed files from a collectstatic manifest; tests render templates without one.
    (Pure parser tests may run with ``-p no:django``, where there are no settings to change.)"""
    if not request.config.pluginmanager.has_plugin("django"):
        return
    settings = request.getfixturevalue("settings")
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _empty_cache(request):
    """Each test starts with an empty cache: the catalogue version keeps stale entries from being read,
    but a test that writes rows without the catalogue code (plain ORM creates) must not see another
    test's pages."""
    if not request.config.pluginmanager.has_plugin("django"):
        return
    from django.core.cache import cache

    cache.clear()


def import_paths(paths) -> None:
    from papers.ingest.importer import import_digest

    for path in paths:
        result = import_digest(path.read_bytes(), path.name)
        assert result.ok, (path, result.errors)


@pytest.fixture
def demo_papers(db):
    """Our own sample digests, present in every clone."""
    import_paths(sorted(SAMPLES.glob("*.txt")))


@pytest.fixture
def seed_papers(db):
    """The real seed digests plus our samples; skips where ../shared/seeds is absent."""
    import_paths([seed_path(prefix) for prefix in ("000", "001", "002", "003", "004")])
    import_paths(sorted(SAMPLES.glob("*.txt")))


@pytest.fixture
def editors_group(db):
    """The "Editors" group its data migration creates. Transactional tests (browser, concurrency) flush
    every table, data migrations' rows included, so the same migration function puts it back."""
    from importlib import import_module
    from types import SimpleNamespace

    from django.apps import apps
    from django.contrib.auth.models import Group
    from django.db import connection

    migration = import_module("papers.migrations.0004_editors_group")
    if not Group.objects.filter(name=migration.GROUP).exists():
        migration.create_editors(apps, SimpleNamespace(connection=connection))
    return Group.objects.get(name=migration.GROUP)
