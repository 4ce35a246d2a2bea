"""Helpers of the WebAuthn API tests: paths, clients holding tokens, a key user,
a login up to its second step, and a check that a refusal left nothing behind.

The fixtures here are imported by the test modules that use them.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from rest_framework.test import APIClient

from django_twostep import clock, crypto
from django_twostep.flows import tokens
from django_twostep.models import (
    ApiToken,
    Challenge,
    SecurityEvent,
    UserThrottle,
    WebAuthnCredential,
)
from django_twostep.testing import TEST_PASSWORD
from tests.webauthn_authenticator import SoftwareAuthenticator

API = "/api/v1"
LOGIN = f"{API}/auth/login"
TWO_FACTOR = f"{API}/auth/two-factor"
PASSKEY = f"{API}/auth/passkey"
PASSKEY_COMPLETE = f"{API}/auth/passkey/complete"
TRIGGER = f"{API}/mfa/trigger"
VERIFY = f"{API}/mfa/verify"
RECOVERY = f"{API}/users/me/recovery-codes"
OTP = f"{API}/users/me/otp"
# Past TWOSTEP_STEP_UP_GRACE (1800 s): a token verified this long ago is stale.
STALE = 1801


def register_url(username: str = "me") -> str:
    return f"{API}/users/{username}/webauthn/register"


def list_url(username: str = "me") -> str:
    return f"{API}/users/{username}/webauthn"


def credential_url(pk: object, username: str = "me") -> str:
    return f"{API}/users/{username}/webauthn/{pk}"


def api_for(user, verified_at) -> tuple[APIClient, ApiToken]:
    """A client with a bearer token of ``user`` verified at ``verified_at``, and its row."""
    issued = tokens.issue_tokens(user, verified_at=verified_at)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.access_token}")
    return client, tokens.authenticate_access_token(issued.access_token)


def fresh_api(user) -> APIClient:
    """A client whose token was verified now."""
    return api_for(user, clock.now())[0]


def stale_api(user) -> tuple[APIClient, ApiToken]:
    """A client whose token was verified more than the step-up grace ago."""
    return api_for(user, clock.now() - timedelta(seconds=STALE))


def codes(response) -> list[str]:
    """The error codes of an envelope answer."""
    body = response.json()
    assert set(body) <= {"errors", "meta"}, body
    return [error["code"] for error in body["errors"]]


def refused(response, code: str = "invalid_credential", status: int = 400) -> None:
    assert response.status_code == status, response.content
    assert codes(response) == [code], response.json()


def add_key(api: APIClient, key: SoftwareAuthenticator, name: str = "Blue key", **kwargs):
    """Register a new credential of ``key`` through ``api``: the PATCH's response."""
    options = api.post(register_url(), {}, format="json")
    assert options.status_code == 200, options.content
    answer = key.register(options.json(), **kwargs)
    return api.patch(register_url(), {"name": name, "credential": answer}, format="json")


def begin_login(user, client: APIClient | None = None) -> tuple[APIClient, dict]:
    """The password step: the client and the ``two_factor_required`` meta."""
    client = client or APIClient()
    response = client.post(
        LOGIN, {"username": user.get_username(), "password": TEST_PASSWORD}, format="json"
    )
    assert response.status_code == 401, response.content
    assert codes(response) == ["two_factor_required"]
    return client, response.json()["meta"]


def two_factor(client: APIClient, meta: dict, answer: dict):
    body = {"two_factor_id": meta["two_factor_id"], "method": "webauthn", "credential": answer}
    return client.post(TWO_FACTOR, body, format="json")


def begin_passkey(client: APIClient | None = None) -> tuple[APIClient, dict]:
    client = client or APIClient()
    response = client.post(PASSKEY, {}, format="json")
    assert response.status_code == 200, response.content
    return client, response.json()


def complete_passkey(client: APIClient, passkey_id: str, answer: dict):
    body = {"passkey_id": passkey_id, "credential": answer}
    return client.post(PASSKEY_COMPLETE, body, format="json")


def failures(user) -> int:
    row = UserThrottle.objects.filter(user=user).first()
    return row.failures if row else 0


def pending_login(meta: dict) -> Challenge:
    """The row of the pending login ``meta`` (a two_factor_required answer) names."""
    return Challenge.objects.get(
        digest__in=crypto.digests(meta["two_factor_id"], purpose="challenge")
    )


def events(user, name: str) -> int:
    return SecurityEvent.objects.filter(user=user, event=name).count()


@contextmanager
def nothing_written():
    """Nobody logged in (no token, no session) and no credential kept meanwhile."""
    before = (ApiToken.objects.count(), Session.objects.count(), WebAuthnCredential.objects.count())
    yield
    after = (ApiToken.objects.count(), Session.objects.count(), WebAuthnCredential.objects.count())
    assert after == before


# -- fixtures -------------------------------------------------------------------------


@pytest.fixture
def key() -> SoftwareAuthenticator:
    return SoftwareAuthenticator()


@pytest.fixture
def key_user(plain_user, key, twostep_clock):
    """``plain_user`` (bob) with one security key (a passkey), registered through the API;
    the clock moved on, so later answers are not made in the registration's second."""
    response = add_key(fresh_api(plain_user), key)
    assert response.status_code == 201, response.content
    twostep_clock.advance(5)
    return plain_user


@pytest.fixture
def other_user(django_user_model):
    return django_user_model.objects.create_user(
        username="carol", email="carol@example.com", password=TEST_PASSWORD
    )


@pytest.fixture
def other_key() -> SoftwareAuthenticator:
    return SoftwareAuthenticator()


@pytest.fixture
def other_key_user(other_user, other_key, twostep_clock):
    """carol, with a key of her own."""
    response = add_key(fresh_api(other_user), other_key, name="Carol's key")
    assert response.status_code == 201, response.content
    return other_user
