"""Security keys through the API, end to end, with a software authenticator
(tests/webauthn_authenticator.py): register, log in with the key, step up, log in
with a passkey alone."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from django_twostep import clock
from django_twostep.flows import tokens
from django_twostep.models import WebAuthnCredential
from django_twostep.testing import TEST_PASSWORD
from tests.webauthn_authenticator import SoftwareAuthenticator

pytestmark = pytest.mark.django_db

API = "/api/v1"


def fresh_api(user) -> APIClient:
    client = APIClient()
    access = tokens.issue_tokens(user, verified_at=clock.now()).access_token
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


@pytest.fixture
def key():
    return SoftwareAuthenticator()


@pytest.fixture
def key_user(plain_user, key, twostep_clock):
    api = fresh_api(plain_user)
    options = api.post(f"{API}/users/me/webauthn/register").json()
    response = api.patch(
        f"{API}/users/me/webauthn/register",
        {"name": "Blue key", "credential": key.register(options)},
        format="json",
    )
    assert response.status_code == 201, response.json()
    return plain_user


def test_registering_the_first_key_turns_two_step_login_on(key_user):
    credential = WebAuthnCredential.objects.get(user=key_user)
    assert credential.name == "Blue key" and credential.discoverable
    api = fresh_api(key_user)
    listed = api.get(f"{API}/users/me/webauthn").json()["credentials"]
    assert [c["name"] for c in listed] == ["Blue key"]
    assert api.get(f"{API}/users/me/otp").json()["methods"] == ["webauthn"]


def test_a_key_completes_a_two_request_login(key_user, key):
    api = APIClient()
    login = api.post(
        f"{API}/auth/login", {"username": "bob", "password": TEST_PASSWORD}, format="json"
    )
    assert login.status_code == 401
    meta = login.json()["meta"]
    assert meta["methods"] == ["webauthn"] and "publicKey" in meta["webauthn"]
    answer = key.assert_(meta["webauthn"])
    body = {"two_factor_id": meta["two_factor_id"], "method": "webauthn", "credential": answer}
    response = api.post(f"{API}/auth/two-factor", body, format="json")
    assert response.status_code == 200, response.json()
    replay = api.post(f"{API}/auth/two-factor", body, format="json")
    assert replay.status_code == 401  # the login is used up


def test_a_key_steps_up(key_user, key, twostep_clock):
    api = fresh_api(key_user)
    twostep_clock.advance(1801)
    options = api.post(f"{API}/mfa/trigger", {"type": "webauthn"}, format="json").json()
    answer = key.assert_(options)
    response = api.post(
        f"{API}/mfa/verify", {"type": "webauthn", "credential": answer}, format="json"
    )
    assert response.status_code == 204
    again = api.post(f"{API}/mfa/verify", {"type": "webauthn", "credential": answer}, format="json")
    assert again.status_code == 400 and again.json()["errors"][0]["code"] == "invalid_credential"


def test_a_passkey_logs_in_alone(key_user, key):
    api = APIClient()
    begun = api.post(f"{API}/auth/passkey", {}, format="json").json()
    answer = key.assert_(begun["publicKey"])
    response = api.post(
        f"{API}/auth/passkey/complete",
        {"passkey_id": begun["passkey_id"], "credential": answer},
        format="json",
    )
    assert response.status_code == 200, response.json()
    token = tokens.authenticate_access_token(response.json()["access_token"])
    assert token.verified_at is not None and token.user_id == key_user.pk


def test_a_keys_answer_must_say_its_method(key_user, key):
    api = APIClient()
    login = api.post(
        f"{API}/auth/login", {"username": "bob", "password": TEST_PASSWORD}, format="json"
    )
    meta = login.json()["meta"]
    body = {"two_factor_id": meta["two_factor_id"], "credential": key.assert_(meta["webauthn"])}
    response = api.post(f"{API}/auth/two-factor", body, format="json")
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["code"] == "validation_error" and error["source"]["pointer"] == "/method"


def test_a_passkey_login_takes_an_object(key_user):
    response = APIClient().post(f"{API}/auth/passkey", [1], format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "validation_error"


def test_new_options_after_a_refused_answer_complete_the_same_login(key_user, key, twostep_clock):
    api = APIClient()
    login = api.post(
        f"{API}/auth/login", {"username": "bob", "password": TEST_PASSWORD}, format="json"
    )
    meta = login.json()["meta"]
    wrong = key.assert_(meta["webauthn"], rp_id="elsewhere.example")  # refused: spends it
    body = {"two_factor_id": meta["two_factor_id"], "method": "webauthn", "credential": wrong}
    assert api.post(f"{API}/auth/two-factor", body, format="json").status_code == 400
    again = api.post(
        f"{API}/auth/two-factor/send",
        {"two_factor_id": meta["two_factor_id"], "method": "webauthn"},
        format="json",
    )
    assert again.status_code == 200 and "publicKey" in again.json()
    body["credential"] = key.assert_(again.json())
    twostep_clock.advance(1)  # the back-off's first wait
    assert api.post(f"{API}/auth/two-factor", body, format="json").status_code == 200


def test_options_for_a_login_need_the_users_key(plain_user, twostep_clock):
    from django_twostep.methods.email import flows as email_flows
    from tests.pages import mailed_code

    email_flows.begin_email_setup(plain_user)
    email_flows.confirm_email_setup(plain_user, mailed_code())
    login = APIClient().post(
        f"{API}/auth/login", {"username": "bob", "password": TEST_PASSWORD}, format="json"
    )
    body = {"two_factor_id": login.json()["meta"]["two_factor_id"], "method": "webauthn"}
    response = APIClient().post(f"{API}/auth/two-factor/send", body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "method_not_available"
