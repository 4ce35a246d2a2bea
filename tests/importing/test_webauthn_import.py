"""The rules every security-key import follows, shown on allauth's keys: a credential id
taken already, keys as the method recovery codes back up, a method the site turned
off, keys that cannot be used, all or nothing."""

from __future__ import annotations

import io

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from django.core.management import call_command
from fido2 import cbor
from fido2.cose import ES256, EdDSA
from fido2.utils import websafe_encode
from fido2.webauthn import AttestedCredentialData, AuthenticatorData

from django_twostep import flows
from django_twostep.importing import base, import_methods
from django_twostep.importing.base import aaguid_text, key_name, usable_public_key
from django_twostep.models import RecoveryCode, WebAuthnCredential
from tests.webauthn_authenticator import SoftwareAuthenticator, b64, unb64

from .conftest import log_in
from .keys import cose_public_key, login_with_key
from .test_webauthn_allauth import add_allauth_key

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def allauth_over_http(settings):
    settings.MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True


def test_a_credential_id_registered_here_already_is_skipped(make_user, clock):
    alice, carol = make_user("alice"), make_user("carol")
    key = SoftwareAuthenticator()
    authenticator = add_allauth_key(alice, key)
    credential = key.credentials[-1]
    WebAuthnCredential.objects.create(
        user=carol,
        name="Carol's key",
        confirmed=True,
        credential_id=websafe_encode(credential.id),
        public_key=cose_public_key(credential),
    )

    report = import_methods("allauth")

    assert report.users == [] and report.webauthn_credentials == 0
    assert [(s.user_id, s.row, s.reason) for s in report.skipped] == [
        (alice.pk, f"mfa.Authenticator #{authenticator.pk} (webauthn)", "credential_exists")
    ]
    assert report.users_left_without_method == [alice.pk]
    assert WebAuthnCredential.objects.get().user == carol


def test_the_same_credential_in_two_rows_is_imported_once(make_user, clock):
    alice, bob = make_user("alice"), make_user("bob")
    key = SoftwareAuthenticator()
    first = add_allauth_key(alice, key)
    copy = Authenticator.objects.create(user=bob, type="webauthn", data=first.data)

    report = import_methods("allauth")

    assert report.users == [alice.pk]
    assert [(s.user_id, s.row, s.reason) for s in report.skipped] == [
        (bob.pk, f"mfa.Authenticator #{copy.pk} (webauthn)", "credential_exists")
    ]
    assert WebAuthnCredential.objects.get().user == alice


def test_recovery_codes_back_up_imported_keys(make_user, clock):
    user = make_user()
    key = SoftwareAuthenticator()
    add_allauth_key(user, key)
    codes = RecoveryCodes.activate(user).generate_codes()

    report = import_methods("allauth")

    assert (report.webauthn_credentials, report.recovery_codes) == (1, len(codes))
    assert flows.recovery_codes_remaining(user) == len(codes)
    assert log_in(user, codes[0]).verification.method == "recovery_code"


def test_keys_are_skipped_where_the_site_has_no_webauthn_method(make_user, clock, settings):
    settings.TWOSTEP_METHODS = [
        "django_twostep.methods.totp.TOTPMethod",
        "django_twostep.methods.recovery_codes.RecoveryCodesMethod",
    ]
    user = make_user()
    authenticator = add_allauth_key(user, SoftwareAuthenticator())
    report = import_methods("allauth")
    assert [(s.row, s.reason) for s in report.skipped] == [
        (f"mfa.Authenticator #{authenticator.pk} (webauthn)", "webauthn_not_configured")
    ]
    assert report.users_left_without_method == [user.pk]
    assert not WebAuthnCredential.objects.exists()


def with_public_key(registration: dict, cose: dict) -> dict:
    """A stored RegistrationResponseJSON whose attested key is ``cose`` instead."""
    attestation = cbor.decode(unb64(registration["response"]["attestationObject"]))
    auth_data = AuthenticatorData(attestation["authData"])
    attested = auth_data.credential_data
    forged = AuthenticatorData.create(
        auth_data.rp_id_hash,
        auth_data.flags,
        auth_data.counter,
        AttestedCredentialData.create(attested.aaguid, attested.credential_id, cose),
    )
    attestation["authData"] = bytes(forged)
    response = {**registration["response"], "attestationObject": b64(cbor.encode(attestation))}
    return {**registration, "response": response}


