"""``POST auth/login`` (``meta.webauthn``, ``meta.methods``) and ``POST auth/two-factor``
with ``"method": "webauthn"``: the login a key completes, and every attack on it.

Each refused assertion answers ``invalid_credential``, logs nobody in (no token, no
session), spends one of the pending login's attempts and counts for the user's
back-off, as a wrong code does.
"""

# ruff: noqa: F811  (the fixtures imported from .helpers are the tests' arguments)

from __future__ import annotations

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from django_twostep import clock
from django_twostep.flows import tokens
from django_twostep.methods.recovery_codes import flows as recovery_flows
from django_twostep.models import Challenge, WebAuthnChallenge, WebAuthnCredential
from django_twostep.testing import TEST_PASSWORD, current_code
from tests.webauthn_authenticator import SoftwareAuthenticator, b64, tampered

from .helpers import (  # noqa: F401  (fixtures among them)
    LOGIN,
    PASSKEY,
    TRIGGER,
    TWO_FACTOR,
    VERIFY,
    add_key,
    begin_login,
    codes,
    events,
    failures,
    fresh_api,
    key,
    key_user,
    nothing_written,
    other_key,
    other_key_user,
    other_user,
    pending_login,
    refused,
    register_url,
    stale_api,
    two_factor,
)

pytestmark = pytest.mark.django_db

MAX_ATTEMPTS = 5  # TWOSTEP_CHALLENGE_MAX_ATTEMPTS


def the_key(user) -> WebAuthnCredential:
    return WebAuthnCredential.objects.get(user=user)


def refused_login(client: APIClient, meta: dict, answer, user) -> None:
    """The assertion is refused as a wrong code is: one attempt spent, one failure counted."""
    left = pending_login(meta).attempts_left
    verified = events(user, "verified")
    with nothing_written():
        response = two_factor(client, meta, answer)
        refused(response)
    assert response.json()["errors"][0]["meta"]["attempts_left"] == left - 1
    assert pending_login(meta).attempts_left == left - 1
    assert failures(user) == 1
    assert events(user, "code_failed") == 1
    assert events(user, "verified") == verified


# -- auth/login -----------------------------------------------------------------------------


def test_the_login_offers_the_key(key_user, key):
    _, meta = begin_login(key_user)
    assert meta["methods"] == ["webauthn"]
    options = meta["webauthn"]["publicKey"]
    assert options["rpId"] == "testserver"
    assert options["userVerification"] == "preferred"
    assert [c["id"] for c in options["allowCredentials"]] == [the_key(key_user).credential_id]
    assert len(options["challenge"]) >= 22  # 128 bits and more, base64url
    ceremony = WebAuthnChallenge.objects.get(purpose="login")
    assert ceremony.user_id == key_user.pk
    assert ceremony.challenge_id == pending_login(meta).pk


def test_each_login_has_its_own_challenge(key_user):
    _, first = begin_login(key_user)
    _, second = begin_login(key_user)
    assert (
        first["webauthn"]["publicKey"]["challenge"] != second["webauthn"]["publicKey"]["challenge"]
    )


def test_a_user_without_a_key_is_offered_none(totp_user):
    _, meta = begin_login(totp_user)
    assert "webauthn" not in meta and "webauthn" not in meta["methods"]


def test_a_totp_user_with_a_key_is_offered_both(totp_user, twostep_clock):
    assert add_key(fresh_api(totp_user), SoftwareAuthenticator()).status_code == 201
    _, meta = begin_login(totp_user)
    assert set(meta["methods"]) == {"totp", "webauthn"}
    assert "publicKey" in meta["webauthn"]
    # A code still completes the login.
    twostep_clock.advance(30)
    body = {"two_factor_id": meta["two_factor_id"], "code": current_code(totp_user)}
    assert APIClient().post(TWO_FACTOR, body, format="json").status_code == 200


