import hashlib
import xml.etree.ElementTree as ET

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from papers import sitemaps
from papers.models import Digest, DigestEntry, Paper, Source, Visibility
from papers.search.index import refresh_papers

pytestmark = pytest.mark.django_db

NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def make_digest(name: str, status: str) -> Digest:
    source, _ = Source.objects.get_or_create(slug="weekly", defaults={"name": "Weekly"})
    return Digest.objects.create(
        source=source, name=name, checksum=hashlib.sha256(name.encode()).hexdigest(), status=status
    )


def get_xml(client, url: str) -> ET.Element:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"].startswith("application/xml")
    return ET.fromstring(response.content)


def sitemap_pages(client) -> list[str]:
    """The sitemap URLs that /sitemap.xml (an index) lists, in order."""
    index = get_xml(client, "/sitemap.xml")
    assert index.tag == f"{{{NS['sm']}}}sitemapindex"
    return [sitemap.findtext("sm:loc", namespaces=NS) for sitemap in index.findall("sm:sitemap", NS)]


def sitemap_entries(client) -> dict[str, str | None]:
    """Every URL of every sitemap the index lists, with its lastmod."""
    entries = {}
    for page in sitemap_pages(client):
        root = get_xml(client, page.removeprefix("http://testserver"))
        for url in root.findall("sm:url", NS):
            loc = url.findtext("sm:loc", namespaces=NS)
            assert loc not in entries, f"{loc} is listed twice"
            entries[loc] = url.findtext("sm:lastmod", namespaces=NS)
    return entries


def test_the_sitemap_lists_published_papers_and_imported_digests_only(client):
    paper = Paper.objects.create(title="Public", arxiv_id="2401.00001")
    no_id = Paper.objects.create(title="Public without id")
    hidden = Paper.objects.create(title="Hidden", arxiv_id="2401.00002", visibility=Visibility.HIDDEN)
    imported = make_digest("imported", Digest.Status.IMPORTED)
    DigestEntry.objects.create(digest=imported, paper=paper, position=1)
    only_hidden = make_digest("only hidden", Digest.Status.IMPORTED)  # it would show the hidden paper
    DigestEntry.objects.create(digest=only_hidden, paper=hidden, position=1)
    failed = make_digest("failed", Digest.Status.FAILED)
    pending = make_digest("pending", Digest.Status.PENDING)

    entries = sitemap_entries(client)
    assert set(entries) == {
        "http://testserver/papers/2401.00001/",
        f"http://testserver/papers/{no_id.slug}/",
        f"http://testserver/digests/{imported.pk}/",
    }
    assert entries["http://testserver/papers/2401.00001/"].startswith(paper.updated_at.date().isoformat())
    digests = [f"/digests/{digest.pk}/" for digest in (only_hidden, failed, pending)]
    for excluded in [hidden.get_absolute_url(), *digests]:
        assert f"http://testserver{excluded}" not in entries


def test_the_sitemap_lastmod_follows_the_papers_updated_at(client):
    paper = Paper.objects.create(title="Dated", arxiv_id="2401.00003")
    Paper.objects.filter(pk=paper.pk).update(updated_at="2024-05-06T07:08:09Z")
    lastmod = sitemap_entries(client)["http://testserver/papers/2401.00003/"]
    assert lastmod.startswith("2024-05-06")


def test_robots_txt_allows_everything_but_the_admin_and_names_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert "User-agent: *" in lines
    assert "Allow: /" in lines
    assert "Disallow: /admin/" in lines
    assert "Sitemap: http://testserver/sitemap.xml" in lines
    assert not any(line.strip() == "Disallow: /" for line in lines)


def test_robots_txt_uses_the_requests_host_and_scheme(client, settings):
    settings.ALLOWED_HOSTS = ["papers.example.org"]
    response = client.get("/robots.txt", HTTP_HOST="papers.example.org", secure=True)
    assert "Sitemap: https://papers.example.org/sitemap.xml" in response.content.decode().splitlines()


