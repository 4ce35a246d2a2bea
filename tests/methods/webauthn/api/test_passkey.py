"""``POST auth/passkey`` and ``POST auth/passkey/complete``: a discoverable credential
with user verification logs in alone (a verified token), and every attack on it."""

# ruff: noqa: F811  (the fixtures imported from .helpers are the tests' arguments)

from __future__ import annotations

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from django_twostep import clock
from django_twostep.flows import tokens
from django_twostep.models import ApiToken, WebAuthnChallenge, WebAuthnCredential
from tests.webauthn_authenticator import SoftwareAuthenticator, b64, tampered

from .helpers import (  # noqa: F401  (fixtures among them)
    PASSKEY,
    PASSKEY_COMPLETE,
    TRIGGER,
    add_key,
    begin_login,
    begin_passkey,
    complete_passkey,
    events,
    failures,
    fresh_api,
    key,
    key_user,
    nothing_written,
    other_key,
    other_key_user,
    other_user,
    refused,
    register_url,
)

pytestmark = pytest.mark.django_db


def the_key(user) -> WebAuthnCredential:
    return WebAuthnCredential.objects.get(user=user)


def ceremony() -> WebAuthnChallenge:
    return WebAuthnChallenge.objects.filter(purpose="passkey").latest("pk")


def refused_passkey(client, passkey_id, answer, *, counted=None) -> None:
    """Refused with invalid_credential, nobody logged in; ``counted``: the user whose
    back-off the try counts for."""
    before = failures(counted) if counted is not None else None
    with nothing_written():
        refused(complete_passkey(client, passkey_id, answer))
    if counted is not None:
        assert failures(counted) == before + 1


# -- the options -------------------------------------------------------------------------------


def test_the_options_name_no_user_and_require_user_verification(key_user):
    _, begun = begin_passkey()
    assert set(begun) == {"publicKey", "passkey_id"}
    options = begun["publicKey"]
    assert options["rpId"] == "testserver"
    assert options["userVerification"] == "required"
    assert not options.get("allowCredentials")
    row = ceremony()
    assert row.user_id is None and row.handle_digest and row.challenge_id is None
    assert row.handle_digest != begun["passkey_id"]  # kept as a digest only


@override_settings(TWOSTEP_WEBAUTHN_USER_VERIFICATION="discouraged")
def test_passkey_login_requires_user_verification_whatever_the_setting(key_user):
    _, begun = begin_passkey()
    assert begun["publicKey"]["userVerification"] == "required"


def test_each_ceremony_is_its_own(db):
    _, first = begin_passkey()
    _, second = begin_passkey()
    assert first["passkey_id"] != second["passkey_id"]
    assert first["publicKey"]["challenge"] != second["publicKey"]["challenge"]


def test_a_malformed_body_is_refused(db):
    response = APIClient().post(PASSKEY, "{", content_type="application/json")
    assert response.status_code == 400
    assert not WebAuthnChallenge.objects.exists()


# -- logging in ---------------------------------------------------------------------------------


def test_a_passkey_logs_in_with_a_verified_token(key_user, key):
    client, begun = begin_passkey()
    response = complete_passkey(client, begun["passkey_id"], key.assert_(begun["publicKey"]))
    assert response.status_code == 200, response.content
    payload = response.json()
    token = tokens.authenticate_access_token(payload["access_token"])
    assert token.user_id == key_user.pk and token.verified_at == clock.now()
    # As verified as a two-step login: a method change passes without a code.
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {payload['access_token']}")
    assert api.post(register_url(), {}, format="json").status_code == 200
    credential = the_key(key_user)
    assert credential.sign_count == 1 and credential.last_used_at == clock.now()
    assert ceremony().consumed_at is not None
    assert events(key_user, "verified") == 1


def test_a_passkey_of_a_totp_user_logs_in_too(totp_user, twostep_clock):
    key = SoftwareAuthenticator()
    assert add_key(fresh_api(totp_user), key).status_code == 201
    client, begun = begin_passkey()
    response = complete_passkey(client, begun["passkey_id"], key.assert_(begun["publicKey"]))
    assert response.status_code == 200
    assert tokens.authenticate_access_token(response.json()["access_token"]).user_id == totp_user.pk


def test_each_user_logs_in_with_their_own_passkey(key_user, key, other_key_user, other_key):
    for user, authenticator in ((key_user, key), (other_key_user, other_key)):
        client, begun = begin_passkey()
        answer = authenticator.assert_(begun["publicKey"])
        response = complete_passkey(client, begun["passkey_id"], answer)
        assert tokens.authenticate_access_token(response.json()["access_token"]).user_id == user.pk


@override_settings(TWOSTEP_PASSKEY_LOGIN=False)
def test_passkey_login_turned_off_refuses_both_endpoints(key_user, key):
    with nothing_written():
        refused(APIClient().post(PASSKEY, {}, format="json"), "passkey_login_disabled", 403)
    assert not WebAuthnChallenge.objects.filter(purpose="passkey").exists()


