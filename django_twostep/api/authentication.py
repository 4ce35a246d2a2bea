"""``Authorization: Bearer <access token>`` for DRF, at one query per request."""

from __future__ import annotations

from typing import Any

from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from ..flows import tokens
from ..models import ApiToken
from .exceptions import WWW_AUTHENTICATE


class BearerTokenAuthentication(BaseAuthentication):
    """Authenticates a request by an access token from ``POST auth/login``.

    ``request.user`` is the token's user and ``request.auth`` its
    :class:`~django_twostep.models.ApiToken`. A request without an
    ``Authorization: Bearer`` header is left anonymous (other authentication
    classes may still claim it); a bad, expired, rotated or revoked token is a
    401 with ``WWW-Authenticate: Bearer`` (never coerced into a 403, since
    :meth:`authenticate_header` always answers). The user is loaded with the
    token: one query in all.

    As with django-otp's middleware, ``user.is_verified()`` tells whether a
    second factor was ever proven with this token.
    """

    keyword = "bearer"

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        parts = header.split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed()
        token = tokens.authenticate_access_token(parts[1])
        if token is None:
            raise AuthenticationFailed()
        user = token.user
        verified = token.verified_at is not None
        user.otp_device = None
        user.is_verified = lambda: verified
        return user, token

    def authenticate_header(self, request: Request) -> str:
        return WWW_AUTHENTICATE
