from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from papers.models import Digest, Paper


def home(request: HttpRequest) -> HttpResponse:
    papers = Paper.objects.published().prefetch_related("authorships__author", "categories")[:50]
    digests = Digest.objects.filter(status=Digest.Status.IMPORTED).select_related("source")[:10]
    return render(request, "papers/home.html", {"papers": papers, "digests": digests})
