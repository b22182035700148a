"""Readers' pages and facet counts are cached under the catalogue version: a repeated request is served
from the cache, and any change to the catalogue (import, admin edit, merge) is visible at once."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from papers.ingest.importer import import_digest
from papers.models import Category, Paper, Source
from papers.search import facets
from papers.search.cache import catalogue_version
from papers.search.index import refresh_papers
from tests.conftest import SAMPLES

pytestmark = pytest.mark.django_db

LIST = "/papers/"


@pytest.fixture
def caches_on(settings):
    settings.PAGE_CACHE_SECONDS = 600
    settings.FACET_CACHE_SECONDS = 600


def first_paper() -> Paper:
    return Paper.objects.published().exclude(arxiv_id=None).order_by("pk").first()


def test_a_repeated_page_is_served_from_the_cache_with_one_query(client, demo_papers, caches_on):
    url = first_paper().get_absolute_url()
    first = client.get(url)
    assert first.status_code == 200 and "X-Page-Cache" not in first
    with CaptureQueriesContext(connection) as queries:
        again = client.get(url)
    assert again["X-Page-Cache"] == "hit"
    assert again.content == first.content
    assert len(queries) == 1  # the catalogue version
    assert again["Content-Security-Policy"]  # the middleware still adds its headers


def test_an_import_makes_every_cached_page_stale(client, demo_papers, caches_on):
    def matches() -> int:
        return client.get(LIST, {"q": "Capybara", "format": "json"}).json()["count"]

    assert matches() == 0
    assert matches() == 0  # now from the cache
    digest = (SAMPLES / "arxiv_jp_sample.txt").read_text(encoding="utf-8")
    changed = digest.replace("多層パーセプトロン", "Capybara 多層パーセプトロン", 1)
    assert changed != digest
    version = catalogue_version()
    assert import_digest(changed.encode(), "arxiv_jp_corrected.txt").ok
    assert catalogue_version() > version
    assert matches() == 1


def test_facet_counts_are_recounted_after_a_change(client, demo_papers, caches_on):
    def category_count(code: str) -> int:
        facets = client.get(LIST, {"format": "json", "page": "1"}).json()["facets"]["category"]
        return next((value["count"] for value in facets if value["value"] == code), 0)

    paper = first_paper()
    new = Category.objects.create(code="cs.XX")
    assert category_count("cs.XX") == 0
    paper.categories.add(new)
    refresh_papers([paper.pk])  # what the admin does after an edit
    assert category_count("cs.XX") == 1


def test_facet_counts_are_cached_apart_from_page_and_sort(client, demo_papers, settings):
    settings.PAGE_CACHE_SECONDS = 0
    settings.FACET_CACHE_SECONDS = 600
    client.get(LIST, {"language": "ja"})
    with CaptureQueriesContext(connection) as queries:
        client.get(LIST, {"language": "ja", "sort": "score"})
    assert not any("MATERIALIZED" in query["sql"] for query in queries), "facets were counted again"
    settings.FACET_CACHE_SECONDS = 0
    with CaptureQueriesContext(connection) as queries:
        client.get(LIST, {"language": "ja", "sort": "score"})
    assert sum("MATERIALIZED" in query["sql"] for query in queries) == 1  # every facet in one statement


def test_renaming_a_source_is_visible_at_once(client, demo_papers, caches_on):
    source = Source.objects.order_by("pk").first()
    client.get(LIST)
    source.name = "Renamed digest source"
    source.save()
    assert "Renamed digest source" in client.get(LIST).content.decode()


def test_signed_in_people_are_never_served_or_stored_from_the_cache(client, demo_papers, caches_on):
    editor = get_user_model().objects.create_superuser("editor", "editor@example.org", "pw-1234567")
    url = first_paper().get_absolute_url()
    client.force_login(editor)
    assert "X-Page-Cache" not in client.get(url)
    assert "X-Page-Cache" not in client.get(url)
    client.logout()
    assert "X-Page-Cache" not in client.get(url)  # the editor's page was not stored for readers


def test_errors_and_redirects_are_not_cached(client, demo_papers, caches_on):
    assert client.get("/papers/0000.00000/").status_code == 404
    assert "X-Page-Cache" not in client.get("/papers/0000.00000/")
    paper = first_paper()
    versioned = f"/papers/{paper.arxiv_id}v2/"
    assert client.get(versioned).status_code == 301
    assert client.get(versioned).status_code == 301


def test_pages_carry_no_csrf_token_or_cookie(client, demo_papers):
    response = client.get(LIST)
    assert "csrfmiddlewaretoken" not in response.content.decode()
    assert not response.cookies


@pytest.mark.parametrize(
    "headers",
    [{"Sec-Fetch-Site": "same-origin"}, {"Origin": "http://testserver"}],
)
def test_the_language_switch_accepts_this_site(client, headers):
    response = client.post("/i18n/setlang/", {"language": "ja", "next": LIST}, headers=headers)
    assert response.status_code == 302
    assert client.cookies["django_language"].value == "ja"


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {},
    ],
)
def test_the_language_switch_refuses_other_sites(client, headers):
    response = client.post("/i18n/setlang/", {"language": "ja", "next": LIST}, headers=headers)
    assert response.status_code == 403
    assert "django_language" not in client.cookies


def test_the_language_switch_is_post_only(client):
    assert client.get("/i18n/setlang/", {"language": "ja"}).status_code == 405


def test_cache_keys_name_the_database(settings, demo_papers):
    """Two catalogues sharing one Redis keep their own entries (their versions may be equal)."""
    from django.db import connections

    from papers.search.cache import versioned_key

    here = versioned_key("page", "/papers/")
    original = connections["default"].settings_dict["NAME"]
    connections["default"].settings_dict["NAME"] = f"{original}_other"
    try:
        elsewhere = versioned_key("page", "/papers/")
    finally:
        connections["default"].settings_dict["NAME"] = original
    assert here != elsewhere


class RecordingCache:
    def __init__(self, real) -> None:
        self.real = real
        self.timeouts: list[int | None] = []

    def get(self, key):
        return self.real.get(key)

    def set(self, key, value, timeout) -> None:
        self.timeouts.append(timeout)
        self.real.set(key, value, timeout)


def test_slow_facet_counts_are_kept_until_the_catalogue_changes(client, demo_papers, settings, monkeypatch):
    settings.FACET_CACHE_SECONDS = 600
    recording = RecordingCache(facets.cache)
    monkeypatch.setattr(facets, "cache", recording)
    monkeypatch.setattr(facets, "SLOW_COUNT_SECONDS", 0)  # every count is slow
    client.get(LIST, {"format": "json"})
    assert recording.timeouts == [facets.SLOW_COUNT_CACHE_SECONDS]
    monkeypatch.setattr(facets, "SLOW_COUNT_SECONDS", 3600)  # none is
    client.get(LIST, {"format": "json", "q": "Mamba"})
    assert recording.timeouts[-1] == 600
