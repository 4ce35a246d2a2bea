"""The authenticator app through the API: ``users/{username}/otp`` (Acreto's shape)."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response

from ... import flows as shared_flows
from ...api import schema
from ...api.serializers import CodeSerializer, OptionalCodeSerializer
from ...api.views import AccountView
from . import flows


class TOTPView(AccountView):
    """``users/{username}/otp``: state, set-up, activation and removal of TOTP (Acreto).

    ``DELETE`` takes a code in the body (or ``X-OTP``): of any active method, or
    a recovery code; that code is its step-up.
    """

    method_name = flows.METHOD
    changing_methods = frozenset({"POST", "PATCH"})

    @schema.otp_get
    def get(self, request: Request, username: str) -> Response:
        state = shared_flows.two_factor_state(request.user)
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
        return Response(body, status=201)

    @schema.otp_patch
    def patch(self, request: Request, username: str) -> Response:
        data = self.validated(CodeSerializer)
        activation = flows.activate_totp(
            request.user, data["code"], verified_at=self.verified_at(), origin=self.origin()
        )
        self.activated(activation)
        return Response(status=204)

    @schema.otp_delete
    def delete(self, request: Request, username: str) -> Response:
        data = self.validated(OptionalCodeSerializer)
        code = self.require_code(data.get("code") or self.header_code())
        flows.disable_totp(request.user, code, origin=self.origin())
        return Response(status=204)