def test_robots_txt_names_the_sitemap_index(client):
    line = next(
        line for line in client.get("/robots.txt").content.decode().splitlines() if "Sitemap:" in line
    )
    assert get_xml(client, line.removeprefix("Sitemap: http://testserver")).tag.endswith("sitemapindex")


def test_the_index_pages_each_section_and_every_page_stays_under_the_limit(client, monkeypatch):
    monkeypatch.setattr(sitemaps.PaperSitemap, "limit", 2)
    papers = [Paper.objects.create(title=f"Paged {n}", arxiv_id=f"2401.{n:05d}") for n in range(5)]
    digest = make_digest("paged", Digest.Status.IMPORTED)
    DigestEntry.objects.create(digest=digest, paper=papers[0], position=1)
    assert sitemap_pages(client) == [
        "http://testserver/sitemap-papers.xml",
        "http://testserver/sitemap-papers.xml?p=2",
        "http://testserver/sitemap-papers.xml?p=3",
        "http://testserver/sitemap-digests.xml",
    ]
    sizes = [len(get_xml(client, f"/sitemap-papers.xml?p={n}").findall("sm:url", NS)) for n in (1, 2, 3)]
    assert sizes == [2, 2, 1]
    expected = {f"http://testserver{paper.get_absolute_url()}" for paper in papers}
    assert set(sitemap_entries(client)) == expected | {f"http://testserver/digests/{digest.pk}/"}


@pytest.mark.parametrize("page", ["4", "0", "x"])
def test_a_page_past_the_end_or_not_a_number_is_404(client, monkeypatch, page):
    monkeypatch.setattr(sitemaps.PaperSitemap, "limit", 2)
    for n in range(5):
        Paper.objects.create(title=f"Paged {n}", arxiv_id=f"2401.{n:05d}")
    assert client.get("/sitemap-papers.xml", {"p": page}).status_code == 404
    assert client.get("/sitemap-nothing.xml").status_code == 404


def test_the_limit_keeps_a_page_small_and_within_the_protocol():
    for sitemap in sitemaps.SITEMAPS.values():
        assert sitemap.limit <= 50_000  # sitemaps.org: at most 50,000 URLs per sitemap


def test_the_index_reads_no_paper_rows(client):
    """It counts each section's pages; a lastmod over every item would read the whole catalogue."""
    for n in range(3):
        Paper.objects.create(title=f"Counted {n}", arxiv_id=f"2401.{n:05d}")
    with CaptureQueriesContext(connection) as queries:
        get_xml(client, "/sitemap.xml")
    reads = [q["sql"] for q in queries if 'FROM "papers_paper"' in q["sql"]]
    assert reads and all(sql.startswith("SELECT COUNT(*)") for sql in reads)


@pytest.fixture
def page_cache(settings):
    settings.PAGE_CACHE_SECONDS = 600


@pytest.mark.parametrize("url", ["/sitemap.xml", "/sitemap-papers.xml", "/sitemap-digests.xml"])
def test_sitemaps_are_cached_until_the_catalogue_changes(client, page_cache, url):
    paper = Paper.objects.create(title="Cached", arxiv_id="2401.00001")
    make_digest("cached", Digest.Status.IMPORTED)
    first = client.get(url)
    with CaptureQueriesContext(connection) as queries:
        again = client.get(url)
    assert again["X-Page-Cache"] == "hit" and again.content == first.content
    assert len(queries) == 1  # the catalogue version
    assert again["Content-Type"] == first["Content-Type"]
    refresh_papers([paper.pk])  # any catalogue change
    assert "X-Page-Cache" not in client.get(url)


def test_junk_parameters_share_the_cached_sitemap(client, page_cache):
    Paper.objects.create(title="Cached", arxiv_id="2401.00001")
    first = client.get("/sitemap-papers.xml", {"p": "1", "utm_source": "crawler"})
    again = client.get("/sitemap-papers.xml", {"p": "1", "zz": "other"})
    assert again["X-Page-Cache"] == "hit" and again.content == first.content
