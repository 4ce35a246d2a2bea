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
from ..methods import sending_methods
from . import schema
from .views import TwoStepAPIView


class MFATriggerView(TwoStepAPIView):
    """``POST mfa/trigger``: send a step-up code (Spryker's multi-factor-auth-trigger).

    ``type`` names a method of ``TWOSTEP_METHODS`` that delivers codes (by
    default only ``email``); a user who has not set it up is told
    ``method_not_available``. Sending is rate limited per user (429 with
    ``Retry-After``), counting every code delivered to them.
    """

    @schema.trigger
    def post(self, request: Request) -> Response:
        body = self.body()
        if not isinstance(body, Mapping):
            raise ValidationError([_("Expected a JSON object.")])
        kind, field = self._requested_type(body)
        try:
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
        if kind not in {method.name for method in sending_methods()}:
            if field == "method":
                raise ValidationError({"method": [_("Unknown method.")]})
            raise FlowError("mfa_type_not_found", parameter="type")
        return kind, field
