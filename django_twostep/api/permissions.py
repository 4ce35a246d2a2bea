"""Permissions of the API: acting on one's own account, and step-up."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from ..debug import hide_secrets_from_error_reports
from ..errors import FlowError
from ..flows import tokens
from ..flows.codes import MAX_CODE_LENGTH
from ..http import origin_from_request
from ..models import ApiToken

MFA_CODE_HEADER = "HTTP_X_MFA_CODE"
SELF = "me"


def header_code(request: Request, meta_key: str, header: str) -> str | None:
    """A code sent in a request header (``X-OTP``, ``X-MFA-Code``), or None.

    One longer than any code is ``validation_error`` before anything is
    checked, as the same code in a body would be: it counts for nothing.
    """
    value = request.META.get(meta_key, "").strip()
    if len(value) > MAX_CODE_LENGTH:
        raise FlowError(
            "validation_error",
            parameter=header,
            detail=_("Ensure this header has no more than %(max)d characters.")
            % {"max": MAX_CODE_LENGTH},
        )
    return value or None


class IsAccountOwner(BasePermission):
    """The ``{username}`` of the URL is ``me`` or the caller's own username.

    Anything else is 403 ``permission_denied``, and no user is looked up, so
    the answer is the same whether that user exists or not.
    """

    url_kwarg = "username"

    def has_permission(self, request: Request, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        username = view.kwargs.get(self.url_kwarg)
        if username is None or username == SELF or username == request.user.get_username():
            return True
        raise PermissionDenied()


class StepUpRequired(BasePermission):
    """A fresh second factor for a sensitive endpoint (Spryker-style ``X-MFA-Code``).

    Needs a bearer token (:class:`~.authentication.BearerTokenAuthentication`).
    Unless the token was verified within ``TWOSTEP_STEP_UP_GRACE``, the request
    must carry a current code (TOTP or recovery) in ``X-MFA-Code``: missing is
    403 ``mfa_code_missing``, wrong is 403 ``mfa_code_invalid``, and the check
    counts for the user's back-off (429 ``too_many_attempts``). A code that is
    sent is always checked, in the grace period too; a right one restarts the
    grace for the token. A user without a method passes, unless
    ``TWOSTEP_REQUIRED`` covers them: 403 ``not_enrolled``.

    Put it after ``IsAuthenticated`` (and after any permission that decides
    who may act), so no code is spent on a request refused anyway.
    """

    # The endpoint changes the user's second factors: a user without a method
    # passes even when TWOSTEP_REQUIRED covers them (their first is how they enrol).
    change = False

    def has_permission(self, request: Request, view: Any) -> bool:
        hide_secrets_from_error_reports(request._request)  # a site's own view: X-MFA-Code
        token = request.auth
        if not isinstance(token, ApiToken):
            return False
        code = header_code(request, MFA_CODE_HEADER, "X-MFA-Code")
        tokens.require_step_up(token, code, change=self.change, origin=origin_from_request(request))
        return True


class MethodChangeStepUp(StepUpRequired):
    """Step-up for requests that add, re-key or remove a method or regenerate
    recovery codes (see :func:`django_twostep.flows.policy.authorize_method_change`,
    which the flows behind them ask too)."""

    change = True