@override_settings(TWOSTEP_API_CHALLENGE_STATUS=242)
def test_the_242_answer_carries_the_options_too(key_user, key):
    response = APIClient().post(
        LOGIN, {"username": "bob", "password": TEST_PASSWORD}, format="json"
    )
    assert response.status_code == 242
    body = response.json()
    assert body["webauthn"] == body["meta"]["webauthn"] and "publicKey" in body["webauthn"]
    answered = two_factor(APIClient(), body, key.assert_(body["webauthn"]))
    assert answered.status_code == 200


def test_a_wrong_password_offers_no_ceremony(key_user):
    response = APIClient().post(LOGIN, {"username": "bob", "password": "nope"}, format="json")
    assert response.status_code == 401 and codes(response) == ["invalid_credentials"]
    assert not WebAuthnChallenge.objects.filter(purpose="login").exists()


# -- auth/two-factor: the key completes the login ----------------------------------------------


def test_the_key_completes_the_login_with_a_verified_token(key_user, key):
    client, meta = begin_login(key_user)
    response = two_factor(client, meta, key.assert_(meta["webauthn"]))
    assert response.status_code == 200, response.content
    token = tokens.authenticate_access_token(response.json()["access_token"])
    assert token.user_id == key_user.pk and token.verified_at == clock.now()
    credential = the_key(key_user)
    assert credential.sign_count == 1 and credential.last_used_at == clock.now()
    assert pending_login(meta).consumed_at is not None
    assert events(key_user, "verified") == 1 and failures(key_user) == 0


def test_without_a_uv_flag_the_key_is_a_second_factor_under_preferred(key_user, key):
    key.user_verified = False
    client, meta = begin_login(key_user)
    assert two_factor(client, meta, key.assert_(meta["webauthn"])).status_code == 200


def test_a_key_without_a_counter_works_again_and_again(plain_user, twostep_clock):
    key = SoftwareAuthenticator(counter_step=0)  # both counters stay zero
    assert add_key(fresh_api(plain_user), key).status_code == 201
    for _ in range(3):
        client, meta = begin_login(plain_user)
        assert two_factor(client, meta, key.assert_(meta["webauthn"])).status_code == 200
    assert the_key(plain_user).sign_count == 0
    assert events(plain_user, "webauthn_counter_regressed") == 0


def test_the_login_is_used_up_by_its_success(key_user, key):
    client, meta = begin_login(key_user)
    answer = key.assert_(meta["webauthn"])
    assert two_factor(client, meta, answer).status_code == 200
    with nothing_written():
        refused(two_factor(client, meta, answer), "two_factor_expired", 401)


# -- auth/two-factor: the attacks ------------------------------------------------------------------


def test_a_replayed_assertion_from_an_earlier_login_is_refused(key_user, key, twostep_clock):
    client, meta = begin_login(key_user)
    answer = key.assert_(meta["webauthn"])
    assert two_factor(client, meta, answer).status_code == 200
    client, meta = begin_login(key_user)
    refused_login(client, meta, answer, key_user)


def test_a_wrong_origin_is_refused(key_user, key):
    client, meta = begin_login(key_user)
    key.origin = "https://evil.example"
    refused_login(client, meta, key.assert_(meta["webauthn"]), key_user)


def test_a_wrong_rp_id_is_refused(key_user, key):
    client, meta = begin_login(key_user)
    refused_login(client, meta, key.assert_(meta["webauthn"], rp_id="evil.example"), key_user)


def test_another_users_credential_is_refused(key_user, other_key_user, other_key):
    client, meta = begin_login(key_user)
    # Carol's own key, signing bob's challenge properly.
    answer = other_key.assert_(meta["webauthn"])
    refused_login(client, meta, answer, key_user)
    assert the_key(other_key_user).sign_count == 0  # her key was not "used"


