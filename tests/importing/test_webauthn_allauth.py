"""twostep_import --from allauth: security keys and passkeys registered through allauth's
own WebAuthn code, then used at django-twostep's API without being registered again."""

from __future__ import annotations

import io

import pytest
from allauth.account.utils import user_pk_to_url_str
from allauth.core import context
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from allauth.mfa.webauthn.internal import auth as allauth_webauthn
from django.core.management import call_command
from fido2.utils import websafe_encode

from django_twostep import flows
from django_twostep.flows import tokens
from django_twostep.importing import import_methods
from django_twostep.methods.webauthn.flows import user_handle
from django_twostep.models import RecoveryCode, WebAuthnCredential
from tests.webauthn_authenticator import AAGUID, SoftwareAuthenticator

from .conftest import log_in, phone
from .keys import cose_public_key, login_with_key, login_with_passkey, peer_request

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def allauth_over_http(settings):
    """allauth's fido2 server refuses http:// origins but localhost's; the test client is
    http://testserver."""
    settings.MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True


def add_allauth_key(user, key: SoftwareAuthenticator, name="YubiKey", *, passwordless=True):
    """Register a new credential of ``key`` the way allauth's "add security key" page does."""
    with context.request_context(peer_request(user)):
        options = allauth_webauthn.begin_registration(user, passwordless)
        answer = key.register(options)
        allauth_webauthn.complete_registration(answer)
        return allauth_webauthn.WebAuthn.add(user, name, answer).instance


def allauth_accepts(user, key: SoftwareAuthenticator, credential) -> bool:
    """allauth's own check of an assertion of ``credential`` (its login's second step)."""
    with context.request_context(peer_request(user)):
        options = allauth_webauthn.begin_authentication(user)
        answer = key.assert_(options, credential=credential)
        return allauth_webauthn.complete_authentication(user, answer) is not None


def test_an_allauth_passkey_logs_in_after_the_import(make_user, clock):
    user = make_user()
    key = SoftwareAuthenticator()
    authenticator = add_allauth_key(user, key)
    credential = key.credentials[-1]
    assert allauth_accepts(user, key, credential)

    report = import_methods("allauth")

    assert report.users == [user.pk]
    assert [(k.user_id, k.row) for k in report.webauthn_keys] == [
        (user.pk, f"mfa.Authenticator #{authenticator.pk} (webauthn)")
    ]
    ours = WebAuthnCredential.objects.get(user=user)
    assert ours.credential_id == websafe_encode(credential.id)
    assert bytes(ours.public_key) == cose_public_key(credential)
    assert (ours.name, ours.confirmed, ours.discoverable) == ("YubiKey", True, True)
    assert ours.transports == ["usb"]
    assert ours.aaguid == "a4e9fc6d-4cbe-4758-b8ba-37598bb5bbaa"
    assert bytes.fromhex(ours.aaguid.replace("-", "")) == AAGUID
    assert ours.created_at == authenticator.created_at
    assert ours.sign_count == 0  # allauth keeps the counter of the registration only
    # The key turned the method on; an import makes no recovery codes of its own.
    assert flows.active_methods(user) == ["webauthn"]
    assert not RecoveryCode.objects.exists()

    response = login_with_key(user, key, credential)
    assert response.status_code == 200, response.content
    assert WebAuthnCredential.objects.get(user=user).sign_count == credential.counter


def test_an_imported_passkey_logs_in_alone_with_allauths_user_handle(make_user, clock):
    user = make_user()
    key = SoftwareAuthenticator()
    add_allauth_key(user, key)
    credential = key.credentials[-1]
    # allauth's user handle is its text form of the primary key (base 36), not ours.
    assert credential.user_handle == user_pk_to_url_str(user).encode()
    assert credential.user_handle != user_handle(user)
    import_methods("allauth")

    response = login_with_passkey(key, credential)

    assert response.status_code == 200, response.content
    token = tokens.authenticate_access_token(response.json()["access_token"])
    assert token.user_id == user.pk and token.verified_at is not None


def test_a_second_factor_key_is_not_discoverable(make_user, clock):
    user = make_user()
    key = SoftwareAuthenticator()
    authenticator = add_allauth_key(user, key, "Desk key", passwordless=False)
    # allauth asked for a non-resident key, and the browser said it made one.
    authenticator.data["credential"]["clientExtensionResults"] = {"credProps": {"rk": False}}
    authenticator.save()
    assert authenticator.wrap().is_passwordless is False
    import_methods("allauth")
    ours = WebAuthnCredential.objects.get(user=user)
    assert (ours.name, ours.discoverable) == ("Desk key", False)
    assert login_with_key(user, key).status_code == 200


def test_totp_keys_and_recovery_codes_come_over_together(make_user, clock):
    user = make_user()
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    codes = RecoveryCodes.activate(user).generate_codes()
    key = SoftwareAuthenticator()
    add_allauth_key(user, key, "Blue key")
    add_allauth_key(user, key, "Green key")

    report = import_methods("allauth")

    assert (report.totp_devices, report.webauthn_credentials) == (1, 2)
    assert report.recovery_codes == len(codes)
    assert sorted(WebAuthnCredential.objects.values_list("name", flat=True)) == [
        "Blue key",
        "Green key",
    ]
    assert flows.active_methods(user) == ["totp", "webauthn"]
    assert login_with_key(user, key, key.credentials[0]).status_code == 200
    clock.advance(30)
    assert log_in(user, phone(secret).at(clock.time())).verification.method == "totp"


def test_unreadable_allauth_keys_are_skipped(make_user, clock):
    alice = make_user("alice")
    nameless = Authenticator.objects.create(user=alice, type="webauthn", data={"name": "Key"})
    damaged = Authenticator.objects.create(
        user=alice,
        type="webauthn",
        data={"name": "Key", "credential": {"id": "x", "response": {"attestationObject": "AA"}}},
    )
    RecoveryCodes.activate(alice)

    report = import_methods("allauth")

    assert report.users == [] and not WebAuthnCredential.objects.exists()
    skipped = {(s.row, s.reason) for s in report.skipped}
    assert skipped == {
        (f"mfa.Authenticator #{nameless.pk} (webauthn)", "invalid_credential"),
        (f"mfa.Authenticator #{damaged.pk} (webauthn)", "invalid_credential"),
        (
            f"mfa.Authenticator #{Authenticator.objects.get(type='recovery_codes').pk} "
            "(recovery_codes)",
            "no_authenticator_app",
        ),
    }
    assert report.users_left_without_method == [alice.pk]


def test_command_lists_imported_and_skipped_keys(make_user, clock):
    alice, bob = make_user("alice"), make_user("bob")
    key = SoftwareAuthenticator()
    imported = add_allauth_key(alice, key)
    broken = Authenticator.objects.create(user=bob, type="webauthn", data={"name": "Old"})

    out = io.StringIO()
    call_command("twostep_import", "--from", "allauth", "--dry-run", stdout=out)

    text = out.getvalue()
    assert "0 authenticator app(s), 1 security key(s)" in text
    assert "Security keys imported (1):" in text
    assert f"user {alice.pk} (alice): mfa.Authenticator #{imported.pk} (webauthn)" in text
    assert "invalid_credential (1)" in text
    assert f"user {bob.pk} (bob): mfa.Authenticator #{broken.pk} (webauthn)" in text
    assert not WebAuthnCredential.objects.exists()  # a dry run
    public = websafe_encode(cose_public_key(key.credentials[-1]))
    assert public not in text
