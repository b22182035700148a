"""Switching the interface language without a CSRF token in every page, so that readers' pages carry
nothing personal and can be served from the cache (papers.search.cache.cached_page).

A cross-site form cannot forge the switch: browsers mark every request with where it came from
(``Sec-Fetch-Site``, or at least ``Origin`` on a POST), and anything not from this site is refused.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django.views.i18n import set_language


def _from_this_site(request: HttpRequest) -> bool:
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")  # "none": typed or bookmarked by the reader
    origin = request.headers.get("Origin")
    if not origin or origin == "null":
        return False
    trusted = {f"{request.scheme}://{request.get_host()}", *settings.CSRF_TRUSTED_ORIGINS}
    parts = urlsplit(origin)
    return f"{parts.scheme}://{parts.netloc}" in trusted


@csrf_exempt  # protected by _from_this_site instead of a token
@require_POST
def switch_language(request: HttpRequest) -> HttpResponse:
    if not _from_this_site(request):
        return HttpResponseForbidden("The language can only be switched from this site's own pages.")
    return set_language(request)
