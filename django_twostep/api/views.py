"""The API views: thin glue between HTTP and :mod:`django_twostep.flows`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.contrib.auth import authenticate
from django.utils.cache import add_never_cache_headers
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView

from .. import clock, flows
from ..conf import twostep_settings
from ..debug import hide_secrets_from_error_reports, remember_secrets
from ..errors import FlowError
from ..flows import email as email_flows
from ..flows import tokens
from ..http import origin_from_request
from ..models import ApiToken
from . import schema
from .authentication import BearerTokenAuthentication
from .exceptions import JSONAPI_POINTER, error_object, error_response, exception_handler
from .parsers import FormParser, JSONAPIParser, JSONParser, MultiPartParser
from .permissions import IsAccountOwner, MethodChangeStepUp, header_code
from .renderers import JSONAPIRenderer, JSONRenderer
from .serializers import (
    CodeSerializer,
    LoginSerializer,
    OptionalCodeSerializer,
    RefreshSerializer,
    SendCodeSerializer,
    TwoFactorSerializer,
)

OTP_HEADER = "HTTP_X_OTP"
TRIGGER_TYPES = ("email",)
SENSITIVE_FIELDS = (
    "password",
    "new_password",
    "code",
    "auth_token",
    "refresh_token",
    "two_factor_id",
)


def _unwrap_jsonapi(data: Any) -> tuple[Any, bool]:
    """``{"data": {"attributes": {...}}}`` -> the attributes (JSON:API request documents)."""
    if isinstance(data, Mapping) and set(data) == {"data"}:
        resource = data["data"]
        if isinstance(resource, Mapping) and isinstance(resource.get("attributes"), Mapping):
            return resource["attributes"], True
    return data, False


@method_decorator(sensitive_post_parameters(*SENSITIVE_FIELDS), name="dispatch")
class TwoStepAPIView(APIView):
    """Base of django-twostep's API views; a site may build its own endpoints on it.

    Bearer-token authentication; JSON, JSON:API and form (urlencoded or
    multipart) bodies; JSON answers; every error in the envelope of
    :mod:`.exceptions` (through this view's exception handler only: the site's
    ``EXCEPTION_HANDLER`` stays as it is for its other views); and
    ``Cache-Control: no-store`` on every answer, since most carry a token, a
    secret or recovery codes.
    """

    authentication_classes = (BearerTokenAuthentication,)
    permission_classes = (IsAuthenticated,)
    parser_classes = (JSONParser, JSONAPIParser, FormParser, MultiPartParser)
    renderer_classes = (JSONRenderer, JSONAPIRenderer)
    # Where validation errors point; "/data/attributes" for JSON:API bodies.
    body_pointer_prefix = ""

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        hide_secrets_from_error_reports(request)  # X-OTP, X-MFA-Code
        return super().dispatch(request, *args, **kwargs)

    def get_exception_handler(self) -> Any:
        return exception_handler

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        add_never_cache_headers(response)
        response["Pragma"] = "no-cache"
        return response

    def body(self) -> Any:
        """The request body, unwrapped from a JSON:API document when it is one."""
        data, wrapped = _unwrap_jsonapi(self.request.data)
        if isinstance(data, Mapping):
            remember_secrets(self.request._request, data, SENSITIVE_FIELDS)
        if wrapped:
            self.body_pointer_prefix = JSONAPI_POINTER
        return data

    def validated(self, serializer_class: type[Serializer]) -> dict[str, Any]:
        """The body checked by ``serializer_class``, or a ``validation_error``."""
        serializer = serializer_class(data=self.body())
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def header_code(self) -> str | None:
        """A code sent in the ``X-OTP`` header (Acreto's way), if any."""
        return header_code(self.request, OTP_HEADER, "X-OTP")

    def origin(self) -> flows.Origin:
        return origin_from_request(self.request)

    def token_response(self, issued: tokens.IssuedTokens) -> Response:
        return Response(issued.payload(), status=status.HTTP_200_OK)


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
        user = authenticate(request._request, username=data["username"], password=data["password"])
        if user is None:
            raise FlowError("invalid_credentials")
        code = data.get("code") or data.get("auth_token") or header
        origin = self.origin()
        if code is None:
            pending = flows.begin_login(user, origin=origin)
            if pending is None:
                return self.token_response(tokens.issue_tokens(user))
            return self.challenge_response(pending)
        if not flows.has_two_factor(user):
            return self.token_response(tokens.issue_tokens(user))
        flows.verify_second_factor(user, code, origin=origin)
        return self.token_response(tokens.issue_tokens(user, verified_at=clock.now()))

    def challenge_response(self, pending: flows.PendingLogin) -> Response:
        """``two_factor_required``: an error envelope, or with a 2xx status (FusionAuth's
        242) the challenge's fields at the top level (and the same ``meta``)."""
        challenge_status = twostep_settings.API_CHALLENGE_STATUS
        meta = {
            "two_factor_id": pending.id,
            "methods": pending.methods,
            "expires_in": pending.expires_in,
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
        code = data.get("code") or self.header_code()
        if code is None:
            raise ValidationError({"code": [_("This field is required.")]})
        method = data.get("method")
        if method == "email":
            # Refused before any code is compared (and the id's own answer first).
            challenge = flows.pending_login(data["two_factor_id"])
            if method not in flows.active_methods(challenge.user):
                raise FlowError("method_not_available", parameter="method")
        result = flows.verify_login_code(
            data["two_factor_id"], code, method=method, origin=self.origin()
        )
        return self.token_response(tokens.issue_tokens(result.user, verified_at=clock.now()))


class TwoFactorSendView(TwoStepAPIView):
    """``POST auth/two-factor/send``: e-mail a code for a pending login (Etna's second channel)."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    @schema.two_factor_send
    def post(self, request: Request) -> Response:
        data = self.validated(SendCodeSerializer)
        if data.get("method") not in (None, "email"):
            flows.pending_login(data["two_factor_id"])  # a dead id answers that first
            raise FlowError("method_not_available", parameter="method")
        email_flows.send_login_code(data["two_factor_id"], origin=self.origin())
        return Response(status=status.HTTP_204_NO_CONTENT)


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
        return Response(status=status.HTTP_204_NO_CONTENT)


class AccountView(TwoStepAPIView):
    """Base of the ``users/{username}/...`` views: only one's own account.

    The HTTP methods in ``changing_methods`` change the user's second factors:
    they need step-up (:class:`~.permissions.MethodChangeStepUp`) once the
    user has a method, and their flows get the token's ``verified_at``.
    """

    permission_classes = (IsAuthenticated, IsAccountOwner)
    changing_methods: frozenset[str] = frozenset()

    def get_permissions(self) -> list[Any]:
        permissions = super().get_permissions()
        if self.request.method in self.changing_methods:
            permissions.append(MethodChangeStepUp())
        return permissions

    def verified_at(self) -> datetime | None:
        """When the token was last verified (a right ``X-MFA-Code`` sets it now)."""
        token = self.request.auth
        return token.verified_at if isinstance(token, ApiToken) else None

    def activated(self, activation: flows.Activation) -> None:
        """After a method was activated with this token: only the user's first method
        verifies it; new recovery codes wait for the token's next ``GET``."""
        token = self.request.auth
        if not isinstance(token, ApiToken):
            return
        if activation.verifies:
            tokens.mark_verified(token)
        if activation.recovery_codes:
            tokens.keep_unseen_recovery_codes(token, activation.recovery_codes)


class TOTPView(AccountView):
    """``users/{username}/otp``: state, set-up, activation and removal of TOTP (Acreto).

    ``DELETE`` takes a code in the body (or ``X-OTP``): of any active method, or
    a recovery code; that code is its step-up.
    """

    changing_methods = frozenset({"POST", "PATCH"})

    @schema.otp_get
    def get(self, request: Request, username: str) -> Response:
        state = flows.two_factor_state(request.user)
        return Response(
            {
                "enabled": state.enabled,
                "pending": state.pending,
                "methods": state.methods,
                "recovery_codes_remaining": state.recovery_codes_remaining,
            }
        )

    @schema.otp_post
    def post(self, request: Request, username: str) -> Response:
        enrollment = flows.begin_totp_setup(request.user, verified_at=self.verified_at())
        body = {
            "secret": enrollment.secret,
            "url": enrollment.uri,
            "barcode": enrollment.qr_png_base64(),
        }
        return Response(body, status=status.HTTP_201_CREATED)

    @schema.otp_patch
    def patch(self, request: Request, username: str) -> Response:
        data = self.validated(CodeSerializer)
        activation = flows.activate_totp(
            request.user, data["code"], verified_at=self.verified_at(), origin=self.origin()
        )
        self.activated(activation)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @schema.otp_delete
    def delete(self, request: Request, username: str) -> Response:
        data = self.validated(OptionalCodeSerializer)
        code = data.get("code") or self.header_code()
        if code is None:
            raise ValidationError({"code": [_("This field is required.")]})
        flows.disable_totp(request.user, code, origin=self.origin())
        return Response(status=status.HTTP_204_NO_CONTENT)


class RecoveryCodesView(AccountView):
    """``users/{username}/recovery-codes``: how many are left (and, once, the set an
    activation through this token made); a new set (step-up)."""

    changing_methods = frozenset({"POST"})

    @schema.recovery_get
    def get(self, request: Request, username: str) -> Response:
        body: dict[str, Any] = {"remaining": flows.recovery_codes_remaining(request.user)}
        if isinstance(request.auth, ApiToken):
            codes = tokens.take_unseen_recovery_codes(request.auth)
            if codes is not None:
                body["codes"] = codes
        return Response(body)

    @schema.recovery_post
    def post(self, request: Request, username: str) -> Response:
        codes = flows.regenerate_recovery_codes(
            request.user, verified_at=self.verified_at(), origin=self.origin()
        )
        return Response({"codes": codes}, status=status.HTTP_201_CREATED)


class EmailOTPView(AccountView):
    """``users/{username}/email-otp``: send a confirmation code, confirm it, remove the method.

    All three change the user's second factors: step-up once they have a method.
    """

    changing_methods = frozenset({"POST", "PATCH", "DELETE"})

    @schema.email_otp_post
    def post(self, request: Request, username: str) -> Response:
        email_flows.begin_email_setup(
            request.user, verified_at=self.verified_at(), origin=self.origin()
        )
        return Response(status=status.HTTP_202_ACCEPTED)

    @schema.email_otp_patch
    def patch(self, request: Request, username: str) -> Response:
        data = self.validated(CodeSerializer)
        activation = email_flows.confirm_email_setup(
            request.user, data["code"], verified_at=self.verified_at(), origin=self.origin()
        )
        self.activated(activation)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @schema.email_otp_delete
    def delete(self, request: Request, username: str) -> Response:
        email_flows.remove_email_method(
            request.user, verified_at=self.verified_at(), origin=self.origin()
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class MFATriggerView(TwoStepAPIView):
    """``POST mfa/trigger``: send a step-up code (Spryker's multi-factor-auth-trigger).

    Only e-mail codes can be sent; a user without a confirmed e-mail method is
    told ``method_not_available``. Sending is rate limited per user (429 with
    ``Retry-After``), counting every code e-mailed to them.
    """

    @schema.trigger
    def post(self, request: Request) -> Response:
        body = self.body()
        if not isinstance(body, Mapping):
            raise ValidationError([_("Expected a JSON object.")])
        field = self._requested_type(body)
        try:
            email_flows.send_step_up_code(request.user, origin=self.origin())
        except FlowError as error:
            if error.code == "method_not_available":
                error.parameter = field
            raise
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _requested_type(self, body: Mapping[str, Any]) -> str:
        """Check the requested type (``type``, or its alias ``method``); the field used."""
        kind = body.get("type")
        field = "type"
        if kind in (None, "") and body.get("method") not in (None, ""):
            kind, field = body["method"], "method"
        if kind in (None, ""):
            raise FlowError("mfa_type_missing", parameter="type")
        if not isinstance(kind, str):
            raise ValidationError({field: [_("Not a valid string.")]})
        if kind not in TRIGGER_TYPES:
            if field == "method":
                raise ValidationError({"method": [_("Unknown method.")]})
            raise FlowError("mfa_type_not_found", parameter="type")
        return field


class NotFoundView(TwoStepAPIView):
    """Any other path under the API's include: 404 in the envelope."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    schema = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        raise NotFound()
