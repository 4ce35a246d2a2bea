"""The e-mail method through the API: ``users/{username}/email-otp``."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response

from ...api import schema
from ...api.serializers import CodeSerializer
from ...api.views import AccountView
from . import flows


class EmailOTPView(AccountView):
    """``users/{username}/email-otp``: send a confirmation code, confirm it, remove the method.

    All three change the user's second factors: step-up once they have a method.
    """

    method_name = flows.METHOD
    changing_methods = frozenset({"POST", "PATCH", "DELETE"})

    @schema.email_otp_post
    def post(self, request: Request, username: str) -> Response:
        flows.begin_email_setup(request.user, verified_at=self.verified_at(), origin=self.origin())
        return Response(status=202)

    @schema.email_otp_patch
    def patch(self, request: Request, username: str) -> Response:
        data = self.validated(CodeSerializer)
        activation = flows.confirm_email_setup(
            request.user, data["code"], verified_at=self.verified_at(), origin=self.origin()
        )
        self.activated(activation)
        return Response(status=204)

    @schema.email_otp_delete
    def delete(self, request: Request, username: str) -> Response:
        flows.remove_email_method(
            request.user, verified_at=self.verified_at(), origin=self.origin()
        )
        return Response(status=204)
