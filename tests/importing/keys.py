"""Security keys in the import tests: the software authenticator's credentials as the
peers store them, a request the peers' own WebAuthn code can run on, and logging in
with an imported key through django-twostep's API (the test client is
``http://testserver``, RP id ``testserver``, as the software authenticator says).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from fido2 import cbor
from fido2.cose import ES256
from rest_framework.test import APIClient

from django_twostep.testing import TEST_PASSWORD
from tests.webauthn_authenticator import Credential, SoftwareAuthenticator, b64

API = "/api/v1"


def cose_public_key(credential: Credential) -> bytes:
    """The credential's public key as a COSE key (CBOR bytes), as an authenticator hands it out."""
    return cbor.encode(dict(ES256.from_cryptography_key(credential.key.public_key())))


def peer_request(user: AbstractBaseUser | None = None) -> HttpRequest:
    """A request to ``http://testserver/`` with a session, as the peers' views get one."""
    request = RequestFactory().get("/")
    SessionMiddleware(lambda _request: HttpResponse()).process_request(request)
    if user is not None:
        request.user = user
    return request


def login_with_key(
    user: AbstractBaseUser,
    key: SoftwareAuthenticator,
    credential: Credential | None = None,
) -> Any:
    """Password, then the key, through the API: the answer of ``auth/two-factor``."""
    client = APIClient()
    login = client.post(
        f"{API}/auth/login",
        {"username": user.get_username(), "password": TEST_PASSWORD},
        format="json",
    )
    assert login.status_code == 401, login.content
    meta = login.json()["meta"]
    assert "webauthn" in meta["methods"], meta
    allowed = meta["webauthn"]["publicKey"].get("allowCredentials") or []
    if credential is not None:
        assert b64(credential.id) in [descriptor["id"] for descriptor in allowed]
    answer = key.assert_(meta["webauthn"], credential=credential)
    body = {"two_factor_id": meta["two_factor_id"], "method": "webauthn", "credential": answer}
    return client.post(f"{API}/auth/two-factor", body, format="json")


def login_with_passkey(key: SoftwareAuthenticator, credential: Credential | None = None) -> Any:
    """A passkey alone (no username, no password), through the API: the answer of
    ``auth/passkey/complete``."""
    client = APIClient()
    begun = client.post(f"{API}/auth/passkey", {}, format="json")
    assert begun.status_code == 200, begun.content
    options = begun.json()
    answer = key.assert_(options["publicKey"], credential=credential)
    return client.post(
        f"{API}/auth/passkey/complete",
        {"passkey_id": options["passkey_id"], "credential": answer},
        format="json",
    )
