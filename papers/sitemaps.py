"""Sitemaps: ``/sitemap.xml`` is an index of paginated sections (``/sitemap-papers.xml?p=2``) listing every
published paper and every imported digest; digest.urls caches them under the catalogue version."""

from __future__ import annotations

from datetime import datetime

from django.contrib.sitemaps import Sitemap
from django.db.models import QuerySet
from django.urls import reverse

from papers.models import Digest, Paper

# URLs per sitemap page. The protocol allows 50,000 (Django's default), but a page is built whole on a
# cache miss, i.e. after every catalogue change, by whichever crawler asks first: 10,000 URLs are about
# 0.9 MB and under a second to build (mostly template rendering); 50,000 would be 4.5 MB and several
# seconds. A million papers make 100 pages in the index.
URLS_PER_PAGE = 10_000


class CatalogueSitemap(Sitemap):
    limit = URLS_PER_PAGE

    def get_latest_lastmod(self) -> None:
        """No lastmod in the index: Django's would read every item of the section to find the latest,
        and give it to every page of the section alike. Each URL in a page carries its own."""
        return None


class PaperSitemap(CatalogueSitemap):
    def items(self) -> QuerySet[Paper]:
        return Paper.objects.published().only("arxiv_id", "slug", "updated_at").order_by("pk")

    def lastmod(self, paper: Paper) -> datetime:
        return paper.updated_at


class DigestSitemap(CatalogueSitemap):
    def items(self) -> QuerySet[Digest]:
        return Digest.objects.public().only("updated_at").order_by("pk")

    def location(self, digest: Digest) -> str:
        return reverse("digest_detail", args=[digest.pk])

    def lastmod(self, digest: Digest) -> datetime:
        return digest.updated_at


SITEMAPS = {"papers": PaperSitemap, "digests": DigestSitemap}
