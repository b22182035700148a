from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from papers.models import Digest, Paper
from papers.search.cache import cached_page
from papers.search.query import decorate, with_list_details

HOME_PAPERS = 20


@cached_page
def home(request: HttpRequest) -> HttpResponse:
    papers = list(with_list_details(Paper.objects.published())[:HOME_PAPERS])
    decorate(papers, "")
    digests = Digest.objects.public().select_related("source")[:10]
    return render(request, "papers/home.html", {"papers": papers, "digests": digests})


def robots_txt(request: HttpRequest) -> HttpResponse:
    sitemap = request.build_absolute_uri(reverse("sitemap"))
    lines = ["User-agent: *", "Allow: /", "Disallow: /admin/", "", f"Sitemap: {sitemap}", ""]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
