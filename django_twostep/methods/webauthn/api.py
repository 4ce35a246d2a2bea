"""Security keys and passkeys through the API (SPEC section 7): registering,
listing, renaming and removing credentials, and logging in with a passkey."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from ...api import schema
from ...api.serializers import PasskeyCompleteSerializer, RegistrationSerializer, RenameSerializer
from ...api.views import AccountView, TwoStepAPIView
from ...http import site_from_request
from ...models import WebAuthnCredential
from . import flows


def credential_body(credential: WebAuthnCredential) -> dict[str, Any]:
    return {
        "id": str(credential.pk),
        "name": credential.name,
        "created_at": credential.created_at,
        "last_used_at": credential.last_used_at,
        "discoverable": credential.discoverable,
    }


class WebAuthnMixin:
    request: Request

    def relying_party(self) -> flows.RelyingParty:
        return flows.relying_party(site_from_request(self.request))


class RegisterView(WebAuthnMixin, AccountView):
    """``users/{username}/webauthn/register``: ``POST`` the creation options, ``PATCH``
    the browser's answer (a new credential). Both change the user's second
    factors: step-up once they have a method."""

    changing_methods = frozenset({"POST", "PATCH"})
    method_name = flows.METHOD

    @schema.webauthn_register_post
    def post(self, request: Request, username: str) -> Response:
        options = flows.begin_registration(
            request.user, self.relying_party(), verified_at=self.verified_at()
        )
        return Response({"publicKey": options})

    @schema.webauthn_register_patch
    def patch(self, request: Request, username: str) -> Response:
        data = self.validated(RegistrationSerializer)
        credential, activation = flows.complete_registration(
            request.user,
            self.relying_party(),
            data["credential"],
            name=data.get("name", ""),
            verified_at=self.verified_at(),
            origin=self.origin(),
        )
        self.activated(activation)
        return Response(credential_body(credential), status=201)


class CredentialsView(AccountView):
    """``GET users/{username}/webauthn``: the user's credentials."""

    method_name = flows.METHOD

    @schema.webauthn_list
    def get(self, request: Request, username: str) -> Response:
        credentials = flows.credentials_of(request.user)
        return Response({"credentials": [credential_body(c) for c in credentials]})


class CredentialView(AccountView):
    """``users/{username}/webauthn/{id}``: rename (``PATCH``), remove (``DELETE``,
    step-up)."""

    changing_methods = frozenset({"DELETE"})
    method_name = flows.METHOD

    @schema.webauthn_rename
    def patch(self, request: Request, username: str, credential_id: str) -> Response:
        data = self.validated(RenameSerializer)
        credential = flows.rename_credential(request.user, credential_id, data["name"])
        return Response(credential_body(credential))

    @schema.webauthn_delete
    def delete(self, request: Request, username: str, credential_id: str) -> Response:
        flows.remove_credential(
            request.user, credential_id, verified_at=self.verified_at(), origin=self.origin()
        )
        return Response(status=204)


class PasskeyView(WebAuthnMixin, TwoStepAPIView):
    """``POST auth/passkey``: options for a login with a passkey alone."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    @schema.passkey_begin
    def post(self, request: Request) -> Response:
        if not isinstance(self.body(), Mapping):  # {} (or a JSON:API document)
            raise ValidationError([gettext("Expected a JSON object.")])
        options, passkey_id = flows.begin_passkey_login(self.relying_party())
        return Response({"publicKey": options, "passkey_id": passkey_id})


class PasskeyCompleteView(WebAuthnMixin, TwoStepAPIView):
    """``POST auth/passkey/complete``: the passkey's answer; a verified token pair."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    @schema.passkey_complete
    def post(self, request: Request) -> Response:
        data = self.validated(PasskeyCompleteSerializer)
        result = flows.complete_passkey_login(
            data["passkey_id"], data["credential"], self.relying_party(), origin=self.origin()
        )
        return self.login_response(result.user, fresh=True)
