"""Small helpers shared by the HTML views and the API views (HTTP glue only)."""

from __future__ import annotations

from django.http import HttpRequest
from django.http.request import split_domain_port

from .flows.events import Origin
from .methods.base import Site

# The trusted-browser cookie: set and read by the pages (:mod:`django_twostep.state`),
# hidden from error reports by :mod:`django_twostep.debug`, which must not import the pages.
TRUSTED_COOKIE_NAME = "twostep_trusted"


def site_from_request(request: HttpRequest) -> Site:
    """Where ``request`` came in, for ceremonies (a security key's relying party):
    its host without the port, and its origin (``https://example.com``)."""
    host = request.get_host()
    return Site(host=split_domain_port(host)[0] or host, origin=f"{request.scheme}://{host}")


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
