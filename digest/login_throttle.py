"""Login throttling with django-axes (settings: ``AXES_*``; README: "Configuration"): whose address a login
comes from, and the page a locked-out login gets.

The client's address is ``REMOTE_ADDR`` unless ``CLIENT_IP_HEADER`` names the header a reverse proxy sets
(``X-Real-IP``, ``X-Forwarded-For``). Only that header is read, never a guessed list of them: a header
the proxy does not overwrite is whatever the client wants it to be.
"""

from __future__ import annotations

import ipaddress
import math

from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext


def client_ip_address(request: HttpRequest) -> str | None:
    header = settings.CLIENT_IP_HEADER
    if header:
        # A proxy appends the address it saw to X-Forwarded-For: only the last entry is its own; the ones
        # before it came with the request. A single-address header (X-Real-IP) is its own last entry.
        last = request.META.get(header, "").rsplit(",", 1)[-1].strip()
        if _is_ip_address(last):
            return last
    # No usable header: the request did not come through the proxy, so the peer is the client.
    return request.META.get("REMOTE_ADDR") or None


def _is_ip_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """429 with a page that says for how long (settings always set a cool-off), instead of axes' one-line
    text; the signature is axes' AXES_LOCKOUT_CALLABLE."""
    seconds = int(get_cool_off(request).total_seconds())
    context = {
        **admin.site.each_context(request),  # the login page's header and title
        "title": gettext("Too many failed logins"),
        "minutes": math.ceil(seconds / 60),
    }
    response = TemplateResponse(request, "admin/login_locked.html", context, status=429)
    response["Retry-After"] = str(seconds)
    return response.render()