def test_a_ceremony_begun_before_passkey_login_was_turned_off_is_refused(key_user, key):
    client, begun = begin_passkey()
    answer = key.assert_(begun["publicKey"])
    with override_settings(TWOSTEP_PASSKEY_LOGIN=False), nothing_written():
        response = complete_passkey(client, begun["passkey_id"], answer)
        refused(response, "passkey_login_disabled", 403)
    assert the_key(key_user).sign_count == 0


# -- the attacks -----------------------------------------------------------------------------------


def test_a_replayed_assertion_is_refused(key_user, key, twostep_clock):
    client, begun = begin_passkey()
    answer = key.assert_(begun["publicKey"])
    assert complete_passkey(client, begun["passkey_id"], answer).status_code == 200
    twostep_clock.advance(5)
    refused_passkey(client, begun["passkey_id"], answer, counted=key_user)
    # Nor with the passkey_id of a new ceremony.
    twostep_clock.advance(5)
    _, fresh = begin_passkey()
    refused_passkey(client, fresh["passkey_id"], answer, counted=key_user)


def test_a_non_discoverable_credential_is_refused(plain_user, twostep_clock):
    key = SoftwareAuthenticator()
    assert add_key(fresh_api(plain_user), key, resident=False).status_code == 201
    client, begun = begin_passkey()
    answer = key.assert_(begun["publicKey"])
    assert "userHandle" not in answer["response"]
    refused_passkey(client, begun["passkey_id"], answer)
    assert ceremony().consumed_at is not None  # the ceremony is spent all the same


def test_the_passkey_id_of_another_ceremony_is_refused(key_user, key):
    client, begun = begin_passkey()
    _, other = begin_passkey()
    answer = key.assert_(begun["publicKey"])
    refused_passkey(client, other["passkey_id"], answer, counted=key_user)


@pytest.mark.parametrize("passkey_id", ["made-up", "x" * 100])
def test_a_made_up_passkey_id_is_refused(key_user, key, passkey_id):
    client, begun = begin_passkey()
    refused_passkey(client, passkey_id, key.assert_(begun["publicKey"]), counted=key_user)


@pytest.mark.parametrize("body", [{}, {"passkey_id": ""}, {"passkey_id": 5}, {"passkey_id": None}])
def test_a_missing_passkey_id_is_a_validation_error(key_user, key, body):
    client, begun = begin_passkey()
    body = {**body, "credential": key.assert_(begun["publicKey"])}
    with nothing_written():
        response = client.post(PASSKEY_COMPLETE, body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] in ("validation_error", "invalid_credential")


def test_an_assertion_without_user_verification_is_refused(key_user, key):
    client, begun = begin_passkey()
    key.user_verified = False
    refused_passkey(client, begun["passkey_id"], key.assert_(begun["publicKey"]), counted=key_user)


def test_a_wrong_origin_is_refused(key_user, key):
    client, begun = begin_passkey()
    key.origin = "https://evil.example"
    refused_passkey(client, begun["passkey_id"], key.assert_(begun["publicKey"]), counted=key_user)


def test_a_wrong_rp_id_is_refused(key_user, key):
    client, begun = begin_passkey()
    answer = key.assert_(begun["publicKey"], rp_id="evil.example")
    refused_passkey(client, begun["passkey_id"], answer, counted=key_user)


def test_a_tampered_signature_is_refused(key_user, key):
    client, begun = begin_passkey()
    answer = tampered(key.assert_(begun["publicKey"]))
    refused_passkey(client, begun["passkey_id"], answer, counted=key_user)
    assert the_key(key_user).sign_count == 0


def test_a_forged_user_handle_changes_nothing(key_user, key, other_key_user):
    """The user is the credential's: a userHandle naming someone else logs in nobody else."""
    client, begun = begin_passkey()
    answer = key.assert_(begun["publicKey"])
    carols = b64(bytes(32))
    forged = {**answer, "response": {**answer["response"], "userHandle": carols}}
    response = complete_passkey(client, begun["passkey_id"], forged)
    if response.status_code == 200:
        token = tokens.authenticate_access_token(response.json()["access_token"])
        assert token.user_id == key_user.pk
    else:
        refused(response)
        assert not ApiToken.objects.filter(user=other_key_user).exists()


def test_an_unknown_credential_is_refused_and_spends_the_ceremony(key_user, key):
    client, begun = begin_passkey()
    stranger = SoftwareAuthenticator()
    stranger.register(
        {"rp": {"id": "testserver"}, "user": {"id": b64(b"u" * 32)}, "challenge": b64(b"c" * 32)}
    )
    refused_passkey(client, begun["passkey_id"], stranger.assert_(begun["publicKey"]))
    assert failures(key_user) == 0
    # The ceremony is spent: the real passkey cannot answer it now.
    refused_passkey(client, begun["passkey_id"], key.assert_(begun["publicKey"]))


