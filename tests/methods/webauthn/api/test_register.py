"""``POST``/``PATCH users/{username}/webauthn/register``: options, "none" and "packed"
attestation, the first key (two-step login on, recovery codes shown once), a second
key (step-up, the token not verified by it), and every refusal leaving no row."""

# ruff: noqa: F811  (the fixtures imported from .helpers are the tests' arguments)

from __future__ import annotations

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from django_twostep import clock
from django_twostep.methods.webauthn.flows import user_handle
from django_twostep.models import ApiToken, RecoveryCodeDevice, WebAuthnCredential
from tests.webauthn_authenticator import AAGUID, SoftwareAuthenticator, b64, unb64

from .helpers import (  # noqa: F401  (fixtures among them)
    OTP,
    PASSKEY,
    RECOVERY,
    STALE,
    TRIGGER,
    add_key,
    api_for,
    codes,
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


def options_for(api: APIClient) -> dict:
    response = api.post(register_url(), {}, format="json")
    assert response.status_code == 200, response.content
    assert set(response.json()) == {"publicKey"}
    return response.json()["publicKey"]


def patch(api: APIClient, answer: dict, name: str = "Key"):
    return api.patch(register_url(), {"name": name, "credential": answer}, format="json")


# -- options ------------------------------------------------------------------------------


def test_the_options_name_the_relying_party_and_the_user(plain_user, twostep_clock):
    options = options_for(fresh_api(plain_user))
    assert options["rp"]["id"] == "testserver"
    assert unb64(options["user"]["id"]) == user_handle(plain_user)
    assert options["user"]["name"] == "bob"
    assert len(unb64(options["challenge"])) >= 16  # at least 128 bits
    assert options.get("excludeCredentials", []) == []
    assert {"type": "public-key", "alg": -7} in options["pubKeyCredParams"]


def test_each_request_gets_its_own_challenge(plain_user, twostep_clock):
    api = fresh_api(plain_user)
    assert options_for(api)["challenge"] != options_for(api)["challenge"]


def test_exclude_credentials_lists_the_users_keys(key_user, key, other_key_user):
    api = fresh_api(key_user)
    assert add_key(api, SoftwareAuthenticator(), name="Spare").status_code == 201
    excluded = options_for(api)["excludeCredentials"]
    mine = WebAuthnCredential.objects.filter(user=key_user).values_list("credential_id", flat=True)
    assert sorted(c["id"] for c in excluded) == sorted(mine)  # not carol's
    assert {c["type"] for c in excluded} == {"public-key"}
    assert all(c["transports"] == ["usb"] for c in excluded)


def test_the_user_handle_is_not_the_username_or_the_primary_key(plain_user):
    handle = user_handle(plain_user)
    assert len(handle) == 32
    assert b"bob" not in handle and handle != str(plain_user.pk).encode()


# -- the first key --------------------------------------------------------------------------


@pytest.mark.parametrize("attestation", ["none", "packed"])
def test_a_key_registers_with_either_attestation(plain_user, twostep_clock, attestation):
    key = SoftwareAuthenticator(attestation=attestation)
    response = add_key(fresh_api(plain_user), key, name="Yubi")
    assert response.status_code == 201, response.content
    body = response.json()
    assert {"id", "name", "created_at", "discoverable"} <= set(body)
    assert body["name"] == "Yubi" and body["discoverable"] is True
    row = WebAuthnCredential.objects.get(user=plain_user)
    assert str(row.pk) == body["id"]
    assert row.credential_id == b64(key.credentials[0].id)
    assert row.sign_count == 0 and row.confirmed
    assert row.transports == ["usb"]
    assert row.aaguid.replace("-", "") == AAGUID.hex()
    assert bytes(row.public_key)  # the COSE key, public material only


def test_a_non_discoverable_key_is_recorded_as_such(plain_user, twostep_clock):
    response = add_key(fresh_api(plain_user), SoftwareAuthenticator(), resident=False)
    assert response.status_code == 201
    assert response.json()["discoverable"] is False
    assert not WebAuthnCredential.objects.get(user=plain_user).discoverable


def test_a_key_without_a_name_gets_one(plain_user, twostep_clock):
    api = fresh_api(plain_user)
    answer = SoftwareAuthenticator().register(options_for(api))
    response = api.patch(register_url(), {"credential": answer}, format="json")
    assert response.status_code == 201
    assert response.json()["name"]


def test_the_first_key_verifies_the_token_and_makes_recovery_codes_shown_once(
    plain_user, key, twostep_clock
):
    api, token = api_for(plain_user, None)  # a password-only login: never verified
    assert add_key(api, key).status_code == 201
    token.refresh_from_db()
    assert token.verified_at is not None
    assert api.get(OTP).json()["methods"] == ["webauthn"]
    first = api.get(RECOVERY).json()
    assert first["remaining"] == 10 and len(first["codes"]) == 10
    again = api.get(RECOVERY).json()
    assert again == {"remaining": 10}  # shown once
    assert RecoveryCodeDevice.objects.filter(user=plain_user).count() == 1


# -- a second key -------------------------------------------------------------------------------


def test_a_second_key_needs_step_up(key_user):
    stale, _ = stale_api(key_user)
    refused(stale.post(register_url(), {}, format="json"), "mfa_code_missing", 403)
    # Options from a fresh token, the answer through the stale one: refused too.
    answer = SoftwareAuthenticator().register(options_for(fresh_api(key_user)))
    refused(patch(stale, answer), "mfa_code_missing", 403)
    assert WebAuthnCredential.objects.filter(user=key_user).count() == 1


def test_a_second_key_does_not_verify_the_token_nor_make_new_codes(key_user, twostep_clock):
    unverified, _ = api_for(key_user, None)
    refused(unverified.post(register_url(), {}, format="json"), "mfa_code_missing", 403)
    verified_at = clock.now()
    api, token = api_for(key_user, verified_at)
    twostep_clock.advance(60)
    response = add_key(api, SoftwareAuthenticator(), name="Spare")
    assert response.status_code == 201
    token.refresh_from_db()
    assert token.verified_at == verified_at  # not moved by the second key
    assert "codes" not in api.get(RECOVERY).json()
    assert WebAuthnCredential.objects.filter(user=key_user).count() == 2


def test_the_same_key_twice_is_credential_exists(key_user, key):
    api = fresh_api(key_user)
    answer = key.register(options_for(api), credential=key.credentials[0])
    response = patch(api, answer)
    refused(response, "credential_exists", 409)
    assert WebAuthnCredential.objects.filter(user=key_user).count() == 1


def test_another_users_key_id_is_credential_exists_and_stays_theirs(
    key_user, key, other_user, twostep_clock
):
    api = fresh_api(other_user)
    answer = key.register(options_for(api), credential=key.credentials[0])
    refused(patch(api, answer), "credential_exists", 409)
    assert WebAuthnCredential.objects.get().user == key_user
    assert not WebAuthnCredential.objects.filter(user=other_user).exists()


# -- refusals: invalid_credential and nothing kept ------------------------------------------


def refused_registration(api: APIClient, answer: dict, user) -> None:
    tokens_before = ApiToken.objects.count()
    refused(patch(api, answer))
    assert not WebAuthnCredential.objects.filter(user=user).exists()
    assert not RecoveryCodeDevice.objects.filter(user=user).exists()
    assert ApiToken.objects.count() == tokens_before
    assert api.get(OTP).json()["methods"] == []


def test_a_wrong_origin_is_refused_and_spends_the_challenge(plain_user, twostep_clock):
    api = fresh_api(plain_user)
    options = options_for(api)
    refused_registration(
        api, SoftwareAuthenticator(origin="https://evil.example").register(options), plain_user
    )
    # The same challenge answered properly now: used up by the failure.
    refused_registration(api, SoftwareAuthenticator().register(options), plain_user)


def test_an_origin_with_another_port_is_refused(plain_user, twostep_clock):
    api = fresh_api(plain_user)
    key = SoftwareAuthenticator(origin="http://testserver:8443")
    refused_registration(api, key.register(options_for(api)), plain_user)


@override_settings(TWOSTEP_WEBAUTHN_ORIGINS=["https://app.example"])
def test_the_configured_origins_are_the_only_ones(plain_user, twostep_clock):
    api = fresh_api(plain_user)
    refused_registration(api, SoftwareAuthenticator().register(options_for(api)), plain_user)
    key = SoftwareAuthenticator(origin="https://app.example")
    assert patch(api, key.register(options_for(api))).status_code == 201


def test_a_wrong_rp_id_is_refused(plain_user, twostep_clock):
    api = fresh_api(plain_user)
    answer = SoftwareAuthenticator().register(options_for(api), rp_id="evil.example")
    refused_registration(api, answer, plain_user)


def test_a_challenge_of_another_users_registration_is_refused(
    plain_user, other_user, other_key, twostep_clock
):
    carols = options_for(fresh_api(other_user))
    api = fresh_api(plain_user)
    options_for(api)  # bob's own ceremony is live, and not the one answered
    refused_registration(api, SoftwareAuthenticator().register(carols), plain_user)
    # Carol's ceremony was not spent by bob's try.
    carol_api = fresh_api(other_user)
    assert patch(carol_api, other_key.register(carols)).status_code == 201


def test_a_challenge_of_another_ceremony_is_refused(plain_user, twostep_clock):
    api = fresh_api(plain_user)
    options = options_for(api)
    passkey = APIClient().post(PASSKEY, {}, format="json").json()["publicKey"]
    answer = SoftwareAuthenticator().register(options, challenge=passkey["challenge"])
    refused_registration(api, answer, plain_user)


def test_a_made_up_challenge_is_refused(plain_user, twostep_clock):
    api = fresh_api(plain_user)
    answer = SoftwareAuthenticator().register(options_for(api), challenge=b64(b"x" * 32))
    refused_registration(api, answer, plain_user)


def test_an_assertion_is_not_a_registration(key_user, key, twostep_clock):
    api = fresh_api(key_user)
    options = options_for(api)
    assertion = key.assert_({"challenge": options["challenge"], "rpId": "testserver"})
    refused(patch(api, assertion))
    assert WebAuthnCredential.objects.filter(user=key_user).count() == 1


def test_an_expired_challenge_is_refused(plain_user, twostep_clock):
    api = fresh_api(plain_user)
    options = options_for(api)
    twostep_clock.advance(301)  # past TWOSTEP_CHALLENGE_TTL
    api = fresh_api(plain_user)
    refused_registration(api, SoftwareAuthenticator().register(options), plain_user)


@override_settings(TWOSTEP_WEBAUTHN_USER_VERIFICATION="required")
def test_user_verification_required_by_the_site_is_enforced(plain_user, twostep_clock):
    api = fresh_api(plain_user)
    options = options_for(api)
    assert options["authenticatorSelection"]["userVerification"] == "required"
    answer = SoftwareAuthenticator(user_verified=False).register(options)
    refused_registration(api, answer, plain_user)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda a: {**a, "response": {**a["response"], "attestationObject": "AAAA"}},
        lambda a: {**a, "response": {**a["response"], "clientDataJSON": b64(b"{}")}},
        lambda a: {**a, "response": "nonsense"},
        lambda a: {**a, "type": "password"},
        lambda a: {"id": a["id"]},
        lambda a: [a],
        lambda a: "a string",
    ],
)
def test_a_malformed_answer_is_refused(plain_user, twostep_clock, mangle):
    api = fresh_api(plain_user)
    answer = mangle(SoftwareAuthenticator().register(options_for(api)))
    response = patch(api, answer)
    assert response.status_code == 400
    assert codes(response) in (["invalid_credential"], ["validation_error"])
    assert not WebAuthnCredential.objects.exists()


