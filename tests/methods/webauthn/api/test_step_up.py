"""``POST mfa/trigger {"type": "webauthn"}`` and ``POST mfa/verify``: step-up with a
key (or a code), which verifies the token and starts a new grace period."""

# ruff: noqa: F811  (the fixtures imported from .helpers are the tests' arguments)

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from django_twostep import clock
from django_twostep.methods.recovery_codes import flows as recovery_flows
from django_twostep.models import ApiToken, WebAuthnChallenge, WebAuthnCredential
from django_twostep.testing import current_code
from tests.webauthn_authenticator import SoftwareAuthenticator, tampered

from .helpers import (  # noqa: F401  (fixtures among them)
    STALE,
    TRIGGER,
    VERIFY,
    add_key,
    api_for,
    begin_login,
    codes,
    events,
    failures,
    fresh_api,
    key,
    key_user,
    other_key,
    other_key_user,
    other_user,
    refused,
    register_url,
    stale_api,
)

pytestmark = pytest.mark.django_db


def trigger(api: APIClient, body=None) -> dict:
    response = api.post(TRIGGER, body or {"type": "webauthn"}, format="json")
    assert response.status_code == 200, response.content
    assert set(response.json()) == {"publicKey"}
    return response.json()


def verify(api: APIClient, answer):
    return api.post(VERIFY, {"type": "webauthn", "credential": answer}, format="json")


def refused_step_up(api: APIClient, token: ApiToken, answer, user, code="invalid_credential"):
    """Refused: the token stays as (un)verified as it was; the try counts for the back-off."""
    before, failed = token.verified_at, failures(user)
    refused(verify(api, answer), code)
    token.refresh_from_db()
    assert token.verified_at == before
    assert failures(user) == failed + 1
    # Still not stepped up: a method change is refused.
    refused(api.post(register_url(), {}, format="json"), "mfa_code_missing", 403)


# -- mfa/trigger -------------------------------------------------------------------------------


def test_trigger_gives_the_options_of_a_step_up(key_user, key, other_key_user):
    api, _ = stale_api(key_user)
    options = trigger(api)["publicKey"]
    assert options["rpId"] == "testserver" and options["userVerification"] == "preferred"
    mine = WebAuthnCredential.objects.get(user=key_user).credential_id
    assert [c["id"] for c in options["allowCredentials"]] == [mine]
    row = WebAuthnChallenge.objects.get(purpose="step_up")
    assert row.user_id == key_user.pk and row.challenge_id is None


def test_trigger_takes_the_method_alias(key_user):
    api, _ = stale_api(key_user)
    trigger(api, {"method": "webauthn"})


@pytest.mark.parametrize("who", ["plain_user", "totp_user"])
def test_trigger_for_a_user_without_a_key_is_method_not_available(request, who):
    user = request.getfixturevalue(who)
    api, _ = stale_api(user)
    response = api.post(TRIGGER, {"type": "webauthn"}, format="json")
    refused(response, "method_not_available")
    assert response.json()["errors"][0]["source"] == {"parameter": "type"}
    assert not WebAuthnChallenge.objects.filter(purpose="step_up").exists()


def test_trigger_needs_a_token(db):
    refused(
        APIClient().post(TRIGGER, {"type": "webauthn"}, format="json"), "not_authenticated", 401
    )


# -- mfa/verify with a key -------------------------------------------------------------------------


def test_a_key_steps_up_and_starts_a_new_grace(key_user, key, twostep_clock):
    api, token = stale_api(key_user)
    refused(api.post(register_url(), {}, format="json"), "mfa_code_missing", 403)
    answer = key.assert_(trigger(api))
    response = verify(api, answer)
    assert response.status_code == 204, response.content
    token.refresh_from_db()
    assert token.verified_at == clock.now()
    assert api.post(register_url(), {}, format="json").status_code == 200
    credential = WebAuthnCredential.objects.get(user=key_user)
    assert credential.sign_count == 1 and credential.last_used_at == clock.now()
    assert events(key_user, "verified") == 1
    # The grace is the new one: it lasts TWOSTEP_STEP_UP_GRACE from now.
    twostep_clock.advance(STALE - 2)
    assert api.post(register_url(), {}, format="json").status_code == 200
    twostep_clock.advance(1)
    refused(api.post(register_url(), {}, format="json"), "mfa_code_missing", 403)


def test_a_key_steps_up_an_unverified_token(key_user, key):
    api, token = api_for(key_user, None)
    assert verify(api, key.assert_(trigger(api))).status_code == 204
    token.refresh_from_db()
    assert token.verified_at == clock.now()


def test_without_a_uv_flag_the_key_steps_up_under_preferred(key_user, key):
    api, _ = stale_api(key_user)
    key.user_verified = False
    assert verify(api, key.assert_(trigger(api))).status_code == 204


@override_settings(TWOSTEP_WEBAUTHN_USER_VERIFICATION="required")
def test_user_verification_required_by_the_site_is_enforced(key_user, key):
    api, token = stale_api(key_user)
    options = trigger(api)
    assert options["publicKey"]["userVerification"] == "required"
    key.user_verified = False
    refused_step_up(api, token, key.assert_(options), key_user)


def test_a_replayed_step_up_is_refused(key_user, key, twostep_clock):
    api, _ = stale_api(key_user)
    answer = key.assert_(trigger(api))
    assert verify(api, answer).status_code == 204
    other, other_token = stale_api(key_user)  # another stale token of bob's
    trigger(other)  # a live step-up ceremony of its own
    refused_step_up(other, other_token, answer, key_user)


