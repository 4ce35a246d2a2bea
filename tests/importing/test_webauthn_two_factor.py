"""twostep_import --from two-factor: keys registered through django-two-factor-auth's
WebAuthn plug-in (its own option, verification and device code), then used at
django-twostep's API without being registered again."""

from __future__ import annotations

import json

import pytest
from django.apps import apps
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice as OTPTOTPDevice
from fido2.utils import websafe_encode

from django_twostep import flows
from django_twostep.flows import tokens
from django_twostep.importing import import_methods
from django_twostep.methods.webauthn.flows import user_handle
from django_twostep.models import RecoveryCode, WebAuthnCredential
from tests.webauthn_authenticator import SoftwareAuthenticator

from .conftest import base32_of_hex, log_in, phone
from .keys import cose_public_key, login_with_key, login_with_passkey, peer_request

APP = "two_factor.plugins.webauthn"
if not apps.is_installed(APP):
    pytest.skip(
        f"django-two-factor-auth's WebAuthn plug-in ({APP!r}) is not in INSTALLED_APPS: "
        "run with --ds tests.importing.settings (or list it in tests/settings.py)",
        allow_module_level=True,
    )

from two_factor.plugins.webauthn.forms import DefaultWebauthnEntitiesFormMixin  # noqa: E402
from two_factor.plugins.webauthn.method import WebAuthnMethod  # noqa: E402
from two_factor.plugins.webauthn.models import WebauthnDevice  # noqa: E402
from two_factor.plugins.webauthn.utils import (  # noqa: E402
    make_credential_creation_options,
    make_credential_request_options,
    verify_authentication_response,
)

pytestmark = pytest.mark.django_db


def entities(user):
    """The plug-in's user entity, relying party and origin for a request at testserver."""
    mixin = DefaultWebauthnEntitiesFormMixin()
    mixin.request = peer_request(user)
    return mixin.webauthn_user, mixin.webauthn_rp, mixin.webauthn_origin


def add_two_factor_key(user, key: SoftwareAuthenticator) -> WebauthnDevice:
    """The plug-in's set-up step: its options, the key's answer, its device (named "default")."""
    user_entity, rp, origin = entities(user)
    options, challenge = make_credential_creation_options(user_entity, rp, [])
    answer = key.register(json.loads(options))
    setup_data = {
        "webauthn": {
            "expected_rp_id": rp.id,
            "expected_origin": origin,
            "expected_challenge": challenge,
            "token": json.dumps(answer),
        }
    }
    device = WebAuthnMethod().get_device_from_setup_data(peer_request(user), setup_data)
    device.save()
    return device


def two_factor_accepts(user, key: SoftwareAuthenticator, device: WebauthnDevice) -> None:
    """The plug-in's login step with the key (it raises when the answer does not verify)."""
    _user_entity, rp, origin = entities(user)
    options, challenge = make_credential_request_options(rp, [device.key_handle])
    answer = key.assert_(json.loads(options))
    device.sign_count = verify_authentication_response(
        device.public_key, device.sign_count, rp, origin, challenge, json.dumps(answer)
    )
    device.save()


def test_a_two_factor_key_logs_in_after_the_import(make_user, clock):
    user = make_user()
    key = SoftwareAuthenticator()
    device = add_two_factor_key(user, key)
    credential = key.credentials[-1]
    # What the plug-in stores: base64url text of the credential id and of the COSE key.
    assert device.key_handle == websafe_encode(credential.id)
    assert device.public_key == websafe_encode(cose_public_key(credential))
    two_factor_accepts(user, key, device)
    two_factor_accepts(user, key, device)
    device.refresh_from_db()
    assert device.sign_count == 2

    report = import_methods("two-factor")

    assert report.users == [user.pk]
    row = f"two_factor_webauthn.WebauthnDevice #{device.pk}"
    assert [k.row for k in report.webauthn_keys] == [row]
    ours = WebAuthnCredential.objects.get(user=user)
    assert ours.credential_id == device.key_handle
    assert bytes(ours.public_key) == cose_public_key(credential)
    assert ours.sign_count == 2
    # The plug-in names every key "default" and keeps no transports, AAGUID or rk flag.
    assert (ours.name, ours.transports, ours.aaguid, ours.discoverable) == (
        "Security key",
        [],
        "",
        False,
    )
    assert (ours.created_at, ours.last_used_at) == (device.created_at, device.last_used_at)
    assert flows.active_methods(user) == ["webauthn"]
    assert not RecoveryCode.objects.exists()

    response = login_with_key(user, key, credential)
    assert response.status_code == 200, response.content
    assert WebAuthnCredential.objects.get(user=user).sign_count == 3