def test_an_unknown_credential_is_refused(key_user):
    client, meta = begin_login(key_user)
    stranger = SoftwareAuthenticator()
    stranger.register(
        {"rp": {"id": "testserver"}, "user": {"id": b64(b"u" * 32)}, "challenge": b64(b"c" * 32)}
    )
    refused_login(client, meta, stranger.assert_(meta["webauthn"]), key_user)


def test_a_tampered_signature_is_refused(key_user, key):
    client, meta = begin_login(key_user)
    refused_login(client, meta, tampered(key.assert_(meta["webauthn"])), key_user)
    assert the_key(key_user).sign_count == 0


def test_the_challenge_of_another_pending_login_is_refused(key_user, key):
    _, earlier = begin_login(key_user)
    client, meta = begin_login(key_user)
    answer = key.assert_(meta["webauthn"], challenge=earlier["webauthn"]["publicKey"]["challenge"])
    refused_login(client, meta, answer, key_user)


def test_the_challenge_of_a_step_up_is_refused(key_user, key):
    step_up = fresh_api(key_user).post(TRIGGER, {"type": "webauthn"}, format="json").json()
    client, meta = begin_login(key_user)
    answer = key.assert_(meta["webauthn"], challenge=step_up["publicKey"]["challenge"])
    refused_login(client, meta, answer, key_user)


def test_the_challenge_of_a_passkey_login_is_refused(key_user, key):
    passkey = APIClient().post(PASSKEY, {}, format="json").json()
    client, meta = begin_login(key_user)
    answer = key.assert_(meta["webauthn"], challenge=passkey["publicKey"]["challenge"])
    refused_login(client, meta, answer, key_user)


def test_the_challenge_of_a_registration_is_refused(key_user, key):
    registration = fresh_api(key_user).post(register_url(), {}, format="json").json()
    client, meta = begin_login(key_user)
    answer = key.assert_(meta["webauthn"], challenge=registration["publicKey"]["challenge"])
    refused_login(client, meta, answer, key_user)


def test_a_registration_answer_is_not_an_assertion(key_user, key):
    client, meta = begin_login(key_user)
    options = {
        "rp": {"id": "testserver"},
        "user": {"id": b64(b"u" * 32)},
        "challenge": meta["webauthn"]["publicKey"]["challenge"],
    }
    with nothing_written():
        response = two_factor(client, meta, SoftwareAuthenticator().register(options))
    refused(response)


def test_a_counter_that_goes_back_is_refused_and_recorded(key_user, key, twostep_clock):
    client, meta = begin_login(key_user)
    assert two_factor(client, meta, key.assert_(meta["webauthn"])).status_code == 200  # count 1
    twostep_clock.advance(5)
    client, meta = begin_login(key_user)
    key.credentials[0].counter = 0  # a clone that has not seen the last use: signs 1 again
    refused_login(client, meta, key.assert_(meta["webauthn"]), key_user)
    assert events(key_user, "webauthn_counter_regressed") == 1
    assert the_key(key_user).sign_count == 1


def test_a_counter_back_to_zero_is_refused(key_user, key, twostep_clock):
    client, meta = begin_login(key_user)
    assert two_factor(client, meta, key.assert_(meta["webauthn"])).status_code == 200
    twostep_clock.advance(5)
    key.counter_step = 0
    key.credentials[0].counter = 0
    client, meta = begin_login(key_user)
    refused_login(client, meta, key.assert_(meta["webauthn"]), key_user)
    assert events(key_user, "webauthn_counter_regressed") == 1


@override_settings(TWOSTEP_WEBAUTHN_USER_VERIFICATION="required")
def test_user_verification_required_by_the_site_is_enforced(key_user, key):
    client, meta = begin_login(key_user)
    assert meta["webauthn"]["publicKey"]["userVerification"] == "required"
    key.user_verified = False
    refused_login(client, meta, key.assert_(meta["webauthn"]), key_user)


