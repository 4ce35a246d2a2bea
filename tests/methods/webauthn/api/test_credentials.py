"""``GET users/{username}/webauthn``, ``PATCH``/``DELETE users/{username}/webauthn/{id}``:
the list, renaming (no step-up) and removing (step-up; the last key takes the method
and the recovery codes with it)."""

# ruff: noqa: F811  (the fixtures imported from .helpers are the tests' arguments)

from __future__ import annotations

import pytest

from django_twostep import clock
from django_twostep.models import RecoveryCodeDevice, SecurityEvent, WebAuthnCredential
from tests.webauthn_authenticator import SoftwareAuthenticator

from .helpers import (  # noqa: F401  (fixtures among them)
    OTP,
    RECOVERY,
    add_key,
    api_for,
    begin_passkey,
    complete_passkey,
    credential_url,
    fresh_api,
    key,
    key_user,
    list_url,
    other_key,
    other_key_user,
    other_user,
    refused,
    stale_api,
)

pytestmark = pytest.mark.django_db


def the_key(user) -> WebAuthnCredential:
    return WebAuthnCredential.objects.filter(user=user).order_by("pk").first()


# -- the list ------------------------------------------------------------------------------


def test_the_list_of_a_user_without_keys_is_empty(plain_user, twostep_clock):
    response = fresh_api(plain_user).get(list_url())
    assert response.status_code == 200 and response.json() == {"credentials": []}


def test_the_list_shows_each_key_oldest_first(key_user, key, twostep_clock):
    api = fresh_api(key_user)
    twostep_clock.advance(10)
    assert add_key(api, SoftwareAuthenticator(), name="Spare", resident=False).status_code == 201
    listed = fresh_api(key_user).get(list_url()).json()["credentials"]
    assert [c["name"] for c in listed] == ["Blue key", "Spare"]
    assert all(
        set(c) == {"id", "name", "created_at", "last_used_at", "discoverable"} for c in listed
    )
    assert [c["discoverable"] for c in listed] == [True, False]
    assert [c["last_used_at"] for c in listed] == [None, None]
    rows = WebAuthnCredential.objects.filter(user=key_user).order_by("pk")
    assert [c["id"] for c in listed] == [str(row.pk) for row in rows]


def test_the_list_shows_when_a_key_was_last_used(key_user, key, twostep_clock):
    client, begun = begin_passkey()
    response = complete_passkey(client, begun["passkey_id"], key.assert_(begun["publicKey"]))
    assert response.status_code == 200
    listed = fresh_api(key_user).get(list_url()).json()["credentials"]
    assert listed[0]["last_used_at"] is not None
    assert the_key(key_user).last_used_at == clock.now()


def test_the_list_needs_no_step_up_and_shows_only_ones_own(key_user, other_key_user):
    stale, _ = stale_api(key_user)
    listed = stale.get(list_url()).json()["credentials"]
    assert [c["name"] for c in listed] == ["Blue key"]
    assert stale.get(list_url("bob")).status_code == 200
    refused(stale.get(list_url("carol")), "permission_denied", 403)


# -- renaming ---------------------------------------------------------------------------------


