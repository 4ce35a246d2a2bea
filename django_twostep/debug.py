"""Error reports that hide what django-twostep's requests carry besides POST data.

Django's :class:`~django.views.debug.SafeExceptionReporterFilter` hides
``sensitive_post_parameters`` and request headers whose names look secret
(``API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE``). Codes sent in the
``X-OTP`` and ``X-MFA-Code`` headers match none of these, nor does the
trusted-browser cookie, so an error report (the e-mail to ``ADMINS``, a
logging handler that formats the request) would show them. Our views give
their requests a filter that also hides those: the site's own filter class
(``DEFAULT_EXCEPTION_REPORTER_FILTER``), extended.

The HTML report (``include_html`` e-mails, DEBUG pages) also shows every
frame's local variables, where a code or password travels through Django's
forms, DRF's parsed data and our flows. The filter hides any local whose
value shows one of the request's secrets: its sensitive POST parameters, the
API's sensitive JSON fields (:func:`remember_secrets`), the pending login's
challenge id (noted by :mod:`django_twostep.state` when it stores or reads
it), the code headers, the bearer token, the trusted-browser cookie (as sent,
and as a code is normalised before it is checked).

This module is HTTP glue shared by the pages and the API, so it imports
neither: what only one face knows (the session, the API's body) is handed in
through :func:`remember_secrets` and :func:`remember_secret_values`.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import quote_plus

from django.http import HttpRequest
from django.views.debug import SafeExceptionReporterFilter, get_exception_reporter_filter

from .flows.codes import normalize_code
from .http import TRUSTED_COOKIE_NAME
from .methods import all_methods

# request.META keys of the headers that carry codes: X-OTP, X-MFA-Code.
SENSITIVE_META = re.compile(r"^HTTP_X_(OTP|MFA_CODE)$", re.I)
SENSITIVE_COOKIES = frozenset({TRUSTED_COOKIE_NAME})
# Shorter values are not looked for in frame variables (a code has 6 digits).
_MIN_SECRET_LENGTH = 4
# How deep containers are searched before their repr() is.
_MAX_DEPTH = 3


_SECRETS_ATTRIBUTE = "_twostep_report_secrets"


def remember_secrets(request: HttpRequest, data: Mapping[str, Any], fields: Iterable[str]) -> None:
    """Note the values of ``fields`` in a body parsed apart from ``request.POST``
    (the API's JSON), so that error reports hide them too."""
    remember_secret_values(request, [data[field] for field in fields if field in data])


def remember_secret_values(request: HttpRequest, values: Iterable[object]) -> None:
    """Note secret ``values`` that ``request`` handles without sending them (the pending
    login's challenge id, kept sealed in the session), so that error reports hide them too."""
    setattr(request, _SECRETS_ATTRIBUTE, [*getattr(request, _SECRETS_ATTRIBUTE, ()), *values])


def request_secrets(request: HttpRequest) -> set[str]:
    """The secret strings ``request`` carries, as sent and as codes are normalised."""
    raw: list[object] = []
    sensitive = getattr(request, "sensitive_post_parameters", None) or []
    try:
        post = request.POST
    except Exception:  # an unreadable body: nothing to take from it
        post = None
    if post is not None:
        for name in post:
            if sensitive == "__ALL__" or name in sensitive:
                raw.extend(post.getlist(name))
    # JSON bodies and the pending login's challenge id, see remember_secrets.
    raw.extend(getattr(request, _SECRETS_ATTRIBUTE, ()))
    raw.extend(value for key, value in request.META.items() if SENSITIVE_META.match(str(key)))
    raw.append(request.META.get("HTTP_AUTHORIZATION", "").partition(" ")[2])
    raw.extend(request.COOKIES.get(name, "").split(":")[0] for name in SENSITIVE_COOKIES)
    found: set[str] = set()
    for value in raw:
        if not isinstance(value, str):
            continue
        normalized = normalize_code(value)
        forms = [value]
        if normalized:
            forms += [normalized]
            forms += [form for m in all_methods() for form in m.stored_forms(normalized)]
        for form in forms:  # and as repr(), JSON and a URL-encoded body escape it
            found.update({form, repr(form)[1:-1], json.dumps(form)[1:-1], quote_plus(form)})
    return {secret for secret in found if len(secret) >= _MIN_SECRET_LENGTH}


class _HideTwoStepSecrets:
    cleansed_substitute: str

    def get_safe_request_meta(self, request: HttpRequest) -> dict[str, Any]:
        meta = super().get_safe_request_meta(request)  # type: ignore[misc]
        return {
            key: self.cleansed_substitute if SENSITIVE_META.match(str(key)) else value
            for key, value in meta.items()
        }

    def get_traceback_frame_variables(self, request: HttpRequest, tb_frame: Any) -> Any:
        variables = super().get_traceback_frame_variables(request, tb_frame)  # type: ignore[misc]
        secrets = request_secrets(request) if request is not None else set()
        if not secrets:
            return variables
        return [
            (name, self.cleansed_substitute if _shows_any(value, secrets) else value)
            for name, value in variables
        ]

    def get_safe_cookies(self, request: HttpRequest) -> dict[str, Any]:
        cookies = super().get_safe_cookies(request)  # type: ignore[misc]
        return {
            name: self.cleansed_substitute if name in SENSITIVE_COOKIES else value
            for name, value in cookies.items()
        }


def _shows_any(value: object, secrets: set[str], depth: int = 0) -> bool:
    """Whether ``value`` shows a secret: strings and bytes directly, containers item
    by item, anything else by its ``repr()``."""
    if isinstance(value, bytes | bytearray):
        value = bytes(value).decode("utf-8", "replace")
    if isinstance(value, str):
        return any(secret in value for secret in secrets)
    if depth < _MAX_DEPTH and isinstance(value, Mapping):
        items: Iterable[object] = [*value.keys(), *value.values()]
    elif depth < _MAX_DEPTH and isinstance(value, list | tuple | set | frozenset):
        items = value
    else:
        try:
            return any(secret in repr(value) for secret in secrets)
        except Exception:  # a broken __repr__: hide it rather than guess
            return True
    # The repr() too: a QueryDict's values() gives only the last value of each list.
    return any(_shows_any(item, secrets, depth + 1) for item in items) or _shows_any(
        repr(value), secrets
    )


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