def test_a_replayed_counter_is_refused_after_the_import(make_user, clock):
    """The counter the plug-in reached comes along: an older signature count is a clone."""
    user = make_user()
    key = SoftwareAuthenticator()
    device = add_two_factor_key(user, key)
    two_factor_accepts(user, key, device)
    two_factor_accepts(user, key, device)
    import_methods("two-factor")
    key.credentials[-1].counter = 0  # the next assertion says 1, below the plug-in's 2
    assert login_with_key(user, key).status_code == 400
    assert WebAuthnCredential.objects.get(user=user).sign_count == 2


def test_a_two_factor_key_logs_in_as_a_passkey_with_the_plug_ins_user_handle(make_user, clock):
    user = make_user()
    key = SoftwareAuthenticator()
    add_two_factor_key(user, key)
    credential = key.credentials[-1]
    # The plug-in's user handle: the hex SHA-1 of the primary key, not ours.
    assert credential.user_handle != user_handle(user)
    assert len(credential.user_handle) == 40
    import_methods("two-factor")

    response = login_with_passkey(key, credential)

    assert response.status_code == 200, response.content
    assert tokens.authenticate_access_token(response.json()["access_token"]).user_id == user.pk


def test_app_key_and_backup_tokens_come_over_together(make_user, clock):
    user = make_user()
    totp = OTPTOTPDevice.objects.create(user=user, name="default")
    static = StaticDevice.objects.create(user=user, name="backup")
    token = static.token_set.create(token=StaticToken.random_token()).token
    key = SoftwareAuthenticator()
    device = add_two_factor_key(user, key)
    device.name = "Red key"  # renamed in the admin
    device.save()

    report = import_methods("two-factor")

    assert (report.totp_devices, report.webauthn_credentials, report.recovery_codes) == (1, 1, 1)
    assert WebAuthnCredential.objects.get(user=user).name == "Red key"
    assert flows.active_methods(user) == ["totp", "webauthn"]
    assert login_with_key(user, key).status_code == 200
    clock.advance(30)
    assert log_in(user, phone(base32_of_hex(totp.key)).at(clock.time())).verification.method == (
        "totp"
    )
    clock.advance(1)
    assert log_in(user, token).verification.method == "recovery_code"


def test_unconfirmed_and_damaged_plug_in_keys_are_skipped(make_user, clock):
    alice, bob = make_user("alice"), make_user("bob")
    key = SoftwareAuthenticator()
    unfinished = add_two_factor_key(alice, key)
    unfinished.confirmed = False
    unfinished.save()
    damaged = add_two_factor_key(bob, key)
    damaged.public_key = websafe_encode(b"\xa1\x01\x02")  # a COSE map with no key in it
    damaged.save()

    report = import_methods("two-factor")

    assert report.users == [] and not WebAuthnCredential.objects.exists()
    assert {(s.user_id, s.row, s.reason) for s in report.skipped} == {
        (alice.pk, f"two_factor_webauthn.WebauthnDevice #{unfinished.pk}", "not_confirmed"),
        (bob.pk, f"two_factor_webauthn.WebauthnDevice #{damaged.pk}", "invalid_credential"),
    }
    # Bob's key was a second factor at django-two-factor-auth; Alice never finished.
    assert report.users_left_without_method == [bob.pk]
