"""The base classes of the API's views: thin glue between HTTP and
:mod:`django_twostep.flows`.

:class:`TwoStepAPIView` is public (a site builds its own endpoints on it); the
endpoints are in ``django_twostep.api.login`` (logging in, tokens),
``django_twostep.api.step_up`` (``mfa/...``), ``django_twostep.api.account`` (a
user's methods) and in each method's package
(``django_twostep.methods.totp.api``, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils.cache import add_never_cache_headers
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView

from .. import flows
from ..debug import hide_secrets_from_error_reports, remember_secrets
from ..flows import tokens
from ..http import origin_from_request, site_from_request
from ..methods import get_method
from ..methods.base import Site
from ..models import ApiToken
from .authentication import BearerTokenAuthentication
from .exceptions import JSONAPI_POINTER, exception_handler
from .parsers import FormParser, JSONAPIParser, JSONParser, MultiPartParser
from .permissions import IsAccountOwner, MethodChangeStepUp, header_code
from .renderers import JSONAPIRenderer, JSONRenderer

OTP_HEADER = "HTTP_X_OTP"
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

    def site(self) -> Site:
        """Where the request came in (a security key's relying party)."""
        return site_from_request(self.request)

    def token_response(self, issued: tokens.IssuedTokens) -> Response:
        return Response(issued.payload(), status=200)

    def login_response(self, user: AbstractBaseUser, *, fresh: bool) -> Response:
        """The token payload of a login completed by this request, announced as
        Django's ``user_logged_in`` (:func:`~django_twostep.flows.tokens.complete_api_login`).

        ``fresh``: the login proved a second factor just now (the token is verified).
        """
        issued = tokens.complete_api_login(user, fresh=fresh, request=self.request._request)
        return self.token_response(issued)

    def require_code(self, code: str | None) -> str:
        """``code`` (from the body or a header), or the ``validation_error`` of a missing one."""
        if code is None:
            raise ValidationError({"code": [_("This field is required.")]})
        return code


class AccountView(TwoStepAPIView):
    """Base of the ``users/{username}/...`` views: only one's own account.

    The HTTP methods in ``changing_methods`` change the user's second factors:
    they need step-up (:class:`~.permissions.MethodChangeStepUp`) once the
    user has a method, and their flows get the token's ``verified_at``.
    """

    permission_classes = (IsAuthenticated, IsAccountOwner)
    changing_methods: frozenset[str] = frozenset()
    # A method's own endpoints name it: 404 when it is not in TWOSTEP_METHODS.
    method_name: str | None = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        if self.method_name is not None and get_method(self.method_name) is None:
            raise NotFound()
        super().initial(request, *args, **kwargs)

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
        """After a method was activated with this token (see
        :func:`~django_twostep.flows.tokens.token_activated`)."""
        token = self.request.auth
        if isinstance(token, ApiToken):
            tokens.token_activated(token, activation)


class NotFoundView(TwoStepAPIView):
    """Any other path under the API's include: 404 in the envelope."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    schema = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        raise NotFound()
