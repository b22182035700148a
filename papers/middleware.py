"""Which requests may read from a read replica (see ``papers.db_router``). Installed by the settings
only when ``DATABASE_REPLICA_URLS`` is set."""

from __future__ import annotations

from django.conf import settings

from papers.db_router import replicas_allowed

# A short-lived cookie set by every write request: the same browser reads from the primary until the
# replicas have (almost certainly) replayed what it wrote — read-your-writes after a POST and redirect.
PIN_COOKIE = "primary_pin"
PIN_SECONDS = 10
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
ADMIN_PREFIX = "/admin/"


def may_read_replica(request) -> bool:
    """Only public reads: a safe method outside the admin, by an anonymous reader (editors, who write,
    read their own writes from the primary), with no recent write of this browser."""
    if request.method not in SAFE_METHODS or request.path_info.startswith(ADMIN_PREFIX):
        return False
    if PIN_COOKIE in request.COOKIES:
        return False
    user = getattr(request, "user", None)
    return not (user is not None and user.is_authenticated)


class PrimaryPinningMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with replicas_allowed(may_read_replica(request)):
            response = self.get_response(request)
        if request.method not in SAFE_METHODS:
            response.set_cookie(
                PIN_COOKIE,
                "1",
                max_age=PIN_SECONDS,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response
