"""The hot-path figures' views (figure (h)): one tiny API view per bearer
authentication, a plain page, and a page that asks ``request.user.is_verified()``.

Every bearer view is the same DRF ``APIView`` answering ``{"username": ...}``;
only ``authentication_classes`` differs (``permission_classes`` is
``IsAuthenticated`` for all), so the figures compare the authentication
classes and nothing else:

- ``drf``: DRF's ``rest_framework.authentication.TokenAuthentication`` (the floor);
- ``simplejwt``: djangorestframework-simplejwt's ``JWTAuthentication``;
- ``knox``: django-rest-knox's ``TokenAuthentication``;
- ``twostep``: django-twostep's ``BearerTokenAuthentication``.

:func:`bearer_credentials` issues each one's token for a user, the way each
package's own login would, and a well-formed token of each kind that no one
was issued (the self-check's garbage token, which must get a 401).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.utils import timezone
from rest_framework.authentication import BaseAuthentication, TokenAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


def plain(request: HttpRequest) -> HttpResponse:
    """The anonymous figure's page: no user, no database."""
    return HttpResponse("ok", content_type="text/plain")


@login_required
def verified_whoami(request: HttpRequest) -> HttpResponse:
    """The protected page of a site that wants two-step verified sessions: the
    username, for a verified session only (403 otherwise)."""
    if not request.user.is_verified():
        return HttpResponseForbidden("not verified", content_type="text/plain")
    return HttpResponse(request.user.get_username(), content_type="text/plain")


def authentication_classes() -> dict[str, type[BaseAuthentication]]:
    """Each bearer variant's DRF authentication class (the ones installed)."""
    from django_twostep.api.authentication import BearerTokenAuthentication

    found: dict[str, type[BaseAuthentication]] = {"drf": TokenAuthentication}
    try:
        from rest_framework_simplejwt.authentication import JWTAuthentication

        found["simplejwt"] = JWTAuthentication
    except ImportError:
        pass
    try:
        from knox.auth import TokenAuthentication as KnoxTokenAuthentication

        found["knox"] = KnoxTokenAuthentication
    except ImportError:
        pass
    found["twostep"] = BearerTokenAuthentication
    return found


def whoami_view(authentication: type[BaseAuthentication]) -> type[APIView]:
    """The same tiny API view, authenticated by ``authentication`` only."""

    class WhoAmI(APIView):
        authentication_classes = [authentication]
        permission_classes = [IsAuthenticated]

        def get(self, request: Request) -> Response:
            return Response({"username": request.user.get_username()})

    WhoAmI.__name__ = WhoAmI.__qualname__ = f"WhoAmI_{authentication.__name__}"
    return WhoAmI


@dataclass(frozen=True)
class Credentials:
    """One variant's ``Authorization`` header for a user, and a garbage one."""

    header: str
    garbage: str


def bearer_credentials(user: AbstractBaseUser, name: str) -> Credentials:
    """Issue variant ``name``'s token for ``user`` as that package's login does."""
    if name == "drf":
        from rest_framework.authtoken.models import Token

        token, _ = Token.objects.get_or_create(user=user)
        return Credentials(f"Token {token.key}", f"Token {secrets.token_hex(20)}")
    if name == "simplejwt":
        from rest_framework_simplejwt.tokens import AccessToken

        garbage = (
            f"{secrets.token_urlsafe(24)}.{secrets.token_urlsafe(60)}.{secrets.token_urlsafe(32)}"
        )
        return Credentials(f"Bearer {AccessToken.for_user(user)}", f"Bearer {garbage}")
    if name == "knox":
        from knox.models import AuthToken

        _, raw = AuthToken.objects.create(user)
        return Credentials(f"Token {raw}", f"Token {secrets.token_hex(32)}")
    if name == "twostep":
        from django_twostep.flows import tokens

        issued = tokens.issue_tokens(user, verified_at=timezone.now())
        return Credentials(f"Bearer {issued.access_token}", f"Bearer {secrets.token_urlsafe(32)}")
    raise LookupError(f"no bearer variant {name!r}")
