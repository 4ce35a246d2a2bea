"""twostep_import --from allauth: authenticators made with allauth's own MFA API."""

from __future__ import annotations

import io

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from allauth.mfa.utils import encrypt
from django.core.management import CommandError, call_command

from django_twostep import flows
from django_twostep.errors import FlowError
from django_twostep.importing import ImportFailed, import_methods
from django_twostep.models import RecoveryCode, TOTPDevice

from .conftest import log_in, phone

pytestmark = pytest.mark.django_db


def allauth_user(make_user, username="alice"):
    """A user who activated TOTP with allauth (which also makes recovery codes)."""
    user = make_user(username)
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    codes = RecoveryCodes.activate(user).generate_codes()
    return user, secret, codes


def test_secrets_are_decrypted_through_the_adapter_and_re_encrypted(make_user, clock):
    user, secret, _codes = allauth_user(make_user)
    stored = Authenticator.objects.get(user=user, type="totp").data["secret"]
    assert stored != secret  # the test adapter really encrypts

    report = import_methods("allauth")

    assert report.users == [user.pk] and report.totp_devices == 1
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    assert device.base32_key == secret.rstrip("=")
    assert secret not in device.encrypted_key
    assert (device.step, device.digits, device.drift) == (30, 6, 0)


def test_login_with_the_old_app_after_import(make_user, clock):
    user, secret, _codes = allauth_user(make_user)
    import_methods("allauth")
    clock.advance(30)
    result = log_in(user, phone(secret).at(clock.time()))
    assert result.user == user and result.verification.method == "totp"


def test_no_code_allauth_accepted_before_the_import_is_accepted_after(make_user, clock):
    user, secret, _codes = allauth_user(make_user)
    authenticator = Authenticator.objects.get(user=user, type="totp")
    code = phone(secret).at(clock.time())
    assert authenticator.wrap().validate_code(code)

    import_methods("allauth")

    with pytest.raises(FlowError) as replay:
        log_in(user, code)
    assert replay.value.code == "invalid_code"
    clock.advance(30)
    assert log_in(user, phone(secret).at(clock.time())).verification.method == "totp"


def test_allauth_tolerance_widens_the_steps_counted_as_used(make_user, clock, settings):
    settings.MFA_TOTP_TOLERANCE = 1
    user, secret, _codes = allauth_user(make_user)
    # allauth accepts the next step's code now, so the import counts it as used.
    ahead = phone(secret).at(clock.time() + 30)
    assert Authenticator.objects.get(user=user, type="totp").wrap().validate_code(ahead)
    import_methods("allauth")
    clock.advance(30)
    with pytest.raises(FlowError):
        log_in(user, ahead)
    clock.advance(30)
    assert log_in(user, phone(secret).at(clock.time())).verification.method == "totp"


def test_allauth_digits_and_period_are_kept(make_user, clock, settings):
    settings.MFA_TOTP_DIGITS = 8
    settings.MFA_TOTP_PERIOD = 60
    user, secret, _codes = allauth_user(make_user)
    import_methods("allauth")
    device = TOTPDevice.objects.get(user=user)
    assert (device.digits, device.step) == (8, 60)
    clock.advance(60)
    code = phone(secret, digits=8, period=60).at(clock.time())
    assert log_in(user, code).verification.method == "totp"


def test_unused_recovery_codes_are_imported_and_work_once(make_user, clock):
    user, _secret, codes = allauth_user(make_user)
    recovery = Authenticator.objects.get(user=user, type="recovery_codes").wrap()
    assert recovery.validate_code(codes[0])

    report = import_methods("allauth")

    assert (report.recovery_code_sets, report.recovery_codes) == (1, len(codes) - 1)
    assert flows.recovery_codes_remaining(user) == len(codes) - 1
    with pytest.raises(FlowError):
        log_in(user, codes[0])
    clock.advance(5)
    assert log_in(user, codes[1]).verification.method == "recovery_code"
    with pytest.raises(FlowError):
        log_in(user, codes[1])
    clock.advance(5)
    assert log_in(user, f"{codes[2][:4]} {codes[2][4:]}").verification.method == "recovery_code"


