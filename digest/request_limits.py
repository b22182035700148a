"""Request bodies are refused with 413 before anything reads them when their Content-Length is over the
limit: ``DATA_UPLOAD_MAX_MEMORY_SIZE`` for every view, or, for a view marked ``@accepts_upload(SETTING)``
(the admin's digest upload), that setting plus ``DATA_UPLOAD_MAX_MEMORY_SIZE`` for the form's own fields,
and then only from an active staff member.

Django alone does not do this: the files of a multipart body do not count towards
DATA_UPLOAD_MAX_MEMORY_SIZE, so any form view (the language switch) would spool a 300 MB file part to disk,
and Django answers a body that is too big with 400, not 413. A body without Content-Length is read as
empty by Django, so the header is the only size to check.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.defaultfilters import filesizeformat

_UPLOAD_SETTING = "request_body_upload_setting"


def accepts_upload(setting: str) -> Callable:
    """Marks a view that takes uploads of up to ``settings.<setting>`` bytes. The mark survives the
    admin's own wrappers (``admin_view`` copies the view's attributes)."""

    def mark(view: Callable) -> Callable:
        setattr(view, _UPLOAD_SETTING, setting)
        return view

    return mark


def body_limit(request: HttpRequest, view: Callable) -> int:
    form_fields = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    setting = getattr(view, _UPLOAD_SETTING, None)
    if setting is None:
        return form_fields
    user = request.user
    if not (user.is_active and user.is_staff):
        return form_fields
    return getattr(settings, setting) + form_fields


def content_length(request: HttpRequest) -> int:
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0  # as Django itself reads it: no body


class RequestBodyLimitMiddleware:
    """Must come before any middleware whose process_view reads the body (CsrfViewMiddleware reads POST).
    Views are resolved by then, and so is request.user."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view: Callable, args, kwargs) -> HttpResponse | None:
        length = content_length(request)
        if length <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE:  # the common case costs no user lookup
            return None
        limit = body_limit(request, view)
        if length <= limit:
            return None
        return HttpResponse(
            f"The request body is {filesizeformat(length)}; at most {filesizeformat(limit)} "
            "is accepted here.",
            status=413,
            content_type="text/plain; charset=utf-8",
        )
