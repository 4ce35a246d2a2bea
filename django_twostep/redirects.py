"""Where to send the browser next: ``next`` validation and URLs that carry it."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from .methods import primary_methods

REDIRECT_FIELD_NAME = "next"


def safe_next_url(request: HttpRequest, url: object) -> str:
    """``url`` if it stays on this site (same host; HTTPS when the request is), else ``""``.

    Refuses ``//evil.example``, ``https://evil.example``, ``javascript:...``,
    ``\\\\evil.example`` and their encoded forms
    (``url_has_allowed_host_and_scheme``), and a bare ``//``.
    """
    if (
        isinstance(url, str)
        and url
        and url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        # Django lets "//" and "/\\" (no host at all) through; browsers read them
        # as a network-path reference, never a page of this site.
        and not url.replace("\\", "/").startswith("//")
    ):
        return url
    return ""


def requested_next_url(request: HttpRequest) -> str:
    """The validated ``next`` of this request (form field first, then query string)."""
    raw = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME)
    return safe_next_url(request, raw)


def url_with_next(viewname: str, next_url: str | None) -> str:
    """``reverse(viewname)`` with ``?next=`` appended when ``next_url`` is given."""
    url = reverse(viewname)
    if next_url:
        url = f"{url}?{urlencode({REDIRECT_FIELD_NAME: next_url})}"
    return url


def enrollment_url_name() -> str:
    """Where ``TWOSTEP_REQUIRED`` sends a user without a method: the set-up page of
    the first method of ``TWOSTEP_METHODS`` that has one, else the settings page."""
    return next(
        (m.setup_url_name for m in primary_methods() if m.setup_url_name), "twostep:settings"
    )
