"""Logging in through the API: the password, the second factor, tokens, logout.

Every decision is a flow's (:func:`~django_twostep.flows.password_accepted`,
:func:`~django_twostep.flows.login_in_one_request`,
:func:`~django_twostep.flows.verify_login_code`); these views read the request
and shape the answer.
"""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from .. import flows
from ..conf import twostep_settings
from ..flows import tokens
from ..methods import get_method
from ..models import ApiToken
from . import schema
from .exceptions import error_object, error_response
from .serializers import LoginSerializer, RefreshSerializer, SendCodeSerializer, TwoFactorSerializer
from .views import TwoStepAPIView


class LoginView(TwoStepAPIView):
    """``POST auth/login``: password, and the second factor in the same request or the next.

    With a code (``code``, ``auth_token`` or ``X-OTP``) the login completes in
    one request; without one, a user with an active method gets the
    ``two_factor_required`` answer (status ``TWOSTEP_API_CHALLENGE_STATUS``)
    with ``meta.two_factor_id`` for ``POST auth/two-factor``.
    """

    authentication_classes = ()
    permission_classes = (AllowAny,)

    @schema.login
    def post(self, request: Request) -> Response:
        data = self.validated(LoginSerializer)
        header = self.header_code()  # an oversized one is refused before the hasher runs
        # Unknown, inactive and wrong-password users look alike: Django's
        # ModelBackend runs the hasher for an unknown username too.
        user = flows.check_login_allowed(
            authenticate(request._request, username=data["username"], password=data["password"])
        )
        code = data.get("code") or data.get("auth_token") or header
        if code is None:
            step = flows.password_accepted(user, origin=self.origin())
        else:
            step = flows.login_in_one_request(user, code, origin=self.origin())
        if step.pending is not None:
            return self.challenge_response(step.pending)
        return self.login_response(user, fresh=step.fresh)

    def challenge_response(self, pending: flows.PendingLogin) -> Response:
        """``two_factor_required``: an error envelope, or with a 2xx status (FusionAuth's
        242) the challenge's fields at the top level (and the same ``meta``)."""
        challenge_status = twostep_settings.API_CHALLENGE_STATUS
        meta = {
            "two_factor_id": pending.id,
            "methods": pending.methods,
            "expires_in": pending.expires_in,
            # A ceremony's options (a security key's "webauthn": {"publicKey": ...}).
            **flows.ceremony_offers(pending, self.site()),
        }
        if 200 <= challenge_status < 300:
            return Response({**meta, "meta": meta}, status=challenge_status)
        error = error_object("two_factor_required", status=challenge_status)
        return error_response([error], challenge_status, meta=meta)


class TwoFactorLoginView(TwoStepAPIView):
    """``POST auth/two-factor``: complete a pending login with its code (no password hashing)."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    @schema.two_factor
    def post(self, request: Request) -> Response:
        data = self.validated(TwoFactorSerializer)
        credential = data.get("credential")
        if credential and not data.get("method"):
            # A ceremony's answer says which method it is for; a code is the default.
            raise ValidationError({"method": [_("This field is required.")]})
        code = None if credential else self.require_code(data.get("code") or self.header_code())
        result = flows.verify_login_code(
            data["two_factor_id"],
            code,
            method=data.get("method"),
            response=credential or None,
            site=self.site(),
            origin=self.origin(),
        )
        return self.login_response(result.user, fresh=True)


class TwoFactorSendView(TwoStepAPIView):
    """``POST auth/two-factor/send``: deliver a code for a pending login (Etna's second
    channel): by e-mail, or the ``method`` named, if it is one that sends codes; for a
    ceremony (``webauthn``) 200 and new options bound to the login."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    @schema.two_factor_send
    def post(self, request: Request) -> Response:
        data = self.validated(SendCodeSerializer)
        method = get_method(data.get("method") or "")
        if method is not None and method.kind == "ceremony":
            # A security key: new options for this login (200), as mfa/trigger gives.
            options = flows.begin_login_ceremony(data["two_factor_id"], method.name, self.site())
            return Response(options)
        flows.send_login_code(
            data["two_factor_id"], method=data.get("method"), origin=self.origin()
        )
        return Response(status=204)


class RefreshView(TwoStepAPIView):
    """``POST auth/token/refresh``: spend a refresh token for a new pair."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    @schema.refresh
    def post(self, request: Request) -> Response:
        data = self.validated(RefreshSerializer)
        refreshed = tokens.refresh_tokens(data["refresh_token"], origin=self.origin())
        return self.token_response(refreshed)


class LogoutView(TwoStepAPIView):
    """``POST auth/logout``: revoke the presented token (and its refresh token)."""

    @schema.logout
    def post(self, request: Request) -> Response:
        if isinstance(request.auth, ApiToken):
            tokens.revoke_token(request.auth)
        return Response(status=204)
