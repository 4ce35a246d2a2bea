"""Error reports that hide what django-twostep's requests carry besides POST data.

Django's :class:`~django.views.debug.SafeExceptionReporterFilter` hides
``sensitive_post_parameters`` and request headers whose names look secret
(``API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE``). Codes sent in the
``X-OTP`` and ``X-MFA-Code`` headers match none of these, nor does the
trusted-browser cookie, so an error report (the e-mail to ``ADMINS``, a
logging handler that formats the request) would show them. Our views give
their requests a filter that also hides those: the site's own filter class
(``DEFAULT_EXCEPTION_REPORTER_FILTER``), extended.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.views.debug import SafeExceptionReporterFilter, get_exception_reporter_filter

from .state import TRUSTED_COOKIE_NAME

# request.META keys of the headers that carry codes: X-OTP, X-MFA-Code.
SENSITIVE_META = re.compile(r"^HTTP_X_(OTP|MFA_CODE)$", re.I)
SENSITIVE_COOKIES = frozenset({TRUSTED_COOKIE_NAME})


class _HideTwoStepSecrets:
    cleansed_substitute: str

    def get_safe_request_meta(self, request: HttpRequest) -> dict[str, Any]:
        meta = super().get_safe_request_meta(request)  # type: ignore[misc]
        return {
            key: self.cleansed_substitute if SENSITIVE_META.match(str(key)) else value
            for key, value in meta.items()
        }

    def get_safe_cookies(self, request: HttpRequest) -> dict[str, Any]:
        cookies = super().get_safe_cookies(request)  # type: ignore[misc]
        return {
            name: self.cleansed_substitute if name in SENSITIVE_COOKIES else value
            for name, value in cookies.items()
        }


@functools.cache
def _extended(base: type) -> type:
    return type(f"TwoStep{base.__name__}", (_HideTwoStepSecrets, base), {})


def hide_secrets_from_error_reports(request: HttpRequest) -> None:
    """Make error reports of ``request`` hide code headers and the trusted-browser cookie."""
    current = get_exception_reporter_filter(request)
    if isinstance(current, _HideTwoStepSecrets) or not isinstance(
        current, SafeExceptionReporterFilter
    ):
        return  # already done, or a filter we cannot extend safely
    request.exception_reporter_filter = _extended(type(current))()


def hides_secrets_from_error_reports(view: Callable[..., Any]) -> Callable[..., Any]:
    """View decorator for :func:`hide_secrets_from_error_reports`."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        hide_secrets_from_error_reports(request)
        return view(request, *args, **kwargs)

    return wrapper
