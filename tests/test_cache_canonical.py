"""The page cache keys a reader's request on the query parameters its view reads, in name order, without
empty values: parameters a view does not know (``&zz=random``, ``utm_source``) neither change the page nor
create cache entries, so they cannot be used to bypass the cache or to fill it."""

import pytest
from django.core.cache import cache as real_cache
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from papers.models import Author, Category, Digest, Paper
from papers.search import cache as page_cache
from papers.search.cache import canonical_query
from papers.search.filters import PaperFilterSet

pytestmark = pytest.mark.django_db

LIST = "/papers/"


@pytest.fixture
def caches_on(settings):
    settings.PAGE_CACHE_SECONDS = 600


class RecordingCache:
    """The real cache, remembering which keys were stored."""

    def __init__(self) -> None:
        self.stored: list[str] = []

    def get(self, key):
        return real_cache.get(key)

    def set(self, key, value, timeout) -> None:
        self.stored.append(key)
        real_cache.set(key, value, timeout)


@pytest.fixture
def recording(monkeypatch, caches_on) -> RecordingCache:
    recording = RecordingCache()
    monkeypatch.setattr(page_cache, "cache", recording)
    return recording


def list_urls() -> list[str]:
    author = Author.objects.order_by("pk").first()
    category = Category.objects.order_by("code").first()
    return [LIST, f"/authors/{author.pk}/", f"/categories/{category.code}/"]


def get(client, path: str, params: dict | str):
    return client.get(f"{path}?{params}") if isinstance(params, str) else client.get(path, params)


def assert_one_entry(client, recording: RecordingCache, path: str, variants: list[dict | str]) -> None:
    first = get(client, path, variants[0])
    assert first.status_code == 200 and "X-Page-Cache" not in first
    content = first.getvalue()  # a streamed export is stored once it has been sent in full
    for params in variants[1:]:
        with CaptureQueriesContext(connection) as queries:
            again = get(client, path, params)
        assert again["X-Page-Cache"] == "hit", params
        assert again.getvalue() == content, params
        assert len(queries) == 1  # the catalogue version
    assert len(recording.stored) == 1


@pytest.mark.parametrize("output", ["html", "json", "csv"])
def test_junk_parameters_share_one_cache_entry_on_every_list(client, demo_papers, recording, output):
    for path in list_urls():
        recording.stored.clear()
        assert_one_entry(
            client,
            recording,
            path,
            [
                {"format": output, "zz": "random"},
                {"format": output},
                {"format": output, "zz": "other", "utm_source": "mail"},
                {"format": output, "q": "", "category": "", "page": ""},  # empty values are no values
            ],
        )


def test_parameter_order_does_not_matter(client, demo_papers, recording):
    assert_one_entry(
        client,
        recording,
        LIST,
        [
            "language=ja&sort=score&code=yes",
            "code=yes&language=ja&sort=score&zz=1",
            "sort=score&code=yes&language=ja",
        ],
    )


def test_junk_does_not_change_the_page_when_nothing_is_cached(client, demo_papers, settings):
    settings.PAGE_CACHE_SECONDS = 0
    for path in list_urls():
        plain = client.get(path, {"language": "ja", "sort": "newest"})
        junk = client.get(path, {"zz": "<b>junk</b>", "language": "ja", "sort": "newest", "utm_x": "1"})
        assert junk.content == plain.content
        assert "junk" not in junk.content.decode() and "utm_x" not in junk.content.decode()


@pytest.mark.parametrize("name", [*PaperFilterSet.base_filters, "sort", "page", "format"])
def test_every_parameter_a_list_reads_makes_its_own_entry(client, demo_papers, recording, name):
    """The list's parameters come from the FilterSet: a filter added there is honoured here too."""
    value = {"sort": "score", "page": "1", "format": "json", "q": "Mamba", "language": "ja"}.get(name, "x")
    client.get(LIST)
    response = client.get(LIST, {name: value})
    assert "X-Page-Cache" not in response
    assert len(recording.stored) == 2


def test_the_list_still_filters_sorts_and_pages(client, demo_papers, caches_on):
    every = client.get(LIST, {"format": "json"}).json()
    chinese = client.get(LIST, {"format": "json", "language": "zh", "zz": "1"}).json()
    assert 0 < chinese["count"] < every["count"]
    searched = client.get(LIST, {"format": "json", "q": "Mamba", "zz": "1"}).json()
    assert 0 < searched["count"] < every["count"]


def test_a_paper_page_reads_only_format(client, demo_papers, recording):
    url = Paper.objects.published().exclude(arxiv_id=None).first().get_absolute_url()
    assert_one_entry(client, recording, url, [{}, {"utm_source": "feed"}, {"format": ""}, {"q": "x"}])
    json_page = client.get(url, {"format": "json", "zz": "1"})
    assert json_page["Content-Type"].startswith("application/json")
    assert len(recording.stored) == 2


def test_a_digest_page_and_home_read_no_parameters(client, demo_papers, recording):
    digest = Digest.objects.filter(status=Digest.Status.IMPORTED).first()
    assert_one_entry(client, recording, f"/digests/{digest.pk}/", [{}, {"format": "json"}, {"page": "2"}])
    recording.stored.clear()
    assert_one_entry(client, recording, "/", [{}, {"q": "Mamba"}, {"zz": "1"}])


def test_a_feed_reads_the_filters_only(client, demo_papers, recording):
    feed = "/papers/feed/atom/"
    assert_one_entry(
        client, recording, feed, [{"language": "ja"}, {"language": "ja", "zz": "1", "page": "3"}]
    )
    body = client.get(feed, {"language": "ja", "zz": "1"}).content.decode()
    assert "zz=" not in body
    assert client.get(feed, {"language": "zh"}).content != body  # a filter is honoured


def test_signed_in_people_get_the_same_page_as_readers(client, demo_papers, settings, django_user_model):
    """Unknown parameters are dropped for every request, cached or not, so no page depends on them."""
    settings.PAGE_CACHE_SECONDS = 0
    client.force_login(django_user_model.objects.create_user("reader", password="pw-1234567"))
    page = client.get(LIST, {"language": "ja", "zz": "<junk>"}).content.decode()
    assert "zz=" not in page


def test_canonical_query_keeps_known_names_in_order_without_empty_values():
    query = QueryDict("zz=1&sort=score&category=cs.LG&q=&category=&category=cs.AI&page=2")
    canonical = canonical_query(query, {"q", "category", "sort", "page"})
    assert canonical.urlencode() == "category=cs.LG&category=cs.AI&page=2&sort=score"
    assert not canonical._mutable
