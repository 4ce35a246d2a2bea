"""The error envelope of the API, and the exception handler of its views.

Every error leaves as::

    {"errors": [{"status": "400", "code": "invalid_code", "title": "Invalid code",
                 "detail": "The code is not valid.", "source": {"parameter": "code"}}]}

with codes from :data:`django_twostep.errors.CATALOGUE`. The handler is
installed by :class:`~django_twostep.api.views.TwoStepAPIView` through DRF's
``get_exception_handler`` hook, so a site's other DRF views keep their own
``EXCEPTION_HANDLER``.

Unlike DRF's default handler, a :class:`~django_twostep.errors.FlowError` does
not mark the request's transaction for rollback: flows commit what must
outlive a refusal (a wrong code's place in the back-off, a burned challenge, a
revoked token family) even under ``ATOMIC_REQUESTS``, and roll back anything
else themselves.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import SuspiciousOperation
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import set_rollback

from ..errors import CATALOGUE, FlowError, busy, database_busy

# DRF's exceptions and the catalogue code each becomes.
_DRF_CODES: tuple[tuple[type[exceptions.APIException], str], ...] = (
    (exceptions.ValidationError, "validation_error"),
    (exceptions.ParseError, "parse_error"),
    (exceptions.AuthenticationFailed, "not_authenticated"),
    (exceptions.NotAuthenticated, "not_authenticated"),
    (exceptions.PermissionDenied, "permission_denied"),
    (exceptions.NotFound, "not_found"),
    (exceptions.MethodNotAllowed, "method_not_allowed"),
    (exceptions.NotAcceptable, "not_acceptable"),
    (exceptions.UnsupportedMediaType, "unsupported_media_type"),
    (exceptions.Throttled, "too_many_attempts"),
)

# Where request bodies wrapped as JSON:API documents keep their fields.
JSONAPI_POINTER = "/data/attributes"
WWW_AUTHENTICATE = 'Bearer realm="api"'


def error_object(
    code: str,
    *,
    status: int | None = None,
    detail: Any = None,
    source: dict[str, str] | None = None,
    meta: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """One member of ``errors``: status as a string, the catalogue's title and detail."""
    spec = CATALOGUE[code]
    error: dict[str, Any] = {
        "status": str(status or spec.status),
        "code": code,
        "title": str(spec.title),
        "detail": str(detail if detail is not None else spec.detail),
    }
    if source:
        error["source"] = source
    if meta:
        error["meta"] = dict(meta)
    return error


def _source(parameter: str | None) -> dict[str, str] | None:
    if not parameter:
        return None
    if parameter.lower().startswith("x-"):
        return {"header": parameter}
    return {"parameter": parameter}


def error_response(
    errors: list[dict[str, Any]],
    status: int,
    *,
    meta: Mapping[str, Any] | None = None,
    retry_after: int | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The envelope as a DRF response, with ``WWW-Authenticate`` on 401 and ``Retry-After``."""
    body: dict[str, Any] = {"errors": errors}
    if meta:
        body["meta"] = dict(meta)
    all_headers = dict(headers or {})
    if status == 401:
        all_headers.setdefault("WWW-Authenticate", WWW_AUTHENTICATE)
    if retry_after is not None:
        all_headers["Retry-After"] = str(max(0, int(retry_after)))
    return Response(body, status=status, headers=all_headers)


def flow_error_response(error: FlowError, *, meta: Mapping[str, Any] | None = None) -> Response:
    """The envelope for a refusal from the flows."""
    obj = error_object(
        error.code,
        status=error.status,
        detail=error.detail,
        source=_source(error.parameter),
        meta=error.meta,
    )
    return error_response([obj], error.status, meta=meta, retry_after=error.retry_after)


def _flatten(detail: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    if isinstance(detail, Mapping):
        for key, value in detail.items():
            yield from _flatten(value, path if key == "non_field_errors" else (*path, str(key)))
    elif isinstance(detail, list):
        for item in detail:
            if isinstance(item, Mapping | list):
                yield from _flatten(item, path)
            else:
                yield path, item
    else:
        yield path, detail


def _pointer(path: tuple[str, ...], prefix: str) -> str:
    escaped = (p.replace("~", "~0").replace("/", "~1") for p in path)
    return prefix + "".join(f"/{p}" for p in escaped)


def validation_errors(exc: exceptions.ValidationError, *, prefix: str = "") -> list[dict[str, Any]]:
    """One ``validation_error`` per message, ``source.pointer`` naming the field."""
    return [
        error_object("validation_error", detail=message, source={"pointer": _pointer(path, prefix)})
        for path, message in _flatten(exc.detail)
    ] or [error_object("validation_error")]


def _catalogue_code(exc: exceptions.APIException) -> str | None:
    for cls, code in _DRF_CODES:
        if isinstance(exc, cls):
            return code
    return None


def exception_handler(exc: Exception, context: Mapping[str, Any]) -> Response | None:
    """DRF exception handler of django-twostep's views (see the module docstring)."""
    if isinstance(exc, FlowError):
        return flow_error_response(exc)
    if database_busy(exc):  # what the flows did not catch: still a 503, never a 500
        set_rollback()
        return flow_error_response(busy())
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, SuspiciousOperation):
        # Too many form fields, a body over DATA_UPLOAD_MAX_MEMORY_SIZE, ...
        exc = exceptions.ParseError()
    if not isinstance(exc, exceptions.APIException):
        return None  # a server error: Django's handling, as for any view
    set_rollback()
    view = context.get("view")
    status = exc.status_code
    headers: dict[str, str] = {}
    auth_header = getattr(exc, "auth_header", None)
    if auth_header:
        headers["WWW-Authenticate"] = auth_header
    retry_after = None
    wait = getattr(exc, "wait", None)
    if wait is not None:
        retry_after = math.ceil(wait)
    code = _catalogue_code(exc)
    if isinstance(exc, exceptions.ValidationError):
        prefix = getattr(view, "body_pointer_prefix", "")
        errors = validation_errors(exc, prefix=prefix)
    elif code is not None:
        errors = [error_object(code, status=status)]
    else:
        # Another APIException (a site's subclass): keep its status and code.
        errors = [
            {
                "status": str(status),
                "code": str(exc.default_code),
                "title": str(exc.default_detail),
                "detail": str(exc.detail) if not isinstance(exc.detail, list | dict) else "",
            }
        ]
    return error_response(errors, status, retry_after=retry_after, headers=headers)