def test_an_expired_login_and_its_challenge_are_refused(key_user, key, twostep_clock):
    client, meta = begin_login(key_user)
    answer = key.assert_(meta["webauthn"])
    twostep_clock.advance(301)  # past TWOSTEP_CHALLENGE_TTL: the login and its ceremony
    with nothing_written():
        refused(two_factor(client, meta, answer), "two_factor_expired", 401)
    assert failures(key_user) == 0


def test_an_expired_ceremony_of_a_live_login_is_refused(key_user, key, twostep_clock):
    """Were the pending login to outlive its ceremony, the ceremony's own TTL still holds."""
    client, meta = begin_login(key_user)
    answer = key.assert_(meta["webauthn"])
    twostep_clock.advance(301)
    Challenge.objects.filter(pk=pending_login(meta).pk).update(
        expires_at=clock.now() + (pending_login(meta).expires_at - pending_login(meta).created_at)
    )
    refused_login(client, meta, answer, key_user)


# -- the pending login's accounting ----------------------------------------------------------


def test_a_refused_assertion_counts_for_the_back_off(key_user, key, twostep_clock):
    codes_ = recovery_flows.generate_recovery_codes(key_user)
    client, meta = begin_login(key_user)
    refused_login(client, meta, tampered(key.assert_(meta["webauthn"])), key_user)
    body = {"two_factor_id": meta["two_factor_id"], "code": codes_[0]}
    # Right away, even a right code waits for the back-off...
    response = client.post(TWO_FACTOR, body, format="json")
    refused(response, "too_many_attempts", 429)
    assert int(response["Retry-After"]) >= 1
    # ...after which the same pending login still completes.
    twostep_clock.advance(2)
    assert client.post(TWO_FACTOR, body, format="json").status_code == 200
    assert failures(key_user) == 0


def test_refused_assertions_burn_the_pending_login(key_user, key, twostep_clock):
    client, meta = begin_login(key_user)
    answer = tampered(key.assert_(meta["webauthn"]))
    for attempt in range(1, MAX_ATTEMPTS + 1):
        with nothing_written():
            response = two_factor(client, meta, answer)
        refused(response)
        assert response.json()["errors"][0]["meta"]["attempts_left"] == MAX_ATTEMPTS - attempt
        assert failures(key_user) == attempt
        twostep_clock.advance(2**attempt)  # past the back-off
    assert pending_login(meta).attempts_left == 0
    refused(two_factor(client, meta, key.assert_(meta["webauthn"])), "two_factor_expired", 401)
    assert failures(key_user) == MAX_ATTEMPTS


def test_a_user_without_a_key_cannot_use_the_method(totp_user):
    client, meta = begin_login(totp_user)
    answer = SoftwareAuthenticator().register(
        {"rp": {"id": "testserver"}, "user": {"id": b64(b"u" * 32)}, "challenge": b64(b"c" * 32)}
    )
    with nothing_written():
        refused(two_factor(client, meta, answer), "method_not_available")
    assert pending_login(meta).attempts_left == MAX_ATTEMPTS and failures(totp_user) == 0


@pytest.mark.parametrize(
    "answer",
    [
        "not an object",
        ["a", "list"],
        {"id": "x"},
        {"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": {}},
    ],
)
def test_a_malformed_assertion_is_refused(key_user, answer):
    client, meta = begin_login(key_user)
    with nothing_written():
        response = two_factor(client, meta, answer)
    assert response.status_code == 400
    assert codes(response) in (["invalid_credential"], ["validation_error"])


def test_the_method_without_a_credential_is_a_validation_error(key_user):
    client, meta = begin_login(key_user)
    body = {"two_factor_id": meta["two_factor_id"], "method": "webauthn"}
    with nothing_written():
        response = client.post(TWO_FACTOR, body, format="json")
    assert response.status_code == 400
    assert codes(response) == ["validation_error"]
    assert pending_login(meta).attempts_left == MAX_ATTEMPTS