def test_recovery_codes_migrated_into_allauth_are_imported(make_user, clock):
    user = make_user()
    TOTP.activate(user, generate_totp_secret())
    Authenticator.objects.create(
        user=user,
        type="recovery_codes",
        data={"migrated_codes": [encrypt("q7kx2m9w"), encrypt("zz4hp8ra")]},
    )
    import_methods("allauth")
    assert flows.recovery_codes_remaining(user) == 2
    assert log_in(user, "ZZ4H-P8RA").verification.method == "recovery_code"


def test_unreadable_keys_and_orphan_recovery_codes_are_skipped(make_user, clock):
    alice = make_user("alice")
    # No registration kept in it: nothing to log in with (tests/importing/test_webauthn_*.py
    # import real ones).
    key = Authenticator.objects.create(user=alice, type="webauthn", data={"name": "YubiKey"})
    RecoveryCodes.activate(alice)
    bob, _secret, _codes = allauth_user(make_user, "bob")

    report = import_methods("allauth")

    assert report.users == [bob.pk]
    reasons = {(s.user_id, s.reason) for s in report.skipped}
    assert reasons == {(alice.pk, "invalid_credential"), (alice.pk, "no_authenticator_app")}
    assert any(s.row == f"mfa.Authenticator #{key.pk} (webauthn)" for s in report.skipped)
    assert report.users_left_without_method == [alice.pk]


def test_an_unknown_authenticator_type_is_unsupported(make_user, clock):
    alice = make_user("alice")
    row = Authenticator.objects.create(user=alice, type="sms", data={})
    report = import_methods("allauth")
    assert [(s.row, s.reason) for s in report.skipped] == [
        (f"mfa.Authenticator #{row.pk} (sms)", "unsupported_method")
    ]


def test_undecryptable_secret_stops_the_import_and_saves_nothing(make_user, clock):
    allauth_user(make_user, "alice")
    bob, _secret, _codes = allauth_user(make_user, "bob")
    Authenticator.objects.filter(user=bob, type="totp").update(data={"secret": "not-a-token"})

    with pytest.raises(ImportFailed):
        import_methods("allauth")
    assert not TOTPDevice.objects.exists()
    assert not RecoveryCode.objects.exists()

    out = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("twostep_import", "--from", "allauth", stdout=out)
    assert "Nothing was imported" in str(failed.value)


def test_second_run_and_dry_run_change_nothing(make_user, clock):
    allauth_user(make_user, "alice")
    dry = import_methods("allauth", dry_run=True)
    assert not TOTPDevice.objects.exists() and not RecoveryCode.objects.exists()
    first = import_methods("allauth")
    assert (dry.users, dry.recovery_codes) == (first.users, first.recovery_codes)
    rows = list(TOTPDevice.objects.values()), list(RecoveryCode.objects.values())
    second = import_methods("allauth")
    assert second.users == [] and set(second.reasons()) == {"already_enrolled"}
    assert (list(TOTPDevice.objects.values()), list(RecoveryCode.objects.values())) == rows


def test_summary_shows_no_secret_or_code(make_user, clock):
    _user, secret, codes = allauth_user(make_user)
    out = io.StringIO()
    call_command("twostep_import", "--from", "allauth", stdout=out)
    text = out.getvalue()
    assert "Users imported: 1" in text
    assert secret not in text
    assert not any(code in text for code in codes)


def test_a_later_last_used_at_moves_the_last_step(make_user, clock):
    """A server whose clock ran ahead may have accepted later steps; they stay refused."""
    from datetime import UTC, datetime

    user, secret, _codes = allauth_user(make_user)
    later = datetime.fromtimestamp(clock.time() + 60, tz=UTC)
    Authenticator.objects.filter(user=user, type="totp").update(last_used_at=later)
    import_methods("allauth")
    assert TOTPDevice.objects.get(user=user).last_t == int(clock.time() // 30) + 2
    clock.advance(60)
    with pytest.raises(FlowError):
        log_in(user, phone(secret).at(clock.time()))
    clock.advance(30)
    assert log_in(user, phone(secret).at(clock.time())).verification.method == "totp"
