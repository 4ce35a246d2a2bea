"""twostep_import --from django-otp: passkeys and security keys registered through
django-otp-webauthn's own helper (its registration and login ceremonies), then used at
django-twostep's API without being registered again."""

from __future__ import annotations

import io

import pytest
from django.apps import apps
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice as OTPTOTPDevice
from fido2.utils import websafe_encode

from django_twostep import flows
from django_twostep.flows import tokens
from django_twostep.importing import import_methods
from django_twostep.methods.webauthn.flows import user_handle
from django_twostep.models import RecoveryCode, TOTPDevice, WebAuthnCredential
from tests.webauthn_authenticator import SoftwareAuthenticator

from .keys import cose_public_key, login_with_key, login_with_passkey, peer_request

APP = "django_otp_webauthn"
if not apps.is_installed(APP):
    pytest.skip(
        f"django-otp-webauthn ({APP!r}) is not in INSTALLED_APPS: "
        "run with --ds tests.importing.settings (or list it in tests/settings.py)",
        allow_module_level=True,
    )

from django_otp_webauthn.helpers import WebAuthnHelper  # noqa: E402
from django_otp_webauthn.models import WebAuthnUserHandle  # noqa: E402
from django_otp_webauthn.utils import get_credential_model  # noqa: E402

pytestmark = pytest.mark.django_db


def add_otp_webauthn_key(user, key: SoftwareAuthenticator, name: str = ""):
    """django-otp-webauthn's registration: its options, the key's answer, its credential row."""
    helper = WebAuthnHelper(request=peer_request(user))
    options, state = helper.register_begin(user)
    answer = key.register(options)
    credential = helper.register_complete(user, state, answer)
    if name:
        credential.name = name
        credential.save()
    return credential


def otp_webauthn_accepts(user, key: SoftwareAuthenticator) -> None:
    """django-otp-webauthn's login with the key (raises when it does not verify)."""
    helper = WebAuthnHelper(request=peer_request(user))
    options, state = helper.authenticate_begin(user=user)
    helper.authenticate_complete(user, state, key.assert_(options))


def test_an_otp_webauthn_passkey_logs_in_after_the_import(make_user, clock):
    user = make_user()
    key = SoftwareAuthenticator()
    row = add_otp_webauthn_key(user, key, "Phone")
    credential = key.credentials[-1]
    assert bytes(row.credential_id) == credential.id
    assert bytes(row.public_key) == cose_public_key(credential)  # COSE bytes as they came
    otp_webauthn_accepts(user, key)
    row.refresh_from_db()
    assert row.sign_count == 1 and row.last_used_at is not None

    report = import_methods("django-otp")

    assert report.users == [user.pk]
    assert [k.row for k in report.webauthn_keys] == [
        f"{get_credential_model()._meta.label} #{row.pk}"
    ]
    ours = WebAuthnCredential.objects.get(user=user)
    assert ours.credential_id == websafe_encode(credential.id)
    assert bytes(ours.public_key) == cose_public_key(credential)
    assert (ours.name, ours.sign_count, ours.transports) == ("Phone", 1, ["usb"])
    assert ours.aaguid == row.aaguid == "a4e9fc6d-4cbe-4758-b8ba-37598bb5bbaa"
    assert ours.discoverable is True and row.discoverable is True
    assert (ours.backup_eligible, ours.backed_up) == (row.backup_eligible, row.backup_state)
    assert (ours.created_at, ours.last_used_at) == (row.created_at, row.last_used_at)
    assert flows.active_methods(user) == ["webauthn"]
    assert not RecoveryCode.objects.exists()

    response = login_with_key(user, key, credential)
    assert response.status_code == 200, response.content
    assert WebAuthnCredential.objects.get(user=user).sign_count == 2