def test_the_challenge_of_a_login_is_refused(key_user, key):
    _, meta = begin_login(key_user)
    client, begun = begin_passkey()
    answer = key.assert_(begun["publicKey"], challenge=meta["webauthn"]["publicKey"]["challenge"])
    refused_passkey(client, begun["passkey_id"], answer, counted=key_user)


def test_the_challenge_of_a_step_up_is_refused(key_user, key):
    step_up = fresh_api(key_user).post(TRIGGER, {"type": "webauthn"}, format="json").json()
    client, begun = begin_passkey()
    answer = key.assert_(begun["publicKey"], challenge=step_up["publicKey"]["challenge"])
    refused_passkey(client, begun["passkey_id"], answer, counted=key_user)


def test_an_expired_ceremony_is_refused(key_user, key, twostep_clock):
    client, begun = begin_passkey()
    answer = key.assert_(begun["publicKey"])
    twostep_clock.advance(301)  # past TWOSTEP_CHALLENGE_TTL
    refused_passkey(client, begun["passkey_id"], answer, counted=key_user)


def test_a_counter_that_goes_back_is_refused_and_recorded(key_user, key, twostep_clock):
    client, begun = begin_passkey()
    answer = key.assert_(begun["publicKey"])
    assert complete_passkey(client, begun["passkey_id"], answer).status_code == 200
    twostep_clock.advance(5)
    key.credentials[0].counter = 0  # a clone: signs 1 again
    client, begun = begin_passkey()
    refused_passkey(client, begun["passkey_id"], key.assert_(begun["publicKey"]), counted=key_user)
    assert events(key_user, "webauthn_counter_regressed") == 1
    assert the_key(key_user).sign_count == 1


def test_a_key_without_a_counter_logs_in_again_and_again(plain_user, twostep_clock):
    key = SoftwareAuthenticator(counter_step=0)
    assert add_key(fresh_api(plain_user), key).status_code == 201
    for _ in range(3):
        client, begun = begin_passkey()
        answer = key.assert_(begun["publicKey"])
        assert complete_passkey(client, begun["passkey_id"], answer).status_code == 200
    assert events(plain_user, "webauthn_counter_regressed") == 0


def test_a_refused_passkey_counts_for_the_back_off(key_user, key, twostep_clock):
    client, begun = begin_passkey()
    refused_passkey(
        client, begun["passkey_id"], tampered(key.assert_(begun["publicKey"])), counted=key_user
    )
    client, begun = begin_passkey()
    answer = key.assert_(begun["publicKey"])
    with nothing_written():
        refused(complete_passkey(client, begun["passkey_id"], answer), "too_many_attempts", 429)
    twostep_clock.advance(2)  # the back-off is over; that ceremony was not spent by the wait
    assert complete_passkey(client, begun["passkey_id"], answer).status_code == 200
    assert failures(key_user) == 0


def test_a_user_who_may_not_log_in_is_refused_and_the_ceremony_spent(key_user, key):
    key_user.is_active = False
    key_user.save()
    client, begun = begin_passkey()
    answer = key.assert_(begun["publicKey"])
    with nothing_written():
        refused(complete_passkey(client, begun["passkey_id"], answer))
    assert ceremony().consumed_at is not None
    key_user.is_active = True
    key_user.save()
    with nothing_written():
        refused(complete_passkey(client, begun["passkey_id"], answer))


def test_a_credential_of_another_type_is_refused(key_user, key):
    client, begun = begin_passkey()
    answer = {**key.assert_(begun["publicKey"]), "type": "password"}
    with nothing_written():
        refused(complete_passkey(client, begun["passkey_id"], answer))


def test_cleanup_purges_used_and_expired_ceremonies_only(key_user, key, twostep_clock, capsys):
    from django.core.management import call_command

    call_command("twostep_cleanup")  # the registration's challenge of the fixture
    assert "1 security key challenge(s)" in capsys.readouterr().out
    client, used = begin_passkey()
    assert (
        complete_passkey(client, used["passkey_id"], key.assert_(used["publicKey"])).status_code
        == 200
    )
    begin_passkey()  # expires below
    twostep_clock.advance(301)
    client, live = begin_passkey()

    call_command("twostep_cleanup")
    assert "2 security key challenge(s)" in capsys.readouterr().out
    assert WebAuthnChallenge.objects.count() == 1
    # The live ceremony still answers.
    response = complete_passkey(client, live["passkey_id"], key.assert_(live["publicKey"]))
    assert response.status_code == 200, response.content

    call_command("twostep_cleanup")  # the one just used goes now, then nothing
    assert "1 security key challenge(s)" in capsys.readouterr().out
    call_command("twostep_cleanup")
    assert "0 security key challenge(s)" in capsys.readouterr().out