def test_a_key_is_renamed_without_step_up(key_user):
    stale, _ = stale_api(key_user)
    pk = the_key(key_user).pk
    response = stale.patch(credential_url(pk), {"name": "  Red key  "}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Red key" and response.json()["id"] == str(pk)
    assert the_key(key_user).name == "Red key"


def test_a_name_of_64_characters_is_fine(key_user):
    api = fresh_api(key_user)
    response = api.patch(credential_url(the_key(key_user).pk), {"name": "k" * 64}, format="json")
    assert response.status_code == 200
    assert the_key(key_user).name == "k" * 64


@pytest.mark.parametrize(
    "body", [{"name": ""}, {"name": "   "}, {"name": "k" * 65}, {"name": 7}, {"name": None}, {}]
)
def test_a_bad_name_is_a_validation_error(key_user, body):
    api = fresh_api(key_user)
    refused(
        api.patch(credential_url(the_key(key_user).pk), body, format="json"), "validation_error"
    )
    assert the_key(key_user).name == "Blue key"


def test_another_users_key_is_not_found(key_user, other_key_user):
    api = fresh_api(key_user)
    carols = the_key(other_key_user)
    refused(api.patch(credential_url(carols.pk), {"name": "Mine"}, format="json"), "not_found", 404)
    refused(api.delete(credential_url(carols.pk)), "not_found", 404)
    carols.refresh_from_db()
    assert carols.name == "Carol's key"


@pytest.mark.parametrize("pk", ["999999", "abc", "1.5", "-1"])
def test_an_unknown_key_is_not_found(key_user, pk):
    api = fresh_api(key_user)
    refused(api.patch(credential_url(pk), {"name": "x"}, format="json"), "not_found", 404)
    refused(api.delete(credential_url(pk)), "not_found", 404)
    assert WebAuthnCredential.objects.filter(user=key_user).count() == 1


def test_another_users_path_is_refused(key_user, other_key_user):
    api = fresh_api(key_user)
    carols = the_key(other_key_user)
    url = credential_url(carols.pk, username="carol")
    refused(api.patch(url, {"name": "Mine"}, format="json"), "permission_denied", 403)
    refused(api.delete(url), "permission_denied", 403)
    assert WebAuthnCredential.objects.filter(pk=carols.pk).exists()


# -- removing ------------------------------------------------------------------------------------


def test_removing_a_key_needs_step_up(key_user):
    stale, _ = stale_api(key_user)
    refused(stale.delete(credential_url(the_key(key_user).pk)), "mfa_code_missing", 403)
    unverified, _ = api_for(key_user, None)
    refused(unverified.delete(credential_url(the_key(key_user).pk)), "mfa_code_missing", 403)
    assert WebAuthnCredential.objects.filter(user=key_user).count() == 1


def test_removing_one_of_two_keys_keeps_the_method(key_user, twostep_clock):
    api = fresh_api(key_user)
    assert add_key(api, SoftwareAuthenticator(), name="Spare").status_code == 201
    first = the_key(key_user)
    assert api.delete(credential_url(first.pk)).status_code == 204
    assert list(
        WebAuthnCredential.objects.filter(user=key_user).values_list("name", flat=True)
    ) == ["Spare"]
    assert api.get(OTP).json()["methods"] == ["webauthn"]
    assert api.get(RECOVERY).json()["remaining"] == 10
    assert SecurityEvent.objects.filter(user=key_user, event="disabled").count() == 1


def test_removing_the_last_key_removes_the_method_and_the_recovery_codes(key_user, key):
    api = fresh_api(key_user)
    assert api.delete(credential_url(the_key(key_user).pk)).status_code == 204
    assert not WebAuthnCredential.objects.filter(user=key_user).exists()
    assert not RecoveryCodeDevice.objects.filter(user=key_user).exists()
    assert api.get(OTP).json()["methods"] == []
    # The removed passkey logs nobody in.
    client, begun = begin_passkey()
    refused(complete_passkey(client, begun["passkey_id"], key.assert_(begun["publicKey"])))


def test_removing_the_key_of_a_totp_user_keeps_totp_and_the_codes(totp_user, twostep_clock):
    api = fresh_api(totp_user)
    assert add_key(api, SoftwareAuthenticator()).status_code == 201
    codes_before = RecoveryCodeDevice.objects.filter(user=totp_user).count()
    assert api.delete(credential_url(the_key(totp_user).pk)).status_code == 204
    assert api.get(OTP).json()["methods"] == ["totp"]
    assert RecoveryCodeDevice.objects.filter(user=totp_user).count() == codes_before


def test_a_recovery_code_in_x_mfa_code_steps_up_a_removal(plain_user, key, twostep_clock):
    api, _ = api_for(plain_user, None)
    assert add_key(api, key).status_code == 201
    recovery = api.get(RECOVERY).json()["codes"]
    stale, _ = stale_api(plain_user)
    url = credential_url(the_key(plain_user).pk)
    refused(stale.delete(url, HTTP_X_MFA_CODE="0000-0000"), "mfa_code_invalid", 403)
    twostep_clock.advance(5)  # past the back-off of that wrong code
    assert stale.delete(url, HTTP_X_MFA_CODE=recovery[0]).status_code == 204
    assert not WebAuthnCredential.objects.filter(user=plain_user).exists()