def test_an_overlong_name_is_a_validation_error(plain_user, twostep_clock):
    api = fresh_api(plain_user)
    answer = SoftwareAuthenticator().register(options_for(api))
    refused(patch(api, answer, name="x" * 65), "validation_error")
    assert not WebAuthnCredential.objects.exists()


def test_without_a_credential_is_a_validation_error(plain_user, twostep_clock):
    api = fresh_api(plain_user)
    refused(api.patch(register_url(), {"name": "Key"}, format="json"), "validation_error")


def test_only_ones_own_account(plain_user, other_user, twostep_clock):
    api = fresh_api(plain_user)
    refused(api.post(register_url("carol"), {}, format="json"), "permission_denied", 403)
    answer = SoftwareAuthenticator().register(options_for(api))
    refused(
        api.patch(register_url("carol"), {"credential": answer}, format="json"),
        "permission_denied",
        403,
    )
    assert not WebAuthnCredential.objects.exists()


def test_without_a_token_is_not_authenticated(db):
    refused(APIClient().post(register_url(), {}, format="json"), "not_authenticated", 401)


def test_the_step_up_grace_is_what_counts(key_user, twostep_clock):
    api = fresh_api(key_user)
    twostep_clock.advance(STALE)
    refused(api.post(register_url(), {}, format="json"), "mfa_code_missing", 403)
    # mfa/trigger offers the key for the step-up that lets the user go on.
    assert api.post(TRIGGER, {"type": "webauthn"}, format="json").status_code == 200


@pytest.mark.parametrize("transports", ["usb", {"usb": 1}, [1, "", "x" * 40, "nfc"]])
def test_only_a_list_of_transport_names_is_kept(plain_user, twostep_clock, transports):
    api = fresh_api(plain_user)
    answer = SoftwareAuthenticator().register(options_for(api))
    answer["response"]["transports"] = transports
    assert patch(api, answer).status_code == 201
    kept = WebAuthnCredential.objects.get(user=plain_user).transports
    assert kept == (["nfc"] if isinstance(transports, list) else [])
