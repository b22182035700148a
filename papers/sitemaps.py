"""sitemap.xml: every published paper and every imported digest."""

from __future__ import annotations

from datetime import datetime

from django.contrib.sitemaps import Sitemap
from django.db.models import QuerySet
from django.urls import reverse

from papers.models import Digest, Paper


class PaperSitemap(Sitemap):
    def items(self) -> QuerySet[Paper]:
        return Paper.objects.published().only("arxiv_id", "slug", "updated_at").order_by("pk")

    def lastmod(self, paper: Paper) -> datetime:
        return paper.updated_at


class DigestSitemap(Sitemap):
    def items(self) -> QuerySet[Digest]:
        return Digest.objects.filter(status=Digest.Status.IMPORTED).only("updated_at").order_by("pk")

    def location(self, digest: Digest) -> str:
        return reverse("digest_detail", args=[digest.pk])

    def lastmod(self, digest: Digest) -> datetime:
        return digest.updated_at


SITEMAPS = {"papers": PaperSitemap, "digests": DigestSitemap}
