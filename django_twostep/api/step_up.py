"""Step-up through the API: ``POST mfa/trigger`` delivers a code to enter in
``X-MFA-Code`` (the check itself is :class:`~.permissions.StepUpRequired`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from .. import flows
from ..errors import FlowError
from ..flows import tokens
from ..methods import all_methods, sending_methods
from ..models import ApiToken
from . import schema
from .serializers import StepUpVerifySerializer
from .views import TwoStepAPIView


def ceremony_methods() -> list[Any]:
    return [method for method in all_methods() if method.kind == "ceremony"]


class MFATriggerView(TwoStepAPIView):
    """``POST mfa/trigger``: send a step-up code (Spryker's multi-factor-auth-trigger).

    ``type`` names a method of ``TWOSTEP_METHODS`` that delivers codes (by
    default ``email``: 204, the code is sent), or a ceremony (``webauthn``: 200
    and its options, for ``POST mfa/verify``); a user who has not set it up is
    told ``method_not_available``. Sending is rate limited per user (429 with
    ``Retry-After``), counting every code delivered to them.
    """

    @schema.trigger
    def post(self, request: Request) -> Response:
        body = self.body()
        if not isinstance(body, Mapping):
            raise ValidationError([_("Expected a JSON object.")])
        kind, field = self._requested_type(body)
        try:
            if kind in {method.name for method in ceremony_methods()}:
                options = flows.begin_step_up_ceremony(request.user, kind, self.site())
                return Response(options)
            flows.send_step_up_code(request.user, method=kind, origin=self.origin())
        except FlowError as error:
            if error.code == "method_not_available":
                error.parameter = field
            raise
        return Response(status=204)

    def _requested_type(self, body: Mapping[str, Any]) -> tuple[str, str]:
        """The requested type (``type``, or its alias ``method``) and the field used."""
        kind = body.get("type")
        field = "type"
        if kind in (None, "") and body.get("method") not in (None, ""):
            kind, field = body["method"], "method"
        if kind in (None, ""):
            raise FlowError("mfa_type_missing", parameter="type")
        if not isinstance(kind, str):
            raise ValidationError({field: [_("Not a valid string.")]})
        if kind not in {method.name for method in (*sending_methods(), *ceremony_methods())}:
            if field == "method":
                raise ValidationError({"method": [_("Unknown method.")]})
            raise FlowError("mfa_type_not_found", parameter="type")
        return kind, field


class MFAVerifyView(TwoStepAPIView):
    """``POST mfa/verify``: step up without a header. ``{"type": "webauthn",
    "credential": ...}`` answers the options of ``mfa/trigger``; ``{"code"}`` takes a
    code of any of the user's methods. Right: 204, and the token is verified (a new
    grace period starts); wrong: ``invalid_credential`` / ``invalid_code``, counted
    for the back-off."""

    @schema.mfa_verify
    def post(self, request: Request) -> Response:
        data = self.validated(StepUpVerifySerializer)
        credential = data.get("credential")
        if credential:
            flows.verify_step_up(
                request.user,
                method=data.get("type") or None,
                response=credential,
                site=self.site(),
                origin=self.origin(),
            )
        else:
            code = data.get("code") or None
            if code is None:
                raise ValidationError({"code": [_("This field is required.")]})
            flows.verify_step_up(request.user, code=code, origin=self.origin())
        if isinstance(request.auth, ApiToken):
            tokens.mark_verified(request.auth)
        return Response(status=204)
