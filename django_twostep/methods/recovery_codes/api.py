"""Recovery codes through the API: ``users/{username}/recovery-codes``."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from ...api import schema
from ...api.views import AccountView
from ...flows import tokens
from ...models import ApiToken
from . import flows


class RecoveryCodesView(AccountView):
    """``users/{username}/recovery-codes``: how many are left (and, once, the set an
    activation through this token made); a new set (step-up)."""

    method_name = flows.METHOD
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
        return Response({"codes": codes}, status=201)
