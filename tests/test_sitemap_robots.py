import hashlib
import xml.etree.ElementTree as ET

import pytest

from papers.models import Digest, Paper, Source, Visibility

pytestmark = pytest.mark.django_db

NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def make_digest(name: str, status: str) -> Digest:
    source, _ = Source.objects.get_or_create(slug="weekly", defaults={"name": "Weekly"})
    return Digest.objects.create(
        source=source, name=name, checksum=hashlib.sha256(name.encode()).hexdigest(), status=status
    )


def sitemap_entries(client) -> dict[str, str | None]:
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    root = ET.fromstring(response.content)
    return {
        url.findtext("sm:loc", namespaces=NS): url.findtext("sm:lastmod", namespaces=NS)
        for url in root.findall("sm:url", NS)
    }


def test_the_sitemap_lists_published_papers_and_imported_digests_only(client):
    paper = Paper.objects.create(title="Public", arxiv_id="2401.00001")
    no_id = Paper.objects.create(title="Public without id")
    hidden = Paper.objects.create(title="Hidden", arxiv_id="2401.00002", visibility=Visibility.HIDDEN)
    imported = make_digest("imported", Digest.Status.IMPORTED)
    failed = make_digest("failed", Digest.Status.FAILED)
    pending = make_digest("pending", Digest.Status.PENDING)

    entries = sitemap_entries(client)
    assert set(entries) == {
        "http://testserver/papers/2401.00001/",
        f"http://testserver/papers/{no_id.slug}/",
        f"http://testserver/digests/{imported.pk}/",
    }
    assert entries["http://testserver/papers/2401.00001/"].startswith(paper.updated_at.date().isoformat())
    for excluded in [hidden.get_absolute_url(), f"/digests/{failed.pk}/", f"/digests/{pending.pk}/"]:
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
