"""Small helpers shared by the HTML views and the API views (HTTP glue only)."""

from __future__ import annotations

from django.http import HttpRequest

from .flows.events import Origin

# The trusted-browser cookie: set and read by the pages (:mod:`django_twostep.state`),
# hidden from error reports by :mod:`django_twostep.debug`, which must not import the pages.
TRUSTED_COOKIE_NAME = "twostep_trusted"


def origin_from_request(request: HttpRequest) -> Origin:
    """Where a request came from, for security events.

    Uses ``REMOTE_ADDR`` only: trusting ``X-Forwarded-For`` depends on the
    site's proxies, so a site behind one sets ``REMOTE_ADDR`` in its own
    middleware.
    """
    return Origin(
        ip=request.META.get("REMOTE_ADDR") or None,
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
    )