def test_an_imported_passkey_logs_in_alone_with_otp_webauthns_user_handle(make_user, clock):
    user = make_user()
    key = SoftwareAuthenticator()
    add_otp_webauthn_key(user, key)
    credential = key.credentials[-1]
    # django-otp-webauthn's user handle is a random one of its own table.
    assert credential.user_handle == bytes(WebAuthnUserHandle.objects.get(user=user).handle)
    assert credential.user_handle != user_handle(user)
    import_methods("django-otp")

    response = login_with_passkey(key, credential)

    assert response.status_code == 200, response.content
    assert tokens.authenticate_access_token(response.json()["access_token"]).user_id == user.pk


def test_a_key_without_a_name_gets_ours_and_unknown_discoverability_is_false(make_user, clock):
    user = make_user()
    key = SoftwareAuthenticator()
    row = add_otp_webauthn_key(user, key)
    get_credential_model().objects.filter(pk=row.pk).update(discoverable=None, transports=[])
    import_methods("django-otp")
    ours = WebAuthnCredential.objects.get(user=user)
    assert (ours.name, ours.discoverable, ours.transports) == ("Security key", False, [])
    assert login_with_key(user, key).status_code == 200


def test_keys_of_a_user_with_an_app_come_over_beside_it(make_user, clock):
    user = make_user()
    OTPTOTPDevice.objects.create(user=user, name="default")
    key = SoftwareAuthenticator()
    add_otp_webauthn_key(user, key, "Phone")
    add_otp_webauthn_key(user, key, "YubiKey")
    report = import_methods("django-otp")
    assert (report.totp_devices, report.webauthn_credentials) == (1, 2)
    assert TOTPDevice.objects.filter(user=user).count() == 1
    assert flows.active_methods(user) == ["totp", "webauthn"]
    for credential in key.credentials:
        assert login_with_key(user, key, credential).status_code == 200


def test_second_run_and_dry_run_change_nothing(make_user, clock):
    alice, bob = make_user("alice"), make_user("bob")
    key = SoftwareAuthenticator()
    add_otp_webauthn_key(alice, key)
    add_otp_webauthn_key(bob, key)

    dry = import_methods("django-otp", dry_run=True)
    assert not WebAuthnCredential.objects.exists()
    first = import_methods("django-otp")
    assert [(k.user_id, k.row) for k in dry.webauthn_keys] == [
        (k.user_id, k.row) for k in first.webauthn_keys
    ]
    assert first.webauthn_credentials == 2
    rows = list(WebAuthnCredential.objects.order_by("pk").values())

    second = import_methods("django-otp")

    assert second.users == [] and second.webauthn_credentials == 0
    assert set(second.reasons()) == {"already_enrolled"}
    assert list(WebAuthnCredential.objects.order_by("pk").values()) == rows


def test_command_dry_run_lists_the_keys_it_would_import(make_user, clock):
    alice = make_user("alice")
    key = SoftwareAuthenticator()
    row = add_otp_webauthn_key(alice, key)
    out = io.StringIO()
    call_command("twostep_import", "--from", "django-otp", "--dry-run", stdout=out)
    text = out.getvalue()
    assert "nothing was saved" in text
    assert "1 security key(s)" in text
    assert f"user {alice.pk} (alice): {get_credential_model()._meta.label} #{row.pk}" in text
    assert not WebAuthnCredential.objects.exists()


def test_a_site_with_django_otp_webauthn_alone_imports_its_keys(make_user, clock, monkeypatch):
    """No otp_totp or otp_static app: a site of passkeys only."""
    from django.apps import apps as registry

    from django_twostep.importing import otp

    class Apps:
        def is_installed(self, name):
            return name not in (otp.TOTP_APP, otp.STATIC_APP) and registry.is_installed(name)

    monkeypatch.setattr(otp, "apps", Apps())
    user = make_user()
    key = SoftwareAuthenticator()
    add_otp_webauthn_key(user, key)
    report = import_methods("django-otp")
    assert (report.users, report.webauthn_credentials) == ([user.pk], 1)
    assert login_with_key(user, key).status_code == 200