def test_a_wrong_origin_is_refused(key_user, key):
    api, token = stale_api(key_user)
    options = trigger(api)
    key.origin = "https://evil.example"
    refused_step_up(api, token, key.assert_(options), key_user)


def test_a_wrong_rp_id_is_refused(key_user, key):
    api, token = stale_api(key_user)
    refused_step_up(api, token, key.assert_(trigger(api), rp_id="evil.example"), key_user)


def test_a_tampered_signature_is_refused(key_user, key):
    api, token = stale_api(key_user)
    refused_step_up(api, token, tampered(key.assert_(trigger(api))), key_user)


def test_another_users_key_is_refused(key_user, other_key_user, other_key):
    api, token = stale_api(key_user)
    refused_step_up(api, token, other_key.assert_(trigger(api)), key_user)


def test_another_users_step_up_challenge_is_refused(key_user, key, other_key_user):
    carols = trigger(stale_api(other_key_user)[0])
    api, token = stale_api(key_user)
    trigger(api)
    refused_step_up(api, token, key.assert_(carols), key_user)


def test_the_challenge_of_a_login_is_refused(key_user, key):
    _, meta = begin_login(key_user)
    api, token = stale_api(key_user)
    trigger(api)
    refused_step_up(api, token, key.assert_(meta["webauthn"]), key_user)


def test_the_challenge_of_a_passkey_login_is_refused(key_user, key):
    passkey = APIClient().post("/api/v1/auth/passkey", {}, format="json").json()
    api, token = stale_api(key_user)
    trigger(api)
    refused_step_up(api, token, key.assert_(passkey), key_user)


def test_an_expired_challenge_is_refused(key_user, key, twostep_clock):
    api, token = stale_api(key_user)
    answer = key.assert_(trigger(api))
    twostep_clock.advance(301)  # past TWOSTEP_CHALLENGE_TTL
    refused_step_up(api, token, answer, key_user)


def test_a_counter_that_goes_back_is_refused_and_recorded(key_user, key, twostep_clock):
    api, token = stale_api(key_user)
    assert verify(api, key.assert_(trigger(api))).status_code == 204
    twostep_clock.advance(STALE)
    token.refresh_from_db()
    key.credentials[0].counter = 0
    refused_step_up(api, token, key.assert_(trigger(api)), key_user)
    assert events(key_user, "webauthn_counter_regressed") == 1
    assert WebAuthnCredential.objects.get(user=key_user).sign_count == 1


def test_a_refused_step_up_counts_for_the_back_off(key_user, key, twostep_clock):
    api, token = stale_api(key_user)
    refused_step_up(api, token, tampered(key.assert_(trigger(api))), key_user)
    answer = key.assert_(trigger(api))
    response = verify(api, answer)
    refused(response, "too_many_attempts", 429)
    twostep_clock.advance(2)
    assert verify(api, answer).status_code == 204
    assert failures(key_user) == 0


def test_a_credential_for_a_user_without_a_key_is_method_not_available(totp_user):
    api, _ = stale_api(totp_user)
    answer = SoftwareAuthenticator().register(
        {"rp": {"id": "testserver"}, "user": {"id": "dQ"}, "challenge": "Y2hhbGxlbmdl"}
    )
    refused(verify(api, answer), "method_not_available")
    assert failures(totp_user) == 0


@pytest.mark.parametrize("answer", ["text", ["list"], {"id": "x"}])
def test_a_malformed_credential_is_refused(key_user, answer):
    api, token = stale_api(key_user)
    trigger(api)
    response = verify(api, answer)
    assert response.status_code == 400
    assert codes(response) in (["invalid_credential"], ["validation_error"])
    token.refresh_from_db()
    assert token.verified_at < clock.now() - timedelta(seconds=STALE - 1)


# -- mfa/verify with a code ------------------------------------------------------------------


def test_a_recovery_code_steps_up_a_key_user(key_user, twostep_clock):
    recovery = recovery_flows.generate_recovery_codes(key_user)
    api, token = stale_api(key_user)
    refused(api.post(VERIFY, {"code": "0000-0000"}, format="json"), "invalid_code")
    twostep_clock.advance(2)
    token.refresh_from_db()
    assert api.post(VERIFY, {"code": recovery[0]}, format="json").status_code == 204
    token.refresh_from_db()
    assert token.verified_at == clock.now()


def test_a_totp_code_steps_up_a_user_with_a_key_too(totp_user, twostep_clock):
    assert add_key(fresh_api(totp_user), SoftwareAuthenticator()).status_code == 201
    twostep_clock.advance(30)
    api, token = stale_api(totp_user)
    response = api.post(VERIFY, {"code": current_code(totp_user)}, format="json")
    assert response.status_code == 204
    token.refresh_from_db()
    assert token.verified_at == clock.now()


def test_verify_needs_a_code_or_a_credential(key_user):
    api, _ = stale_api(key_user)
    refused(api.post(VERIFY, {}, format="json"), "validation_error")
    refused(api.post(VERIFY, {"type": "webauthn"}, format="json"), "validation_error")


def test_verify_needs_a_token(key_user, key):
    response = APIClient().post(VERIFY, {"code": "12345678"}, format="json")
    refused(response, "not_authenticated", 401)