def test_a_key_that_cannot_be_checked_is_skipped(make_user, clock):
    user = make_user()
    key = SoftwareAuthenticator()
    bad = add_allauth_key(user, key, "Bad key")
    add_allauth_key(user, key, "Good key")
    # A point off the curve: allauth reads the JSON all the same; the key does not load.
    off_curve = dict(ES256.from_cryptography_key(key.credentials[0].key.public_key()))
    off_curve[-2] = b"\x01" * 32
    bad.data["credential"] = with_public_key(bad.data["credential"], off_curve)
    bad.save()
    assert dict(bad.wrap().authenticator_data.credential_data.public_key) == off_curve

    report = import_methods("allauth")

    assert [(s.row, s.reason) for s in report.skipped] == [
        (f"mfa.Authenticator #{bad.pk} (webauthn)", "invalid_credential")
    ]
    assert report.users == [user.pk]
    assert list(WebAuthnCredential.objects.values_list("name", flat=True)) == ["Good key"]


def test_usable_public_keys():
    es256 = ES256.from_cryptography_key(ec.generate_private_key(ec.SECP256R1()).public_key())
    eddsa = EdDSA.from_cryptography_key(ed25519.Ed25519PrivateKey.generate().public_key())
    assert usable_public_key(cbor.encode(dict(es256)))
    assert usable_public_key(cbor.encode(dict(eddsa)))
    off_curve = {**dict(es256), -2: b"\x01" * 32}
    assert not usable_public_key(cbor.encode(off_curve))
    assert not usable_public_key(cbor.encode({**dict(es256), 3: -65535}))  # unknown algorithm
    assert not usable_public_key(cbor.encode({1: 2}))  # no algorithm
    assert not usable_public_key(cbor.encode([1, 2]))
    assert not usable_public_key(b"\xff")
    assert not usable_public_key(b"")


def test_names_and_aaguids_as_kept():
    assert key_name("  Blue\tkey \n") == "Blue key"
    assert key_name("") == key_name(None) == "Security key"
    assert key_name("x" * 80) == "x" * 64
    assert key_name("\x1b[31mred") == "[31mred"
    assert aaguid_text(bytes(16)) == "00000000-0000-0000-0000-000000000000"
    assert aaguid_text("A4E9FC6D4CBE4758B8BA37598BB5BBAA") == "a4e9fc6d-4cbe-4758-b8ba-37598bb5bbaa"
    assert aaguid_text("not one") == aaguid_text(None) == ""


def test_failure_halfway_saves_no_key(make_user, clock, monkeypatch):
    alice, bob = make_user("alice"), make_user("bob")
    key = SoftwareAuthenticator()
    add_allauth_key(alice, key)
    add_allauth_key(bob, key)
    RecoveryCodes.activate(alice)
    real = base._create_webauthn_credential
    calls = []

    def fail_on_second(*args, **kwargs):
        calls.append(args)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(base, "_create_webauthn_credential", fail_on_second)
    with pytest.raises(RuntimeError):
        import_methods("allauth")
    assert len(calls) == 2
    assert not WebAuthnCredential.objects.exists() and not RecoveryCode.objects.exists()


def test_an_imported_key_is_this_sites_own_afterwards(make_user, clock):
    """The imported row is ours: listed, renamed and used like a key registered here."""
    user = make_user()
    key = SoftwareAuthenticator()
    add_allauth_key(user, key, "YubiKey")
    import_methods("allauth")
    from django_twostep.methods.webauthn.flows import credentials_of, rename_credential

    (credential,) = credentials_of(user)
    rename_credential(user, credential.pk, "Work key")
    assert login_with_key(user, key).status_code == 200
    assert WebAuthnCredential.objects.get(user=user).name == "Work key"


def test_command_lists_twenty_imported_keys_unless_verbose(make_user, clock):
    key = SoftwareAuthenticator()
    for n in range(22):
        add_allauth_key(make_user(f"user{n}"), key)
    out = io.StringIO()
    call_command("twostep_import", "--from", "allauth", "--dry-run", stdout=out)
    assert "Security keys imported (22):" in out.getvalue()
    assert out.getvalue().count(": mfa.Authenticator #") == 20
    assert "... and 2 more" in out.getvalue()
    out = io.StringIO()
    call_command("twostep_import", "--from", "allauth", "--dry-run", "-v", "2", stdout=out)
    assert out.getvalue().count(": mfa.Authenticator #") == 22
